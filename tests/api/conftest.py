from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.support.sandbox import Sandbox


@pytest.fixture(scope="session")
def cognito(sandbox: Sandbox) -> Any:
    """boto3's cognito-idp client, pointed at the sandbox (keys are unused by the user-pool actions)."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=sandbox.endpoint,
        region_name=sandbox.region,
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
    )
