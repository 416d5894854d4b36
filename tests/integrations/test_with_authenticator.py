"""with_authenticator in-process (Starlette/FastAPI TestClient, Flask and Django test clients) against a
real sandbox.

The app runs in the test process; the OAuth side is the real `userpool sandbox`, whose hosted sign-in page
is driven with httpx and a small form parser. Every test runs once per framework (tests/integrations/_apps.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import Flask

from tests.integrations._apps import (
    FRAMEWORKS,
    SECRET,
    App,
    Page,
    Reply,
    confirm_user,
    framework_app,
    hosted_sign_in,
    starlette_app,
)
from tests.support.sandbox import Sandbox, unique_email
from userpool.integrations._client import AuthClient
from userpool.integrations._model import LOGIN_COOKIE, SESSION_COOKIE, AuthError, Tokens, WebRequest, safe_next
from userpool.integrations.flask import Authenticator
from userpool.integrations.starlette import SignOut


@pytest.fixture(scope="module")
def confirmed_email(sandbox: Sandbox) -> str:
    return confirm_user(sandbox, unique_email("hosted"))


@pytest.fixture
def browser(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.endpoint, follow_redirects=False, timeout=30) as client:
        yield client


# -- the app under test, in each framework --------------------------------------------------------------


@pytest.fixture(params=FRAMEWORKS)
def app(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[App]:
    with framework_app(request.param, sandbox.outputs) as running:
        yield running


def sign_in(app: App, browser: httpx.Client, email: str, target: str = "/") -> Reply:
    """Visit `target` signed out, sign in on the hosted page, and return the app's callback answer."""
    start = app.get(target)
    assert start.status == 302
    callback = hosted_sign_in(browser, start.location, email)
    assert callback.startswith(app.origin + "/auth/callback?")
    return app.get(callback)


def session(app: App) -> Tokens:
    tokens = app.auth.read_session(app.cookies())
    assert tokens is not None
    return tokens


# -- tests -----------------------------------------------------------------------------------------------


def test_signed_out_page_load_redirects_to_authorize_with_pkce(app: App, sandbox: Sandbox) -> None:
    reply = app.get("/?x=1&y=%2F")
    assert reply.status == 302
    url = urlsplit(reply.location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sandbox.endpoint}/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["response_type"] == "code" and query["client_id"] == sandbox.client_id
    assert query["redirect_uri"] == f"{app.origin}/auth/callback"
    assert query["code_challenge_method"] == "S256" and re.fullmatch(r"[A-Za-z0-9_-]{43}", query["code_challenge"])
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32 and query["state"] != query["nonce"]
    assert "openid" in query["scope"].split()
    login = next(c for c in reply.set_cookies if c.startswith(LOGIN_COOKIE + "="))
    assert "HttpOnly" in login and "SameSite=Lax" in login and "Path=/auth/callback" in login
    assert "Secure" not in login  # plain http here; https origins get Secure
    sealed = app.auth.unseal(app.cookies()[LOGIN_COOKIE], LOGIN_COOKIE)
    assert sealed is not None and sealed["next"] == "/?x=1&y=%2F" and sealed["s"] == query["state"]


def test_signed_out_script_request_gets_401(app: App) -> None:
    assert app.get("/api", {"accept": "application/json"}).status == 401
    assert app.get("/api", {"accept": "text/html", "sec-fetch-mode": "cors"}).status == 401
    assert app.post("/", {}).status in (401, 405)


def test_full_sign_in_round_trip_and_sign_out(
    app: App, browser: httpx.Client, sandbox: Sandbox, confirmed_email: str
) -> None:
    start = app.get("/?tab=2")
    callback = hosted_sign_in(browser, start.location, confirmed_email)
    assert callback.startswith(app.origin + "/auth/callback?code=") or "code=" in callback
    done = app.get(callback)
    assert done.status == 303 and done.location == "/?tab=2"
    cookie = next(c for c in done.set_cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert any(
        c.startswith((LOGIN_COOKIE + "=;", LOGIN_COOKIE + '="";')) and "Max-Age=0" in c for c in done.set_cookies
    )
    replayed = app.get(callback)  # the back button: already signed in, so just home (the code is spent)
    assert replayed.status == 303 and replayed.location == "/"
    home = app.get("/")
    assert home.status == 200 and f"<h1>Hello {confirmed_email}</h1>" in home.text
    assert app.get("/api", {"accept": "application/json"}).status == 200
    tokens = session(app)
    assert tokens.refresh_token

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf is not None
    assert app.post("/auth/sign-out", {}).status == 403  # no CSRF token: refused, still signed in
    assert app.post("/auth/sign-out", {"csrf_token": "forged"}).status == 403
    assert app.get("/").status == 200

    out = app.post("/auth/sign-out", {"csrf_token": csrf.group(1)})
    assert out.status == 303
    logout = urlsplit(out.location)
    assert f"{logout.scheme}://{logout.netloc}{logout.path}" == f"{sandbox.endpoint}/logout"
    assert parse_qs(logout.query) == {"client_id": [sandbox.client_id], "logout_uri": [app.origin + "/"]}
    assert any(c.startswith(SESSION_COOKIE + "=") and "Max-Age=0" in c for c in out.set_cookies)
    assert app.auth.read_session(app.cookies()) is None
    assert app.get("/").status == 302
    # The refresh token is revoked at the pool...
    with pytest.raises(AuthError, match="refused"):
        app.auth.refresh(tokens)
    # ...and the hosted session ends too: the next sign-in shows the Sign In page again.
    ended = browser.get(out.location)
    assert ended.status_code in (302, 303) and ended.headers["location"] == app.origin + "/"
    again = browser.get(app.get("/").location)
    while again.is_redirect and again.headers["location"].startswith("/"):  # within the pool
        again = browser.get(again.headers["location"])
    assert again.status_code == 200 and Page(again.text).headings == ["Sign In"], again.headers


def test_callback_with_bad_state_is_refused(app: App, browser: httpx.Client, confirmed_email: str) -> None:
    start = app.get("/")
    callback = hosted_sign_in(browser, start.location, confirmed_email)
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    reply = app.get(forged)
    assert reply.status == 400 and "state" in reply.text
    assert app.auth.read_session(app.cookies()) is None
    assert app.get(callback).status == 400  # the attempt is spent: its login cookie was cleared


def test_callback_without_a_sign_in_attempt_is_refused(app: App) -> None:
    reply = app.get("/auth/callback?code=abc&state=def")
    assert reply.status == 400 and "expired" in reply.text


def test_callback_error_from_the_pool(app: App) -> None:
    start = app.get("/")
    state = parse_qs(urlsplit(start.location).query)["state"][0]
    reply = app.get(f"/auth/callback?error=access_denied&state={state}")
    assert reply.status == 400 and "access_denied" in reply.text


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "/\\evil.example", "https://evil.example/", "/%0d%0aLocation:x", "/auth/sign-out"]
)
def test_open_redirect_refused_by_sign_in_route(app: App, target: str) -> None:
    reply = app.get(f"/auth/sign-in?next={target}")
    assert reply.status == 302
    sealed = app.auth.unseal(app.cookies()[LOGIN_COOKIE], LOGIN_COOKIE)
    assert sealed is not None and sealed["next"] == "/"


def test_open_redirect_refused_end_to_end(app: App, browser: httpx.Client, confirmed_email: str) -> None:
    start = app.get("/auth/sign-in?next=//evil.example/steal")
    callback = hosted_sign_in(browser, start.location, confirmed_email)
    done = app.get(callback)
    assert done.status == 303 and done.location == "/"


def test_protocol_relative_path_is_not_a_way_out(sandbox: Sandbox) -> None:
    # Starlette routes after the middleware, so a request for //evil.example/steal meets the guard itself.
    with starlette_app(sandbox.outputs) as app:
        assert app.get("//evil.example/steal").status == 302
        sealed = app.auth.unseal(app.cookies()[LOGIN_COOKIE], LOGIN_COOKIE)
        assert sealed is not None and sealed["next"] == "/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", "/"),
        ("/a/b?c=d#e", "/a/b?c=d#e"),
        ("", "/"),
        (None, "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("/a\\b", "/"),
        ("/café?q=€", "/caf%C3%A9?q=%E2%82%AC"),
        ("/already%20encoded", "/already%20encoded"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_silent_refresh(app: App, browser: httpx.Client, confirmed_email: str) -> None:
    sign_in(app, browser, confirmed_email)
    tokens = session(app)
    expired = replace(tokens, expires_at=int(time.time()) - 5)
    request = WebRequest("GET", app.origin, "/", "", "/", {})
    app.set_cookie(SESSION_COOKIE, app.auth.session_cookies(expired, request)[0].value)
    assert session(app).expires_at < time.time()
    home = app.get("/")
    assert home.status == 200 and confirmed_email in home.text
    assert any(c.startswith(SESSION_COOKIE + "=") for c in home.set_cookies)
    fresh = session(app)
    assert fresh.expires_at > time.time() + 600 and fresh.refresh_token == tokens.refresh_token
    assert fresh.access_token != tokens.access_token and fresh.sid == tokens.sid


def test_failed_refresh_signs_out(app: App, browser: httpx.Client, confirmed_email: str) -> None:
    sign_in(app, browser, confirmed_email)
    tokens = session(app)
    assert tokens.refresh_token and app.auth.revoke(tokens.refresh_token)
    request = WebRequest("GET", app.origin, "/", "", "/", {})
    app.set_cookie(SESSION_COOKIE, app.auth.session_cookies(replace(tokens, expires_at=0), request)[0].value)
    reply = app.get("/")
    assert reply.status == 302 and "/oauth2/authorize?" in reply.location
    assert any(c.startswith(SESSION_COOKIE + "=") and "Max-Age=0" in c for c in reply.set_cookies)
    assert app.get("/api", {"accept": "application/json"}).status == 401


def test_tampered_session_cookie_is_ignored(app: App, browser: httpx.Client, confirmed_email: str) -> None:
    sign_in(app, browser, confirmed_email)
    value = app.cookies()[SESSION_COOKIE]
    app.set_cookie(SESSION_COOKIE, value[:-4] + ("AAAA" if value[-4:] != "AAAA" else "BBBB"))
    assert app.get("/").status == 302


def test_large_sessions_are_chunked(sandbox: Sandbox) -> None:
    client = AuthClient(sandbox.outputs, SECRET)
    big = Tokens("h." + "x" * 9000 + ".s", "a.b.c", "r", 10**10, int(time.time()), "sid")
    request = WebRequest("GET", "https://app.example", "/", "", "/", {f"{SESSION_COOKIE}.9": "stale"})
    cookies = client.session_cookies(big, request)
    assert all(len(c.header()) < 4096 and "Secure" in c.header() for c in cookies)
    jar = {c.name: c.value for c in cookies if c.max_age}
    assert len(jar) >= 3 and client.read_session(jar) == big
    assert not any(c.name.endswith(".9") for c in cookies)  # only chunks right after the last are cleared
    assert client.read_session({**jar, SESSION_COOKIE: jar[SESSION_COOKIE][:-1]}) is None


def test_public_paths_and_current_user(app: App, browser: httpx.Client, confirmed_email: str) -> None:
    assert json.loads(app.get("/public/me", {"accept": "application/json"}).text) == {"user": None}
    assert app.get("/public/fastapi", {"accept": "application/json"}).status == 401
    sign_in(app, browser, confirmed_email)
    assert json.loads(app.get("/public/me", {"accept": "application/json"}).text) == {"user": confirmed_email}
    assert app.get("/public/fastapi", {"accept": "application/json"}).status == 200


def test_sign_out_form_is_escaped_and_renders_in_jinja() -> None:
    from jinja2 import Environment

    sign_out = SignOut("/auth/sign-out", '"><script>')
    assert '"><script>' not in sign_out.form() and "&#34;&gt;&lt;script&gt;" in sign_out.form()
    rendered = Environment(autoescape=True).from_string("{{ s }}").render(s=sign_out)
    assert rendered == str(sign_out.form()) and rendered.startswith('<form method="post" action="/auth/sign-out">')


def test_secret_key_must_be_long(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="secret_key"):
        AuthClient(sandbox.outputs, "short")
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Authenticator(Flask(__name__), outputs=sandbox.outputs)


def test_missing_outputs_file_says_what_to_do(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError, match="userpool sandbox"):
        AuthClient(tmp_path / "amplify_outputs.json", SECRET)


def _fake_pool(nonce: str | None, status: int = 200) -> tuple[dict[str, Any], httpx.Client]:
    """Outputs and an HTTP client for a pool that answers every code with tokens carrying `nonce`."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    endpoint, pool_id, client_id = "https://pool.example", "us-east-1_Fake", "fakeclient"
    issuer = f"{endpoint}/{pool_id}"
    outputs = {
        "auth": {"user_pool_id": pool_id, "user_pool_client_id": client_id, "aws_region": "us-east-1"},
        "custom": {"userpool": {"endpoint": endpoint, "issuer": issuer}},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jwks.json"):
            return httpx.Response(200, json={"keys": [key.as_dict(private=False)]})
        now = int(time.time())
        common = {"sub": "s-1", "iss": issuer, "iat": now, "exp": now + 3600}
        id_claims = {**common, "aud": client_id, "token_use": "id", "email": "a@example.com"}
        if nonce is not None:
            id_claims["nonce"] = nonce
        access_claims = {**common, "client_id": client_id, "token_use": "access"}
        sign = lambda claims: jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)  # noqa: E731
        body = {"id_token": sign(id_claims), "access_token": sign(access_claims), "refresh_token": "r"}
        return httpx.Response(status, json=body if status == 200 else {"error": "invalid_grant"})

    return outputs, httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("nonce", "status", "message"),
    [("from-another-attempt", 200, "(nonce)"), (None, 200, "(nonce)"), ("x", 400, "invalid_grant")],
)
def test_callback_refuses_tokens_of_another_attempt(nonce: str | None, status: int, message: str) -> None:
    outputs, http = _fake_pool(nonce, status)
    with http:
        client = AuthClient(outputs, SECRET, http=http)
        request = WebRequest("GET", "http://127.0.0.1:8000", "/", "", "/", {})
        begun = client.begin(request, "/")
        state = parse_qs(urlsplit(dict(begun.all_headers())["Location"]).query)["state"][0]
        login = dict(begun.all_headers())["Set-Cookie"].split(";")[0].split("=", 1)[1]
        callback = WebRequest(
            "GET", request.origin, "/auth/callback", f"code=c&state={state}", "/", {LOGIN_COOKIE: login}
        )
        reply = client.complete(callback)
    assert reply.status == 400 and message in reply.body
    assert not any(v.startswith(SESSION_COOKIE) for k, v in reply.all_headers() if k == "Set-Cookie")


def test_callback_accepts_the_right_nonce() -> None:
    outputs, http = _fake_pool(None)
    with http:
        client = AuthClient(outputs, SECRET, http=http)
        request = WebRequest("GET", "https://app.example", "/", "", "/", {})
        begun = dict(client.begin(request, "/after?x=1").all_headers())
        query = parse_qs(urlsplit(begun["Location"]).query)
        login = begun["Set-Cookie"].split(";")[0].split("=", 1)[1]
        assert "Secure" in begun["Set-Cookie"]
        sealed = client.unseal(login, LOGIN_COOKIE)
        assert sealed is not None and sealed["n"] == query["nonce"][0]
    outputs, http = _fake_pool(sealed["n"])
    with http:
        client = AuthClient(outputs, SECRET, http=http)
        callback = WebRequest(
            "GET", request.origin, "/auth/callback", f"code=c&state={query['state'][0]}", "/", {LOGIN_COOKIE: login}
        )
        reply = client.complete(callback)
    assert reply.status == 303 and dict(reply.headers)["Location"] == "/after?x=1"
    session_cookie = next(v for k, v in reply.all_headers() if k == "Set-Cookie" and v.startswith(SESSION_COOKIE))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie


def test_non_ascii_state_and_csrf_token_are_refused_not_crashed(
    app: App, browser: httpx.Client, confirmed_email: str
) -> None:
    # Regression: hmac.compare_digest raises TypeError on non-ASCII str, which would have been a 500.
    start = app.get("/")
    assert start.status == 302
    assert app.get("/auth/callback?code=x&state=%C3%A9t%C3%A9").status == 400
    sign_in(app, browser, confirmed_email)
    assert app.post("/auth/sign-out", {"csrf_token": "été"}).status == 403
