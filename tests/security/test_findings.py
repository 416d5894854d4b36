"""Regression tests for what the attack suites found, one each (SECURITY.md lists them)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.world import InProcess, in_process, poster

NESTED_HEADER_TOKEN = base64.urlsafe_b64encode(b"[" * 1400).rstrip(b"=").decode() + ".e30.c2ln"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    with in_process(Path(tmp_path_factory.mktemp("findings"))) as running:
        yield running


def test_json_nested_deeper_than_the_parser_recurses_is_a_serialization_error(app: InProcess) -> None:
    """Finding 1: a body of 100,000 `[` made json.loads raise RecursionError, answered 500."""
    for body in (b"[" * 100_000, b'{"a":' * 20_000 + b"1" + b"}" * 20_000):
        response = app.http.post(
            "/",
            content=body,
            headers={
                "x-amz-target": "AWSCognitoIdentityProviderService.SignUp",
                "content-type": "application/x-amz-json-1.1",
            },
        )
        assert response.status_code == 400
        assert response.json()["__type"] == "SerializationException"
        assert "nests JSON too deeply" in response.json()["message"]


def test_a_token_whose_header_nests_too_deeply_is_refused_not_a_crash(app: InProcess) -> None:
    """Finding 2: an access token whose header is 1,400 nested arrays crashed every token-authorised action,
    the recovery-code extensions and /oauth2/userInfo with RecursionError (500)."""
    post = poster(app.http)
    for action in ("GetUser", "GlobalSignOut", "UserpoolExtensions.GetRecoveryCodeStatus"):
        response = post(action, {"AccessToken": NESTED_HEADER_TOKEN})
        assert response.status_code == 400, (action, response.text)
        assert response.json()["__type"] == "NotAuthorizedException"
    userinfo = app.http.get("/oauth2/userInfo", headers={"Authorization": f"Bearer {NESTED_HEADER_TOKEN}"})
    assert userinfo.status_code == 401
    assert userinfo.json()["error"] == "invalid_token"


def test_verify_token_in_an_app_refuses_a_deeply_nested_header() -> None:
    """Finding 2, the app side: `userpool.integrations.verify` raised RecursionError out of the app's handler."""
    from userpool.integrations.verify import TokenError, TokenVerifier

    verifier = TokenVerifier("http://127.0.0.1:9/us-east-1_AAAAAAAAA", ["client"])
    with pytest.raises(TokenError):
        verifier.verify(NESTED_HEADER_TOKEN, "access")
