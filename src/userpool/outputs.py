"""amplify_outputs.json: what the frontend reads to find the pool (Amplify's client config, schema v1.x).

The auth section carries only keys of Amplify's schema, so Amplify's own parser takes it unchanged. The
userpool endpoint goes under `custom.userpool`, the schema's place for extra outputs: Amplify v6 reads its
custom endpoint from code (`Auth.Cognito.userPoolEndpoint`), never from this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from userpool.definition import AuthDefinition
from userpool.definition.compile import attribute_specs, username_attributes, verified_attributes
from userpool.deploy import Deployment

VERSIONS = ("1", "1.1", "1.2", "1.3", "1.4")
DEFAULT_VERSION = "1.4"
FILENAME = "amplify_outputs.json"


def auth_outputs(defn: AuthDefinition, deployment: Deployment, version: str = DEFAULT_VERSION) -> dict[str, Any]:
    policy = defn.password_policy
    specs = attribute_specs(defn)
    auth: dict[str, Any] = {
        "user_pool_id": deployment.pool.id,
        "aws_region": deployment.pool.region,
        "user_pool_client_id": deployment.client.id,
        "mfa_methods": [],
        "standard_required_attributes": sorted(n for n, s in specs.items() if s.required and not s.custom),
        "username_attributes": list(username_attributes(defn)) or ["username"],
        "user_verification_types": list(verified_attributes(defn)),
        "mfa_configuration": "NONE",
        "password_policy": {
            "min_length": policy.min_length,
            "require_lowercase": policy.require_lowercase,
            "require_numbers": policy.require_numbers,
            "require_symbols": policy.require_symbols,
            "require_uppercase": policy.require_uppercase,
        },
    }
    if version in ("1.3", "1.4"):
        auth["groups"] = []  # the groups key arrived in schema 1.3
    return auth


def build_outputs(
    defn: AuthDefinition, deployment: Deployment, *, endpoint: str, version: str = DEFAULT_VERSION
) -> dict[str, Any]:
    if version not in VERSIONS:
        raise ValueError(f"outputs version must be one of {', '.join(VERSIONS)}")
    endpoint = endpoint.rstrip("/")
    pool_id, client_id = deployment.pool.id, deployment.client.id
    return {
        "version": version,
        "auth": auth_outputs(defn, deployment, version),
        "custom": {
            "userpool": {
                "endpoint": endpoint,
                "issuer": f"{endpoint}/{pool_id}",
                "jwks_uri": f"{endpoint}/{pool_id}/.well-known/jwks.json",
                "hosted_ui": f"{endpoint}/login?client_id={client_id}",
            }
        },
    }


def write_outputs(directory: Path, outputs: dict[str, Any]) -> Path:
    """Write atomically, so a frontend dev server watching the file never reads half of it."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / FILENAME
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(outputs, indent=2) + "\n")
    os.replace(tmp, target)
    return target
