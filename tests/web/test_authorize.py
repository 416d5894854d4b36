"""/oauth2/authorize and /logout against the sandbox: what is redirected, what is shown, and where to."""

from __future__ import annotations

import pytest

from tests.support.sandbox import Sandbox, unique_email
from tests.web.browser import CALLBACK, Browser, Pkce, create_user, query_of


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://localhost.evil.example:3000/cb",
        "http://localhost:3000@evil.example/cb",
        "http://evil.example/?http://localhost:3000/",
        "https://localhost:3000/cb",  # loopback means http (RFC 8252 §7.3)
        "http://localhost:3000/cb#fragment",
        "http://localhost:3000\\@evil.example/",
        "javascript:alert(1)",
        "",
    ],
)
def test_unregistered_redirect_uri_shows_an_error_and_never_redirects(sandbox: Sandbox, redirect_uri: str) -> None:
    with Browser(sandbox) as b:
        response = b.authorize(
            b.authorize_query(Pkce.new(), redirect_uri=redirect_uri) | {"redirect_uri": redirect_uri}
        )
        assert response.status_code == 400
        assert "location" not in response.headers
        assert "An error was encountered with the requested page." in response.text
        assert 'role="alert"' in response.text


def test_unknown_client_shows_an_error(sandbox: Sandbox) -> None:
    with Browser(sandbox) as b:
        response = b.authorize(b.authorize_query(Pkce.new(), client_id="nosuchclient"))
        assert response.status_code == 400
        assert "location" not in response.headers
        assert "not known to this user pool" in response.text


@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1:8080/cb", "http://[::1]:5173/", "http://localhost/cb?x=1", CALLBACK]
)
def test_loopback_redirects_are_accepted_in_the_sandbox(sandbox: Sandbox, redirect_uri: str) -> None:
    with Browser(sandbox) as b:
        response = b.authorize(b.authorize_query(Pkce.new(), redirect_uri=redirect_uri))
        assert response.status_code == 302
        assert response.headers["location"].startswith("/login?")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": "", "code_challenge_method": ""}, "invalid_request"),  # PKCE required
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": ""}, "invalid_request"),
        ({"scope": "openid bogus"}, "invalid_scope"),
        ({"scope": "email"}, "invalid_scope"),  # email needs openid, as in Cognito
    ],
)
def test_other_errors_go_back_to_the_app(sandbox: Sandbox, change: dict[str, str], error: str) -> None:
    with Browser(sandbox) as b:
        params = b.authorize_query(Pkce.new(), redirect_uri="http://localhost:3000/cb?keep=1")
        params.update(change)
        response = b.authorize({k: v for k, v in params.items() if v})
        assert response.status_code == 302
        location = response.headers["location"]
        assert location.startswith("http://localhost:3000/cb?keep=1&")
        query = query_of(location)
        assert query["error"] == error
        assert query["state"] == params["state"]
        assert "code" not in query


def test_logout_ends_the_session_and_redirects_only_to_allowed_uris(sandbox: Sandbox) -> None:
    email = unique_email("logout")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        params = b.authorize_query(Pkce.new())
        b.sign_in(params, email)
        assert b.authorize(params).headers["location"].startswith(CALLBACK)  # signed in: straight back

        out = b.get("/logout", client_id=sandbox.client_id, logout_uri="http://localhost:3000/bye")
        assert out.status_code == 302
        assert out.headers["location"] == "http://localhost:3000/bye"
        assert "userpool-session=" in out.headers["set-cookie"]
        assert b.authorize(params).headers["location"].startswith("/login?")  # signed out

        b.sign_in(params, email)
        evil = b.get("/logout", client_id=sandbox.client_id, logout_uri="https://evil.example/")
        assert evil.status_code == 200
        assert "You have signed out" in evil.text
        assert b.authorize(params).headers["location"].startswith("/login?")


def test_logout_with_a_redirect_uri_goes_to_sign_in_again(sandbox: Sandbox) -> None:
    with Browser(sandbox) as b:
        params = b.authorize_query(Pkce.new())
        response = b.get("/logout", **params)
        assert response.status_code == 302
        location = response.headers["location"]
        assert location.startswith("/login?")
        assert query_of(location)["redirect_uri"] == CALLBACK
        assert query_of(location)["state"] == params["state"]


def test_a_stolen_session_cookie_value_is_not_enough_after_logout(sandbox: Sandbox) -> None:
    email = unique_email("replay")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        params = b.authorize_query(Pkce.new())
        b.sign_in(params, email)
        cookie = b.http.cookies["userpool-session"]
        b.get("/logout", client_id=sandbox.client_id)
    with Browser(sandbox) as thief:
        thief.http.cookies.set("userpool-session", cookie)
        assert thief.authorize(params).headers["location"].startswith("/login?")


def test_prompt_none_and_prompt_login(sandbox: Sandbox) -> None:
    email = unique_email("prompt")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        silent = b.authorize(b.authorize_query(Pkce.new(), prompt="none"))
        assert query_of(silent.headers["location"])["error"] == "login_required"
        b.sign_in(b.authorize_query(Pkce.new()), email)
        assert "code" in query_of(b.authorize(b.authorize_query(Pkce.new(), prompt="none")).headers["location"])

        params = b.authorize_query(Pkce.new(), prompt="login")
        forced = b.follow(b.authorize(params))
        assert ">Sign In</h1>" in forced.text  # signed in, but asked to sign in again
        assert "code" in b.sign_in(params, email)
