"""What the frontend reads to find the pool: Amplify's client config, built from the auth definition.

    outputs = build_outputs(defn, deployment, endpoint="http://127.0.0.1:7429", version="1.4")
    write_outputs(app_dir, outputs, fmt="json")  # → app_dir/amplify_outputs.json

Versions, as `ampx sandbox --outputs-version` (amplify-surface §2, §4):

- "1" … "1.4" → `amplify_outputs.json` with that `version` and only the keys of that version's schema
  (`_auth.py`). "1" is written as "1", as Amplify's VersionContributorV1 does, although Amplify's own
  schema_v1.json says `"const": "1.1"`; Amplify JS only checks that the version starts with "1".
- "0" → the legacy `amplifyconfiguration.json`, converted from the 1.4 config as Amplify converts it
  (`_legacy.py`).

Formats: "json" (`<name>.json`, as Amplify writes it) and "py" (`<name>.py`, a module defining
`amplify_outputs = {...}`, or `amplifyconfiguration = {...}` for version 0; `_python.py`).

The endpoint: Amplify's schema has no key for a custom user pool endpoint (Amplify JS v6 takes it from code,
`Auth.Cognito.userPoolEndpoint`). userpool writes it under `custom.userpool` — the schema's place for extra
outputs — in every version, and the legacy file keeps the same `custom` key (Amplify's converter copies
`custom` unchanged; `parseAWSExports` ignores it). With external providers, `auth.oauth.domain` is the
endpoint's host:port, because userpool serves the hosted UI (/oauth2/*, /logout) itself; note that Amplify's
`signInWithRedirect` builds `https://<domain>/oauth2/authorize` with https hard-coded, so redirect sign-in from
Amplify JS needs the endpoint served over TLS.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from userpool.definition import AuthDefinition
from userpool.deploy import Deployment
from userpool.outputs._auth import auth_section
from userpool.outputs._legacy import to_legacy
from userpool.outputs._python import render_module

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_VERSION",
    "FILENAME",
    "FORMATS",
    "LEGACY_VERSION",
    "VERSIONS",
    "build_outputs",
    "filename",
    "write_outputs",
]

LEGACY_VERSION = "0"
VERSIONS = (LEGACY_VERSION, "1", "1.1", "1.2", "1.3", "1.4")
DEFAULT_VERSION = "1.4"
FORMATS = ("json", "py")
DEFAULT_FORMAT = "json"
FILENAME = "amplify_outputs.json"  # the default version and format
_BASENAME, _LEGACY_BASENAME = "amplify_outputs", "amplifyconfiguration"


def filename(version: str = DEFAULT_VERSION, fmt: str = DEFAULT_FORMAT) -> str:
    """`amplify_outputs.<fmt>`, or `amplifyconfiguration.<fmt>` for version 0 (Amplify's getClientConfigFileName)."""
    if version not in VERSIONS:
        raise ValueError(f"outputs version must be one of {', '.join(VERSIONS)}, got {version!r}")
    if fmt not in FORMATS:
        raise ValueError(f"outputs format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return f"{_LEGACY_BASENAME if version == LEGACY_VERSION else _BASENAME}.{fmt}"


def build_outputs(
    defn: AuthDefinition, deployment: Deployment, *, endpoint: str, version: str = DEFAULT_VERSION
) -> dict[str, Any]:
    """The client config of `version` for this definition and deployment, served at `endpoint`."""
    if version not in VERSIONS:
        raise ValueError(f"outputs version must be one of {', '.join(VERSIONS)}, got {version!r}")
    endpoint = endpoint.rstrip("/")
    pool_id, client_id = deployment.pool.id, deployment.client.id
    unified_version = "1.4" if version == LEGACY_VERSION else version  # Amplify's converter takes 1.4 or later
    unified = {
        "version": unified_version,
        "auth": auth_section(defn, deployment, endpoint=endpoint, version=unified_version),
        "custom": {
            "userpool": {
                "endpoint": endpoint,
                "issuer": f"{endpoint}/{pool_id}",
                "jwks_uri": f"{endpoint}/{pool_id}/.well-known/jwks.json",
                "hosted_ui": f"{endpoint}/login?client_id={client_id}",
                # The definition's other app clients by name; their secrets never go in this file
                # (`userpool sandbox clients --show-secrets` prints them).
                "clients": {c.name: c.id for c in deployment.clients},
            }
        },
    }
    return to_legacy(unified) if version == LEGACY_VERSION else unified


def write_outputs(directory: Path, outputs: Mapping[str, Any], *, fmt: str = DEFAULT_FORMAT) -> Path:
    """Write `outputs` (from build_outputs) into `directory`; the name follows its version and `fmt`.

    A config without `version` is the legacy one. The write is atomic (a temporary file renamed over the
    target), so a frontend dev server watching the file never reads half of it.
    """
    version = str(outputs.get("version", LEGACY_VERSION))
    target = directory / filename(version, fmt)
    if fmt == "json":
        text = json.dumps(outputs, indent=2, ensure_ascii=False) + "\n"
    else:
        header = [
            f"Generated by userpool from amplify/auth/resource.py: {target.stem}.json as a Python dict.",
            "Do not edit: the sandbox rewrites this file on every deploy.",
        ]
        text = render_module(target.stem, dict(outputs), header=header)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the outputs are not secret
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if fmt == "py":
        _drop_stale_bytecode(target)
    return target


def _drop_stale_bytecode(module: Path) -> None:
    """A rewrite within the same second and of the same size would otherwise import the old bytecode."""
    for cached in (module.parent / "__pycache__").glob(f"{module.stem}.*.pyc"):
        cached.unlink(missing_ok=True)
