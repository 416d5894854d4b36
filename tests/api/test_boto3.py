"""The seed's journey through boto3, the AWS SDK for Python, exactly as an app would call Cognito."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.sandbox import PASSWORD, Sandbox, unique_email


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def _sign_in(cognito: Any, sandbox: Sandbox, email: str, password: str = PASSWORD) -> dict[str, Any]:
    result: dict[str, Any] = cognito.initiate_auth(
        ClientId=sandbox.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    return result


def test_the_whole_journey(cognito: Any, sandbox: Sandbox) -> None:
    email = unique_email()
    signed_up = cognito.sign_up(
        ClientId=sandbox.client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    assert signed_up["UserConfirmed"] is False and signed_up["UserSub"]
    assert signed_up["CodeDeliveryDetails"] == {
        "Destination": f"{email[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert signed_up["ResponseMetadata"]["RequestId"]

    with pytest.raises(ClientError) as wrong_code:
        cognito.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode="000000")
    assert _error(wrong_code)[0] == "CodeMismatchException"

    with pytest.raises(ClientError) as unconfirmed:
        _sign_in(cognito, sandbox, email)
    assert _error(unconfirmed) == ("UserNotConfirmedException", "User is not confirmed.")

    resent = cognito.resend_confirmation_code(ClientId=sandbox.client_id, Username=email)
    assert resent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    cognito.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode=sandbox.last_code(email))

    with pytest.raises(ClientError) as wrong_password:
        _sign_in(cognito, sandbox, email, "Wrong-Passw0rd!")
    assert _error(wrong_password) == ("NotAuthorizedException", "Incorrect username or password.")

    tokens = _sign_in(cognito, sandbox, email)
    assert tokens["TokenType"] == "Bearer" and tokens["ExpiresIn"] == 3600 and tokens["RefreshToken"]

    user = cognito.get_user(AccessToken=tokens["AccessToken"])
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == email and attributes["email_verified"] == "true"
    assert user["Username"] == attributes["sub"] == signed_up["UserSub"]

    cognito.update_user_attributes(
        AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "given_name", "Value": "Ada"}]
    )
    attributes = {a["Name"]: a["Value"] for a in cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]}
    assert attributes["given_name"] == "Ada"

    refreshed = cognito.get_tokens_from_refresh_token(ClientId=sandbox.client_id, RefreshToken=tokens["RefreshToken"])
    assert refreshed["AuthenticationResult"]["AccessToken"] != tokens["AccessToken"]
    legacy = cognito.initiate_auth(
        ClientId=sandbox.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert "RefreshToken" not in legacy["AuthenticationResult"]

    cognito.change_password(
        AccessToken=tokens["AccessToken"], PreviousPassword=PASSWORD, ProposedPassword="Changed-Passw0rd!"
    )
    with pytest.raises(ClientError) as old_password:
        _sign_in(cognito, sandbox, email)
    assert _error(old_password)[0] == "NotAuthorizedException"

    forgot = cognito.forgot_password(ClientId=sandbox.client_id, Username=email)
    assert forgot["CodeDeliveryDetails"]["AttributeName"] == "email"
    cognito.confirm_forgot_password(
        ClientId=sandbox.client_id,
        Username=email,
        ConfirmationCode=sandbox.last_code(email),
        Password="Reset-Passw0rd!",
    )
    fresh = _sign_in(cognito, sandbox, email, "Reset-Passw0rd!")

    cognito.global_sign_out(AccessToken=fresh["AccessToken"])
    with pytest.raises(ClientError) as signed_out:
        cognito.get_user(AccessToken=fresh["AccessToken"])
    assert _error(signed_out) == ("NotAuthorizedException", "Access Token has been revoked")

    again = _sign_in(cognito, sandbox, email, "Reset-Passw0rd!")
    cognito.revoke_token(ClientId=sandbox.client_id, Token=again["RefreshToken"])
    with pytest.raises(ClientError) as revoked:
        cognito.get_user(AccessToken=again["AccessToken"])
    assert _error(revoked)[0] == "NotAuthorizedException"


def test_validation_errors_name_the_member(cognito: Any, sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as exc:
        cognito.sign_up(ClientId=sandbox.client_id, Username="x" * 129 + "@example.com", Password=PASSWORD)
    code, message = _error(exc)
    assert code == "InvalidParameterException"
    assert (
        "Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128" in message
    )


def test_unknown_client(cognito: Any) -> None:
    with pytest.raises(ClientError) as exc:
        cognito.sign_up(ClientId="doesnotexist", Username=unique_email(), Password=PASSWORD)
    assert _error(exc)[0] == "ResourceNotFoundException"
