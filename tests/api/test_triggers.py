"""Triggers end to end: a real sandbox whose amplify/auth/resource.py defines them, driven with boto3."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.sandbox import PASSWORD, Sandbox, start_sandbox, unique_email

RESOURCE = """from pathlib import Path

from userpool import define_auth

CLOSED = Path(__file__).resolve().parents[2] / "closed.flag"  # the app folder: sign-ups closed while it exists


def pre_sign_up(event):
    email = event["request"]["userAttributes"].get("email", "")
    if email.endswith("@blocked.example"):
        raise Exception("Sign-ups from blocked.example are not allowed")
    if CLOSED.exists():
        raise Exception("Sign-ups are closed")
    if email.endswith("@trusted.example"):
        event["response"]["autoConfirmUser"] = True
        event["response"]["autoVerifyEmail"] = True
    return event


def post_confirmation(event, context):  # a Lambda handler's signature
    if event["request"]["userAttributes"]["email"].startswith("flaky"):
        raise RuntimeError("the welcome service is down")


def custom_message(event):
    if event["triggerSource"] == "CustomMessage_SignUp":
        event["response"]["emailSubject"] = "Welcome to Example"
        event["response"]["emailMessage"] = "Welcome! Your code is " + event["request"]["codeParameter"] + "."
    return event


def pre_token_generation(event):
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"tenant": "acme"},
        "claimsToSuppress": ["email"],
    }
    return event


auth = define_auth(
    login_with={"email": True},
    triggers={
        "preSignUp": pre_sign_up,
        "postConfirmation": post_confirmation,
        "customMessage": custom_message,
        "preTokenGeneration": pre_token_generation,
    },
)
"""


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(Path(tmp_path_factory.mktemp("triggers")), RESOURCE)
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def idp(box: Sandbox) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=box.endpoint,
        region_name=box.region,
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
    )


def _sign_up(idp: Any, box: Sandbox, email: str) -> dict[str, Any]:
    result: dict[str, Any] = idp.sign_up(
        ClientId=box.client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    return result


def _error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def _sign_in(idp: Any, box: Sandbox, email: str) -> dict[str, Any]:
    result: dict[str, Any] = idp.initiate_auth(
        ClientId=box.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return result["AuthenticationResult"]


def test_a_refusing_pre_sign_up_answers_cognitos_error_and_sends_nothing(idp: Any, box: Sandbox) -> None:
    email = unique_email("ada").replace("@example.com", "@blocked.example")
    with pytest.raises(ClientError) as caught:
        _sign_up(idp, box, email)
    assert _error(caught) == (
        "UserLambdaValidationException",
        "PreSignUp failed with error Sign-ups from blocked.example are not allowed.",
    )
    assert not [m for m in box.messages() if m["to"] == email]


def test_a_refused_sign_up_leaves_no_user_behind(idp: Any, box: Sandbox) -> None:
    email = unique_email("later")
    flag = box.app_dir / "closed.flag"
    flag.write_text("closed")
    try:
        with pytest.raises(ClientError) as caught:
            _sign_up(idp, box, email)
        assert _error(caught) == ("UserLambdaValidationException", "PreSignUp failed with error Sign-ups are closed.")
    finally:
        flag.unlink()
    assert _sign_up(idp, box, email)["UserConfirmed"] is False  # no account was left holding the email


def test_trusted_sign_ups_are_confirmed_and_verified_without_a_code(idp: Any, box: Sandbox) -> None:
    email = unique_email("ada").replace("@example.com", "@trusted.example")
    result = _sign_up(idp, box, email)
    assert result["UserConfirmed"] is True and "CodeDeliveryDetails" not in result
    tokens = _sign_in(idp, box, email)
    user = idp.get_user(AccessToken=tokens["AccessToken"])
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    assert not [m for m in box.messages() if m["to"] == email]


def test_the_custom_message_writes_the_sign_up_email(idp: Any, box: Sandbox) -> None:
    email = unique_email("bob")
    result = _sign_up(idp, box, email)
    assert result["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    code = box.last_code(email)
    [message] = [m for m in box.messages() if m["to"] == email]
    assert message["subject"] == "Welcome to Example"
    assert message["body"] == f"Welcome! Your code is {code}."


def test_pre_token_generation_adds_and_suppresses_id_token_claims(idp: Any, box: Sandbox) -> None:
    email = unique_email("cy")
    _sign_up(idp, box, email)
    idp.confirm_sign_up(ClientId=box.client_id, Username=email, ConfirmationCode=box.last_code(email))
    tokens = _sign_in(idp, box, email)
    id_token, access = _payload(tokens["IdToken"]), _payload(tokens["AccessToken"])
    assert id_token["tenant"] == "acme" and "email" not in id_token and "tenant" not in access
    refreshed = idp.initiate_auth(
        ClientId=box.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert _payload(refreshed["IdToken"])["tenant"] == "acme"


def test_a_refusing_post_confirmation_leaves_the_user_unconfirmed(idp: Any, box: Sandbox) -> None:
    email = unique_email("flaky")
    _sign_up(idp, box, email)
    code = box.last_code(email)
    with pytest.raises(ClientError) as caught:
        idp.confirm_sign_up(ClientId=box.client_id, Username=email, ConfirmationCode=code)
    assert _error(caught) == (
        "UserLambdaValidationException",
        "PostConfirmation failed with error the welcome service is down.",
    )
    with pytest.raises(ClientError) as caught:
        _sign_in(idp, box, email)
    assert _error(caught)[0] == "UserNotConfirmedException"
