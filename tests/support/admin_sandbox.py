"""A sandbox for the admin API: email sign-in, two groups from the definition, a "server" app client that
allows ADMIN_USER_PASSWORD_AUTH, and access keys minted the way an operator mints them
(`userpool keys create --json`)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.support.sandbox import Sandbox, start_sandbox, userpool_command

RESOURCE = """from userpool import define_auth

auth = define_auth(
    login_with={"email": True},
    groups=["ADMINS", "EDITORS"],
    clients=[{"name": "server", "auth_flows": ["ADMIN_USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"]}],
)
"""


def userpool(app_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `userpool` command as an operator would, in the app folder."""
    return subprocess.run(
        [*userpool_command(), *args, "--dir", str(app_dir)], capture_output=True, text=True, timeout=60, check=False
    )


def mint_key(box: Sandbox, description: str = "tests") -> dict[str, Any]:
    done = userpool(box.app_dir, "keys", "create", "--json", "--description", description)
    assert done.returncode == 0, done.stderr
    key: dict[str, Any] = json.loads(done.stdout)
    return key


def admin_client(box: Sandbox, key: dict[str, Any], **kw: Any) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=box.endpoint,
        region_name=box.region,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
        **kw,
    )


def server_client_id(box: Sandbox) -> str:
    done = userpool(box.app_dir, "sandbox", "clients", "--json")
    assert done.returncode == 0, done.stderr
    return str(next(c["client_id"] for c in json.loads(done.stdout) if c["name"] == "server"))


@contextmanager
def admin_sandbox(app_dir: Path) -> Iterator[Sandbox]:
    box = start_sandbox(app_dir, RESOURCE)
    try:
        yield box
    finally:
        box.stop()
