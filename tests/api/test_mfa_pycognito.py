"""pycognito's MFA and new-password paths, against sandboxes with MFA on: its software-token helpers, the
SoftwareTokenMFAChallengeException it raises at sign-in, and new_password_challenge (SRP first)."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from pycognito import Cognito
from pycognito.exceptions import SoftwareTokenMFAChallengeException

from tests.support.mfa_sandbox import confirm_user, force_change_password
from tests.support.sandbox import PASSWORD, Sandbox, unique_email


def _cognito(box: Sandbox, **kwargs: Any) -> Cognito:
    keys = {"endpoint_url": box.endpoint, "aws_access_key_id": "unused", "aws_secret_access_key": "unused"}
    return Cognito(box.pool_id, box.client_id, boto3_client_kwargs=keys, **kwargs)


def _next_code(app: pyotp.TOTP, used: set[str]) -> str:
    while (code := app.now()) in used:
        time.sleep(1)
    used.add(code)
    return code


def test_software_token_mfa(mfa_optional: Sandbox) -> None:
    email = unique_email("pyc-totp")
    confirm_user(mfa_optional, email)
    user = _cognito(mfa_optional, username=email)
    user.authenticate(password=PASSWORD)
    app, used = pyotp.TOTP(user.associate_software_token()), set[str]()
    assert user.verify_software_token(_next_code(app, used), "pixel")
    user.set_user_mfa_preference(sms_mfa=False, software_token_mfa=True, preferred="SOFTWARE_TOKEN")

    again = _cognito(mfa_optional, username=email)
    with pytest.raises(SoftwareTokenMFAChallengeException):
        again.authenticate(password=PASSWORD)
    with pytest.raises(ClientError, match="CodeMismatchException"):
        again.respond_to_software_token_mfa_challenge("000000" if app.now() != "000000" else "111111")
    code = _next_code(app, used)
    again.respond_to_software_token_mfa_challenge(code)
    again.verify_tokens()  # pycognito checks the tokens against the JWKS and the issuer

    third = _cognito(mfa_optional, username=email)
    with pytest.raises(SoftwareTokenMFAChallengeException):
        third.authenticate(password=PASSWORD)
    with pytest.raises(ClientError, match="already been used once"):
        third.respond_to_software_token_mfa_challenge(code)


def test_new_password_challenge(mfa_optional: Sandbox) -> None:
    email = unique_email("pyc-force")
    force_change_password(mfa_optional, email)
    user = _cognito(mfa_optional, username=email)
    user.new_password_challenge(PASSWORD, "N3w-Passw0rd!")
    user.verify_tokens()
    _cognito(mfa_optional, username=email).authenticate(password="N3w-Passw0rd!")
