"""The per-address rate limits (core/rate_limits.py) on /oauth2/token, /oauth2/revoke and the hosted forms,
in-process (the TestClient's address is "testclient"): every request spends a token of its class, whatever
its grant or form, and the refusal is the protocol's own — 429 and Retry-After for OAuth, the alert on a page."""

from __future__ import annotations

from pathlib import Path

from tests.support.sandbox import PASSWORD
from tests.web.browser import alert
from tests.web.hosted_app import hosted
from userpool.core.store import UserQuery

LIMIT_EXCEEDED = "Attempt limit exceeded, please try after some time."


def test_the_token_endpoint_is_limited_per_address_across_grants(tmp_path: Path) -> None:
    with hosted(tmp_path, security={"rate_limits": {"sign_in": "4/hour"}}) as app:
        client_id = app.pool.default_client_id
        forms = [
            {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": "not-a-token"},
            {"grant_type": "authorization_code", "client_id": client_id, "code": "guess", "redirect_uri": "x"},
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "guess"},
            {"grant_type": "password", "username": "a", "password": "b"},  # unsupported: still counted
        ]
        for form in forms:
            refused = app.http.post("/oauth2/token", data=form)
            assert refused.status_code in (400, 401), refused.text
            assert refused.json()["error"] != "too_many_requests"

        throttled = app.http.post("/oauth2/token", data=forms[0])
        assert throttled.status_code == 429
        assert throttled.json() == {
            "error": "too_many_requests",
            "error_description": "Too many requests from this address; retry after some time.",
        }
        assert int(throttled.headers["retry-after"]) >= 1  # a token comes back every 15 minutes
        assert throttled.headers["cache-control"] == "no-store"
        # Not even a form, not even a revocation: refused before it is read.
        assert app.http.post("/oauth2/token", content=b"{", headers={"content-type": "text/plain"}).status_code == 429
        assert app.http.post("/oauth2/revoke", data={"token": "x", "client_id": client_id}).status_code == 429


def test_revocation_spends_the_same_tokens(tmp_path: Path) -> None:
    with hosted(tmp_path, security={"rate_limits": {"sign_in": "2/hour"}}) as app:
        form = {"token": "not-a-token", "client_id": app.pool.default_client_id}
        assert app.http.post("/oauth2/revoke", data=form).status_code != 429
        assert app.http.post("/oauth2/token", data={"grant_type": "refresh_token"}).status_code != 429
        throttled = app.http.post("/oauth2/revoke", data=form)
        assert throttled.status_code == 429
        assert throttled.json()["error"] == "too_many_requests"


def test_unlimited_when_the_definition_turns_the_limits_off(tmp_path: Path) -> None:
    with hosted(tmp_path, security={"rate_limits": None}) as app:
        for _ in range(30):
            answer = app.http.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "x"})
            assert answer.status_code != 429


def test_the_hosted_sign_in_form_and_the_token_endpoint_share_the_sign_in_bucket(tmp_path: Path) -> None:
    with hosted(tmp_path, security={"rate_limits": {"sign_in": "2/hour"}}) as app, app.browser() as b:
        page = app.get("/login")
        wrong = b.submit(page, {"username": "nobody@example.com", "password": "Wr0ng-Password!"})
        assert alert(wrong) == "Incorrect username or password."
        assert app.http.post("/oauth2/token", data={"grant_type": "refresh_token"}).status_code != 429
        page = app.get("/login")
        throttled = b.submit(page, {"username": "nobody@example.com", "password": PASSWORD})
        assert throttled.status_code == 400
        assert alert(throttled) == LIMIT_EXCEEDED


def test_the_hosted_sign_up_and_forgot_password_forms_are_limited(tmp_path: Path) -> None:
    limits = {"sign_up": "1/hour", "password_reset": "1/hour"}
    with hosted(tmp_path, security={"rate_limits": limits}) as app, app.browser() as b:
        page = app.get("/signup")
        fields = {"username": "first@example.com", "password": PASSWORD, "confirm_password": PASSWORD}
        assert b.submit(page, fields).status_code == 303
        page = app.get("/signup")
        throttled = b.submit(page, {**fields, "username": "second@example.com"})
        assert alert(throttled) == LIMIT_EXCEEDED
        with app.pool.store.begin() as tx:  # the refused sign-up created nobody
            users = tx.list_users(app.pool.config.pool_id, UserQuery()).items
        assert len(users) == 1

        page = app.get("/forgotPassword")
        assert alert(b.submit(page, {"username": "first@example.com"})) != LIMIT_EXCEEDED
        page = app.get("/forgotPassword")
        assert alert(b.submit(page, {"username": "first@example.com"})) == LIMIT_EXCEEDED


def test_the_json_api_counts_totp_guesses_and_says_when_to_retry(tmp_path: Path) -> None:
    with hosted(tmp_path, security={"rate_limits": {"sign_in": "2/hour"}}) as app:
        headers = {
            "x-amz-target": "AWSCognitoIdentityProviderService.VerifySoftwareToken",
            "content-type": "application/x-amz-json-1.1",
        }
        body = {"AccessToken": "not.a.token", "UserCode": "123456"}
        for _ in range(2):
            refused = app.http.post("/", json=body, headers=headers)
            assert refused.json()["__type"] != "TooManyRequestsException", refused.text
        throttled = app.http.post("/", json=body, headers=headers)
        assert throttled.status_code == 400 and throttled.json()["__type"] == "TooManyRequestsException"
        assert int(throttled.headers["retry-after"]) >= 1
