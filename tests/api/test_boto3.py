"""The seed's journey through boto3, the AWS SDK for Python, exactly as an app would call Cognito."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
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


def _confirmed_user(cognito: Any, sandbox: Sandbox, email: str) -> dict[str, Any]:
    cognito.sign_up(
        ClientId=sandbox.client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    cognito.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode=sandbox.last_code(email))
    return _sign_in(cognito, sandbox, email)


def _attributes(cognito: Any, access_token: str) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in cognito.get_user(AccessToken=access_token)["UserAttributes"]}


def test_delete_user_attributes(cognito: Any, sandbox: Sandbox) -> None:
    email = unique_email()
    token = _confirmed_user(cognito, sandbox, email)["AccessToken"]
    cognito.update_user_attributes(
        AccessToken=token,
        UserAttributes=[{"Name": "given_name", "Value": "Ada"}, {"Name": "family_name", "Value": "Lovelace"}],
    )
    assert cognito.delete_user_attributes(AccessToken=token, UserAttributeNames=["given_name", "nickname"])
    attributes = _attributes(cognito, token)
    assert "given_name" not in attributes and attributes["family_name"] == "Lovelace"

    schema = "Attributes did not conform to the schema"
    refusals = {
        ("email",): ("InvalidParameterException", f"{schema}: email: The attribute email is required"),
        ("sub",): ("NotAuthorizedException", "A client attempted to write unauthorized attribute: sub"),
        ("family_name", "shoe_size"): (
            "InvalidParameterException",
            f"{schema}: Type for attribute {{shoe_size}} could not be determined",
        ),
    }
    for names, expected in refusals.items():
        with pytest.raises(ClientError) as refused:
            cognito.delete_user_attributes(AccessToken=token, UserAttributeNames=list(names))
        assert _error(refused) == expected
    assert _attributes(cognito, token)["family_name"] == "Lovelace"  # all or nothing


def test_get_user_auth_factors(cognito: Any, sandbox: Sandbox) -> None:
    email = unique_email()
    token = _confirmed_user(cognito, sandbox, email)["AccessToken"]
    factors = cognito.get_user_auth_factors(AccessToken=token)
    assert factors["Username"] == _attributes(cognito, token)["sub"]
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD"]
    assert "PreferredMfaSetting" not in factors and "UserMFASettingList" not in factors


def test_attribute_verification_code_and_verify(cognito: Any, sandbox: Sandbox) -> None:
    email = unique_email()
    token = _confirmed_user(cognito, sandbox, email)["AccessToken"]
    sent = cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    assert sent["CodeDeliveryDetails"] == {
        "Destination": f"{email[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    code = sandbox.last_code(email)
    with pytest.raises(ClientError) as wrong:
        cognito.verify_user_attribute(
            AccessToken=token, AttributeName="email", Code="000000" if code != "000000" else "111111"
        )
    assert _error(wrong) == ("CodeMismatchException", "Invalid verification code provided, please try again.")
    cognito.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    assert _attributes(cognito, token)["email_verified"] == "true"
    with pytest.raises(ClientError) as used:
        cognito.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    assert _error(used) == ("ExpiredCodeException", "Invalid code provided, please request a code again.")


def test_delete_user(cognito: Any, sandbox: Sandbox) -> None:
    email = unique_email()
    tokens = _confirmed_user(cognito, sandbox, email)
    cognito.delete_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(ClientError) as gone:
        cognito.get_user(AccessToken=tokens["AccessToken"])
    assert _error(gone)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as no_sign_in:
        _sign_in(cognito, sandbox, email)
    assert _error(no_sign_in) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(ClientError) as no_refresh:
        cognito.get_tokens_from_refresh_token(ClientId=sandbox.client_id, RefreshToken=tokens["RefreshToken"])
    assert _error(no_refresh)[0] == "NotAuthorizedException"


def test_resend_cooldown(sandbox: Sandbox) -> None:
    """Five codes back to back, then LimitExceededException with nothing sent — for an unknown user too."""
    # botocore retries LimitExceededException (a throttling code) four times; one attempt shows the answer.
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=sandbox.endpoint,
        region_name=sandbox.region,
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
        config=Config(retries={"total_max_attempts": 1}),
    )
    email = unique_email()
    cognito.sign_up(ClientId=sandbox.client_id, Username=email, Password=PASSWORD)
    for _ in range(4):
        cognito.resend_confirmation_code(ClientId=sandbox.client_id, Username=email)
    sent = [m for m in sandbox.messages() if m["to"] == email]
    assert len(sent) == 5
    with pytest.raises(ClientError) as limited:
        cognito.resend_confirmation_code(ClientId=sandbox.client_id, Username=email)
    assert _error(limited) == ("LimitExceededException", "Attempt limit exceeded, please try after some time.")
    assert [m for m in sandbox.messages() if m["to"] == email] == sent
    cognito.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode=sent[-1]["code"])

    nobody = unique_email("nobody")
    for _ in range(5):
        assert cognito.forgot_password(ClientId=sandbox.client_id, Username=nobody)["CodeDeliveryDetails"]
    with pytest.raises(ClientError) as also_limited:
        cognito.forgot_password(ClientId=sandbox.client_id, Username=nobody)
    assert _error(also_limited)[0] == "LimitExceededException"
