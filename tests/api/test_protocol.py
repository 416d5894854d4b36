"""The JSON 1.1 wire protocol: what every client relies on, and what bad input gets (never a 500)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.sandbox import PASSWORD, Sandbox, unique_email

TARGET = "AWSCognitoIdentityProviderService."


def _post(sandbox: Sandbox, content: bytes | str, target: str | None, **headers: str) -> httpx.Response:
    base = {"content-type": "application/x-amz-json-1.1"}
    if target is not None:
        base["x-amz-target"] = target
    return httpx.post(sandbox.endpoint + "/", content=content, headers={**base, **headers}, timeout=30)


def _assert_error(response: httpx.Response, code: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-errortype"] == f"{code}:"
    assert response.headers["x-amzn-requestid"]
    body = response.json()
    assert body["__type"] == code and body["message"]
    assert "Traceback" not in response.text
    return str(body["message"])


@pytest.mark.parametrize(
    ("content", "target", "code"),
    [
        (b"{}", None, "UnknownOperationException"),
        (b"{}", "SomethingElse.SignUp", "UnknownOperationException"),
        (b"{}", TARGET + "MakeCoffee", "UnknownOperationException"),
        (b"{}", TARGET + "ListWebAuthnCredentials", "UnsupportedOperationException"),
        (b"{}", TARGET + "AdminCreateUser", "MissingAuthenticationTokenException"),  # admin: signed or refused
        (b"{not json", TARGET + "SignUp", "SerializationException"),
        (b"[1, 2]", TARGET + "SignUp", "SerializationException"),
        (b"\xff\xfe", TARGET + "SignUp", "SerializationException"),
        (b'{"ClientId": 5, "Username": "a"}', TARGET + "SignUp", "SerializationException"),
        (b'{"ClientId": "abc"}', TARGET + "SignUp", "InvalidParameterException"),
        (b'{"AccessToken": null}', TARGET + "GetUser", "InvalidParameterException"),
        (b'{"AuthFlow": "MAGIC", "ClientId": "abc"}', TARGET + "InitiateAuth", "InvalidParameterException"),
        (
            json.dumps({"ClientId": "a", "Username": "b" * 300_000}).encode(),
            TARGET + "SignUp",
            "SerializationException",
        ),
    ],
)
def test_bad_requests_get_a_named_error(sandbox: Sandbox, content: bytes, target: str | None, code: str) -> None:
    _assert_error(_post(sandbox, content, target), code)


def test_missing_member_is_named(sandbox: Sandbox) -> None:
    message = _assert_error(_post(sandbox, b'{"ClientId": "abc"}', TARGET + "SignUp"), "InvalidParameterException")
    assert message == (
        "1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null"
    )


_FAILED = "1 validation error detected: {} failed to satisfy constraint: Member must "


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    [
        (  # a pattern, as botocore writes it, with the value
            "UpdateAuthEventFeedback",
            {"UserPoolId": "no pool", "Username": "a", "EventId": "e", "FeedbackToken": "t", "FeedbackValue": "Valid"},
            _FAILED.format("Value 'no pool' at 'userPoolId'")
            + "satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+",
        ),
        (  # an enum
            "UpdateAuthEventFeedback",
            {
                "UserPoolId": "us-east-1_a",
                "Username": "a",
                "EventId": "e",
                "FeedbackToken": "t",
                "FeedbackValue": "Maybe",
            },
            _FAILED.format("Value 'Maybe' at 'feedbackValue'") + "satisfy enum value set: [Valid, Invalid]",
        ),
        (  # a nested member, and botocore's Java-style pattern shown though a Python translation matched it
            "SignUp",
            {
                "ClientId": "abc",
                "Username": "ada",
                "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": "a@b.c"}, {"Name": "nick\u0001name", "Value": "x"}],
            },
            _FAILED.format("Value 'nick\u0001name' at 'userAttributes.2.member.name'")
            + "satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r ]+",
        ),
        (  # an integer above its maximum, and below its minimum
            "ListDevices",
            {"AccessToken": "token", "Limit": 61},
            _FAILED.format("Value '61' at 'limit'") + "have value less than or equal to 60",
        ),
        (
            "ListDevices",
            {"AccessToken": "token", "Limit": -1},
            _FAILED.format("Value '-1' at 'limit'") + "have value greater than or equal to 0",
        ),
        (  # a sensitive member: where, never what
            "SignUp",
            {"ClientId": "abc", "Username": "ada", "Password": "p" * 257},
            _FAILED.format("Value at 'password'") + "have length less than or equal to 256",
        ),
    ],
)
def test_validation_messages_show_the_value_unless_it_is_secret(
    sandbox: Sandbox, action: str, body: dict[str, Any], expected: str
) -> None:
    response = _post(sandbox, json.dumps(body), TARGET + action)
    assert _assert_error(response, "InvalidParameterException") == expected


def test_success_is_json_even_when_empty(sandbox: Sandbox) -> None:
    email = unique_email()
    body = {"ClientId": sandbox.client_id, "Username": email, "Password": PASSWORD}
    assert _post(sandbox, json.dumps(body), TARGET + "SignUp").status_code == 200
    confirm = {"ClientId": sandbox.client_id, "Username": email, "ConfirmationCode": sandbox.last_code(email)}
    response = _post(sandbox, json.dumps(confirm), TARGET + "ConfirmSignUp")
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["content-type"] == "application/x-amz-json-1.1"


def test_a_refused_request_writes_nothing(sandbox: Sandbox) -> None:
    email = unique_email()
    weak = {"ClientId": sandbox.client_id, "Username": email, "Password": "weak"}
    _assert_error(_post(sandbox, json.dumps(weak), TARGET + "SignUp"), "InvalidPasswordException")
    assert not [m for m in sandbox.messages() if m["to"] == email]
    good = {**weak, "Password": PASSWORD}
    assert _post(sandbox, json.dumps(good), TARGET + "SignUp").status_code == 200  # the name was never taken


def test_unicode_values_round_trip(sandbox: Sandbox) -> None:
    email = unique_email()
    body = {
        "ClientId": sandbox.client_id,
        "Username": email,
        "Password": "Пароль-Ünïcødé-1",
        "UserAttributes": [{"Name": "name", "Value": "Zoë 李 🙂"}],
    }
    assert _post(sandbox, json.dumps(body), TARGET + "SignUp").status_code == 200
    sandbox.call(
        "ConfirmSignUp",
        {"ClientId": sandbox.client_id, "Username": email, "ConfirmationCode": sandbox.last_code(email)},
    )
    auth = sandbox.call(
        "InitiateAuth",
        {
            "ClientId": sandbox.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": "Пароль-Ünïcødé-1"},
        },
    )
    token = auth.json()["AuthenticationResult"]["AccessToken"]
    attrs = {a["Name"]: a["Value"] for a in sandbox.call("GetUser", {"AccessToken": token}).json()["UserAttributes"]}
    assert attrs["name"] == "Zoë 李 🙂"


def test_cors_lets_a_browser_app_call(sandbox: Sandbox) -> None:
    preflight = httpx.options(
        sandbox.endpoint + "/",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent,cache-control,"
            "amz-sdk-invocation-id,amz-sdk-request",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "http://localhost:5173")
    allowed = preflight.headers["access-control-allow-headers"].lower()
    for header in ("x-amz-target", "x-amz-user-agent", "amz-sdk-request", "cache-control"):
        assert header in allowed
    response = _post(sandbox, b"{}", TARGET + "GetUser", Origin="http://localhost:5173")
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-amzn-errortype" in exposed and "x-amzn-requestid" in exposed


def test_jwks_and_discovery(sandbox: Sandbox) -> None:
    jwks = httpx.get(f"{sandbox.endpoint}/{sandbox.pool_id}/.well-known/jwks.json").json()
    assert len(jwks["keys"]) == 2 and {k["alg"] for k in jwks["keys"]} == {"RS256"}
    assert all(set(k) == {"alg", "e", "kid", "kty", "n", "use"} for k in jwks["keys"])
    config = httpx.get(f"{sandbox.endpoint}/{sandbox.pool_id}/.well-known/openid-configuration").json()
    assert config["issuer"] == f"{sandbox.endpoint}/{sandbox.pool_id}"
    assert config["jwks_uri"] == f"{sandbox.endpoint}/{sandbox.pool_id}/.well-known/jwks.json"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert httpx.get(f"{sandbox.endpoint}/us-east-1_nope/.well-known/jwks.json").status_code == 404


# Fuzzing the endpoint (every action, from botocore's shapes, in-process and against a sandbox) lives in
# tests/security/test_fuzz_api.py.
