"""pycognito: SRP sign-in (its own SRP maths), token verification against our JWKS, refresh and more."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito import Cognito

from tests.support.sandbox import PASSWORD, Sandbox, unique_email


def _cognito(sandbox: Sandbox, **kwargs: Any) -> Cognito:
    return Cognito(
        sandbox.pool_id,
        sandbox.client_id,
        boto3_client_kwargs={
            "endpoint_url": sandbox.endpoint,
            "aws_access_key_id": "unused",
            "aws_secret_access_key": "unused",
        },
        **kwargs,
    )


def test_the_whole_journey(sandbox: Sandbox) -> None:
    email = unique_email("pyc")
    user = _cognito(sandbox, username=email)
    user.set_base_attributes(email=email)
    user.register(email, PASSWORD)
    with pytest.raises(ClientError, match="CodeMismatchException"):
        user.confirm_sign_up("000000", username=email)
    with pytest.raises(ClientError, match="UserNotConfirmedException"):
        _cognito(sandbox, username=email).authenticate(password=PASSWORD)
    user.confirm_sign_up(sandbox.last_code(email), username=email)

    with pytest.raises(ClientError, match="NotAuthorizedException"):
        _cognito(sandbox, username=email).authenticate(password="Wrong-Passw0rd!")

    user = _cognito(sandbox, username=email)
    user.authenticate(password=PASSWORD)  # USER_SRP_AUTH with pycognito's own SRP client
    user.verify_tokens()  # RS256 against <endpoint>/<pool>/.well-known/jwks.json, iss, aud, token_use
    assert user.id_claims["email"] == email and user.access_claims["username"] == user.id_claims["cognito:username"]

    profile = user.get_user()
    assert profile.email == email and profile.email_verified is True  # pycognito parses "true"
    user.update_profile({"given_name": "Ada"})
    assert user.get_user().given_name == "Ada"

    old_access = user.access_token
    user.renew_access_token()  # REFRESH_TOKEN_AUTH
    assert user.access_token != old_access
    user.verify_tokens()

    user.change_password(PASSWORD, "Changed-Passw0rd!")
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        _cognito(sandbox, username=email).authenticate(password=PASSWORD)

    forgetful = _cognito(sandbox, username=email)
    forgetful.initiate_forgot_password()
    forgetful.confirm_forgot_password(sandbox.last_code(email), "Reset-Passw0rd!")
    user = _cognito(sandbox, username=email)
    user.authenticate(password="Reset-Passw0rd!")
    token = user.access_token
    user.logout()  # GlobalSignOut
    with pytest.raises(ClientError, match="Access Token has been revoked"):
        _cognito(sandbox, access_token=token).get_user()


def test_a_token_from_another_pool_fails_verification(sandbox: Sandbox) -> None:
    from pycognito.exceptions import TokenVerificationException

    email = unique_email("pyc")
    user = _cognito(sandbox, username=email)
    user.set_base_attributes(email=email)
    user.register(email, PASSWORD)
    user.confirm_sign_up(sandbox.last_code(email), username=email)
    user.authenticate(password=PASSWORD)
    stranger = Cognito(
        sandbox.pool_id,
        "someotherclientid",
        boto3_client_kwargs={
            "endpoint_url": sandbox.endpoint,
            "aws_access_key_id": "unused",
            "aws_secret_access_key": "unused",
        },
    )
    with pytest.raises(TokenVerificationException):
        stranger.verify_token(user.id_token, "id_token", "id")  # wrong audience
