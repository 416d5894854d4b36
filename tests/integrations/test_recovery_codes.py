"""`userpool.integrations.recovery_codes` against a real sandbox with MFA: an app generates a signed-in
user's codes and reads how many are left with the session's access token; a code then signs in once."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pyotp
import pytest

from tests.support.mfa_sandbox import confirm_user
from tests.support.sandbox import PASSWORD, Sandbox, free_port, unique_email
from userpool.integrations import AuthConfig, User
from userpool.integrations._model import Tokens
from userpool.integrations.recovery_codes import RecoveryCodes, RecoveryCodesError


def _idp(box: Sandbox) -> Any:
    keys = {"aws_access_key_id": "unused", "aws_secret_access_key": "unused"}
    return boto3.client("cognito-idp", endpoint_url=box.endpoint, region_name=box.region, **keys)


def _session_user(result: dict[str, Any]) -> User:
    """The `User` an app's view gets from with_authenticator, built from the pool's tokens."""
    tokens = Tokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken"),
        expires_at=int(time.time()) + int(result["ExpiresIn"]),
        signed_in_at=int(time.time()),
        sid="test",
    )
    return User.from_tokens(tokens)


def _sign_in(idp: Any, box: Sandbox, email: str) -> dict[str, Any]:
    params = {"USERNAME": email, "PASSWORD": PASSWORD}
    result: dict[str, Any] = idp.initiate_auth(
        ClientId=box.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
    )
    return result


def test_an_app_generates_and_counts_a_users_recovery_codes(mfa_optional: Sandbox) -> None:
    idp = _idp(mfa_optional)
    email = unique_email("app-codes")
    confirm_user(mfa_optional, email)
    signed_in = _sign_in(idp, mfa_optional, email)["AuthenticationResult"]
    user = _session_user(signed_in)
    codes = RecoveryCodes(AuthConfig.from_outputs(mfa_optional.outputs))

    with pytest.raises(RecoveryCodesError) as no_mfa:  # they stand in for a factor: none is on yet
        codes.generate(user)
    assert no_mfa.value.code == "InvalidParameterException" and "MFA factor" in no_mfa.value.message

    secret = idp.associate_software_token(AccessToken=user.tokens.access_token)["SecretCode"]
    idp.verify_software_token(AccessToken=user.tokens.access_token, UserCode=pyotp.TOTP(secret).now())
    fresh = codes.generate(user)
    assert len(fresh) == 10 and len(set(fresh)) == 10
    assert codes.remaining(user) == 10 == codes.remaining(user.tokens.access_token)

    step = _sign_in(idp, mfa_optional, email)
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = idp.respond_to_auth_challenge(
        ClientId=mfa_optional.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": fresh[0]},
    )
    assert done["AuthenticationResult"]["AccessToken"]
    assert codes.remaining(user) == 9

    replaced = codes.generate(user)  # new codes replace the old ones
    assert not set(replaced) & set(fresh) and codes.remaining(user) == 10

    idp.global_sign_out(AccessToken=user.tokens.access_token)
    with pytest.raises(RecoveryCodesError) as signed_out:
        codes.remaining(user)
    assert (signed_out.value.code, signed_out.value.message) == (
        "NotAuthorizedException",
        "Access Token has been revoked",
    )


def test_a_pool_that_cannot_be_reached_is_an_error_not_a_crash(mfa_optional: Sandbox) -> None:
    config = AuthConfig.from_outputs(
        {**mfa_optional.outputs, "custom": {"userpool": {"endpoint": f"http://127.0.0.1:{free_port()}"}}}
    )
    with pytest.raises(RecoveryCodesError) as down:
        RecoveryCodes(config, timeout=2).remaining("token")
    assert down.value.code == "ServiceUnavailable"
