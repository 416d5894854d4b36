"""`current_user` / `require_group` in each framework, silent refresh, and sign-out (local and global).

They run against a real sandbox whose pre token generation trigger decides the groups: users whose email
starts with "admin", or who are listed in the app folder's admins.txt (so a test can add someone to the
group between two refreshes), get ADMINS; "lookalike" users get groups whose names only resemble it. Users
sign in through the hosted pages, as a browser would. A session can be made to look due for a refresh by
re-sealing its cookie with an earlier expiry: the tokens in it stay the pool's own.

A fake pool (httpx.MockTransport) remains only for what a real one cannot be made to do on demand: be
unreachable, fail with a 500, or show which access token GlobalSignOut was given; and for cookie and
framework checks that never reach a pool.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.test.utils import override_settings
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.routing import Route

from tests.integrations._apps import (
    FRAMEWORKS,
    JSON,
    PAGE,
    SECRET,
    App,
    configure_django,
    confirm_user,
    django_app,
    framework_app,
    hosted_sign_in,
    starlette_app,
)
from tests.support.sandbox import Sandbox, start_sandbox, unique_email
from userpool.integrations import django as dj
from userpool.integrations import starlette as st
from userpool.integrations._client import AuthClient
from userpool.integrations._model import LOGIN_COOKIE, SESSION_COOKIE, AuthConfig, SignOut, Tokens, User, WebRequest

# -- a fake pool -------------------------------------------------------------------------------------------


@dataclass
class FakePool:
    """Issues tokens for one user; answers refreshes, revocations and GlobalSignOut as told."""

    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    endpoint: str = "https://pool.example"
    pool_id: str = "us-east-1_Fake"
    client_id: str = "fakeclient"
    refresh_groups: list[str] = field(default_factory=list)
    refresh_status: int = 200
    global_answer: tuple[int, dict[str, Any]] | None = (200, {})  # None: the pool cannot be reached
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    serial: Iterator[int] = field(default_factory=itertools.count)

    @property
    def issuer(self) -> str:
        return f"{self.endpoint}/{self.pool_id}"

    @property
    def outputs(self) -> dict[str, Any]:
        return {
            "auth": {"user_pool_id": self.pool_id, "user_pool_client_id": self.client_id, "aws_region": "us-east-1"},
            "custom": {"userpool": {"endpoint": self.endpoint, "issuer": self.issuer}},
        }

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)

    def token_pair(self, id_groups: list[str], access_groups: list[str], ttl: int = 3600) -> tuple[str, str]:
        now = int(time.time())
        common = {"sub": "s-1", "iss": self.issuer, "iat": now, "exp": now + ttl}
        id_claims: dict[str, Any] = {
            **common,
            "aud": self.client_id,
            "token_use": "id",
            "email": "ann@example.com",
            "cognito:username": "s-1",
        }
        access: dict[str, Any] = {
            **common,
            "client_id": self.client_id,
            "token_use": "access",
            "jti": str(next(self.serial)),
        }
        if id_groups:
            id_claims["cognito:groups"] = id_groups
        if access_groups:
            access["cognito:groups"] = access_groups
        return self._sign(id_claims), self._sign(access)

    def tokens(self, id_groups: Sequence[str] = (), access_groups: Sequence[str] = (), ttl: int = 3600) -> Tokens:
        id_token, access_token = self.token_pair(list(id_groups), list(access_groups), ttl)
        return Tokens(id_token, access_token, "the-refresh-token", int(time.time()) + ttl, int(time.time()), "sid-1")

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/jwks.json"):
            return httpx.Response(200, json={"keys": [self.key.as_dict(private=False)]})
        if path == "/oauth2/token":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.calls.append(("token", form))
            if self.refresh_status != 200:
                return httpx.Response(self.refresh_status, json={"error": "invalid_grant"})
            id_token, access_token = self.token_pair(self.refresh_groups, self.refresh_groups)
            return httpx.Response(200, json={"id_token": id_token, "access_token": access_token})
        if path == "/oauth2/revoke":
            self.calls.append(("revoke", {k: v[0] for k, v in parse_qs(request.content.decode()).items()}))
            return httpx.Response(200)
        if path == "/" and request.headers.get("x-amz-target", "").endswith(".GlobalSignOut"):
            assert request.headers["content-type"] == "application/x-amz-json-1.1"
            self.calls.append(("GlobalSignOut", json.loads(request.content)))
            if self.global_answer is None:
                raise httpx.ConnectError("connection refused", request=request)
            status, body = self.global_answer
            return httpx.Response(status, json=body)
        return httpx.Response(404)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))

    def actions(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def pool() -> FakePool:
    return FakePool()


# A real pool cannot be made unreachable or to fail with a 500 on demand, nor does it tell which access
# token GlobalSignOut was given: these cases keep the fake pool.


@pytest.fixture(params=FRAMEWORKS)
def fake_app(request: pytest.FixtureRequest, pool: FakePool) -> Iterator[App]:
    with pool.client() as http, framework_app(request.param, pool.outputs, http) as running:
        yield running


GROUPS_RESOURCE = '''from pathlib import Path

from userpool import define_auth

ADMINS_FILE = Path(__file__).resolve().parents[2] / "admins.txt"  # the app folder: one email per line


def grant_groups(event):
    """ADMINS for emails starting with "admin" or listed in admins.txt; look-alike names for "lookalike"."""
    email = event["request"]["userAttributes"].get("email", "")
    listed = ADMINS_FILE.read_text().split() if ADMINS_FILE.exists() else []
    groups = list(event["request"]["groupConfiguration"]["groupsToOverride"])
    if email.startswith("admin") or email in listed:
        groups.append("ADMINS")
    elif email.startswith("lookalike"):
        groups += ["admins", "ADMINS-2"]
    event["response"]["claimsOverrideDetails"] = {"groupOverrideDetails": {"groupsToOverride": groups}}
    return event


auth = define_auth(login_with={"email": True}, groups=["ADMINS"], triggers={"preTokenGeneration": grant_groups})
'''


@pytest.fixture(scope="module")
def groups_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = start_sandbox(tmp_path_factory.mktemp("groups"), GROUPS_RESOURCE)
    yield box
    box.stop()


@pytest.fixture(params=FRAMEWORKS)
def app(request: pytest.FixtureRequest, groups_sandbox: Sandbox) -> Iterator[App]:
    with framework_app(request.param, groups_sandbox.outputs) as running:
        yield running


def _sign_in(app: App, sandbox: Sandbox, email: str, browser: httpx.Client | None = None) -> None:
    with httpx.Client(base_url=sandbox.endpoint, follow_redirects=False, timeout=30) as own:
        start = app.get("/")
        assert start.status == 302
        done = app.get(hosted_sign_in(browser or own, start.location, email))
        assert done.status == 303, done.text


def signed_in(app: App, sandbox: Sandbox, prefix: str) -> str:
    """A new confirmed user whose email starts with `prefix`, signed in to `app` through the hosted pages."""
    email = confirm_user(sandbox, unique_email(prefix))
    _sign_in(app, sandbox, email)
    return email


def sign_in_as(app: App, tokens: Tokens) -> None:
    """Put a session holding `tokens` in the app's cookie jar, as a finished sign-in would."""
    cookies = app.auth.session_cookies(tokens, WebRequest("GET", app.origin, "/", "", "/", {}))
    assert len(cookies) == 1
    app.set_cookie(SESSION_COOKIE, cookies[0].value)


def session(app: App) -> Tokens | None:
    return app.auth.read_session(app.cookies())


def due_for_refresh(app: App) -> Tokens:
    """Re-seal the app's session as if its tokens had expired: the next request refreshes them at the pool."""
    tokens = session(app)
    assert tokens is not None
    sign_in_as(app, replace(tokens, expires_at=int(time.time()) - 5))
    return tokens


def csrf_token(app: App) -> str:
    home = app.get("/")
    assert home.status == 200, home.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert found is not None
    return found.group(1)


def _idp(sandbox: Sandbox) -> Any:
    keys = {"aws_access_key_id": "unused", "aws_secret_access_key": "unused"}
    return boto3.client("cognito-idp", endpoint_url=sandbox.endpoint, region_name=sandbox.region, **keys)


def _pool_refuses(sandbox: Sandbox, tokens: Tokens) -> tuple[str, str]:
    """What the pool now says to the session's refresh token and access token (their error names)."""
    idp = _idp(sandbox)
    answers = []
    for call in (
        lambda: idp.initiate_auth(
            ClientId=sandbox.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens.refresh_token or ""},
        ),
        lambda: idp.get_user(AccessToken=tokens.access_token),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        answers.append(refused.value.response["Error"]["Message"])
    return answers[0], answers[1]


# -- signed out ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/admins", "/public/admins", "/public/fastapi"])
def test_signed_out_page_load_is_sent_to_sign_in_and_back(app: App, groups_sandbox: Sandbox, target: str) -> None:
    reply = app.get(f"{target}?x=1")
    assert reply.status == 302, reply.text
    assert reply.location.startswith(f"{groups_sandbox.endpoint}/oauth2/authorize?")
    sealed = app.auth.unseal(app.cookies()[LOGIN_COOKIE], LOGIN_COOKIE)
    assert sealed is not None and sealed["next"] == f"{target}?x=1"
    state = parse_qs(urlsplit(reply.location).query)["state"][0]
    assert sealed["s"] == state


@pytest.mark.parametrize("target", ["/admins", "/public/admins", "/public/fastapi", "/api"])
def test_signed_out_script_gets_401(app: App, target: str) -> None:
    assert app.get(target, JSON).status == 401
    assert app.get(target, {"accept": "text/html", "sec-fetch-mode": "cors"}).status == 401


def test_signed_out_public_page_has_no_user(app: App) -> None:
    assert json.loads(app.get("/public/me", JSON).text) == {"user": None}


# -- groups ------------------------------------------------------------------------------------------------


def test_signed_in_outside_the_group_gets_403(app: App, groups_sandbox: Sandbox) -> None:
    email = signed_in(app, groups_sandbox, "user")
    home = app.get("/")
    assert home.status == 200 and f"<h1>Hello {email}</h1>" in home.text
    for target in ("/admins", "/public/admins"):
        assert app.get(target).status == 403, target
        assert app.get(target, JSON).status == 403, target
    assert json.loads(app.get("/public/me", JSON).text) == {"user": email}


def test_member_of_the_group_gets_the_page(app: App, groups_sandbox: Sandbox) -> None:
    email = signed_in(app, groups_sandbox, "admin")
    for target in ("/admins", "/public/admins"):
        page = app.get(target)
        assert page.status == 200 and f"<h1>Admins</h1><p>{email}</p>" in page.text, target
    tokens = session(app)
    assert tokens is not None and User.from_tokens(tokens).groups == ("ADMINS",)


def test_group_names_are_exact(app: App, groups_sandbox: Sandbox) -> None:
    signed_in(app, groups_sandbox, "lookalike")
    tokens = session(app)
    assert tokens is not None and User.from_tokens(tokens).groups == ("admins", "ADMINS-2")
    assert app.get("/admins").status == 403


@pytest.mark.parametrize("kind", ["flask", "django"])
def test_stacked_decorators_in_either_order(kind: str, groups_sandbox: Sandbox) -> None:
    with framework_app(kind, groups_sandbox.outputs) as app:
        assert app.get("/stacked").status == 302
        signed_in(app, groups_sandbox, "user")
        assert app.get("/stacked").status == 403
        assert app.get("/public/admins").status == 403
    with framework_app(kind, groups_sandbox.outputs) as app:
        signed_in(app, groups_sandbox, "admin")
        assert app.get("/stacked").status == 200
        assert app.get("/public/admins").status == 200


def test_user_groups_merge_both_tokens(pool: FakePool) -> None:
    """A pre token generation trigger (V2) may give the two tokens different groups: both count."""
    user = User.from_tokens(pool.tokens(id_groups=["A", "B"], access_groups=["B", "C"]))
    assert user.groups == ("A", "B", "C") and user.in_group("C") and not user.in_group("D")
    assert User.from_tokens(pool.tokens()).groups == ()


# -- tampering and refresh -------------------------------------------------------------------------------


def test_tampered_session_is_signed_out(app: App, groups_sandbox: Sandbox) -> None:
    signed_in(app, groups_sandbox, "admin")
    value = app.cookies()[SESSION_COOKIE]
    app.set_cookie(SESSION_COOKIE, value[:-4] + ("AAAA" if value[-4:] != "AAAA" else "BBBB"))
    assert app.get("/admins").status == 302
    assert app.get("/admins", JSON).status == 401
    assert json.loads(app.get("/public/me", JSON).text) == {"user": None}


def test_session_sealed_under_another_key_is_signed_out(app: App, groups_sandbox: Sandbox) -> None:
    signed_in(app, groups_sandbox, "admin")
    tokens = session(app)
    assert tokens is not None
    other = AuthClient(groups_sandbox.outputs, "another-secret-key-0123456789abcdef")
    cookie = other.session_cookies(tokens, WebRequest("GET", app.origin, "/", "", "/", {}))
    app.set_cookie(SESSION_COOKIE, cookie[0].value)
    assert app.get("/admins", JSON).status == 401


def test_silent_refresh_brings_new_groups(app: App, groups_sandbox: Sandbox) -> None:
    email = signed_in(app, groups_sandbox, "promoted")
    assert app.get("/admins").status == 403
    before = due_for_refresh(app)
    with (groups_sandbox.app_dir / "admins.txt").open("a") as admins:  # added to the group since
        admins.write(email + "\n")
    page = app.get("/admins")
    assert page.status == 200 and "Admins" in page.text  # the refreshed tokens say so
    assert any(c.startswith(SESSION_COOKIE + "=") for c in page.set_cookies)
    fresh = session(app)
    assert fresh is not None and fresh.expires_at > time.time() + 600
    assert fresh.access_token != before.access_token and fresh.refresh_token == before.refresh_token
    assert User.from_tokens(fresh).groups == ("ADMINS",)
    again = app.get("/admins")
    assert again.status == 200 and not again.set_cookies  # fresh now: no second refresh


def test_silent_refresh_cookie_goes_out_with_a_403_too(app: App, groups_sandbox: Sandbox) -> None:
    signed_in(app, groups_sandbox, "user")
    before = due_for_refresh(app)
    reply = app.get("/admins")
    assert reply.status == 403
    assert any(c.startswith(SESSION_COOKIE + "=") and "Max-Age=0" not in c for c in reply.set_cookies)
    fresh = session(app)
    assert fresh is not None and fresh.expires_at > time.time() and fresh.access_token != before.access_token


def test_refused_refresh_signs_out(app: App, groups_sandbox: Sandbox) -> None:
    signed_in(app, groups_sandbox, "admin")
    tokens = due_for_refresh(app)
    _idp(groups_sandbox).global_sign_out(AccessToken=tokens.access_token)  # signed out elsewhere meanwhile
    reply = app.get("/admins")
    assert reply.status == 302 and "/oauth2/authorize?" in reply.location
    assert any(c.startswith(SESSION_COOKIE + "=") and "Max-Age=0" in c for c in reply.set_cookies)
    assert session(app) is None


# -- sign-out, local and global --------------------------------------------------------------------------


def test_sign_out_forms() -> None:
    sign_out = SignOut("/auth/sign-out", "tok")
    local, everywhere = str(sign_out.form()), str(sign_out.form(global_=True))
    assert 'name="global"' not in local and ">Sign out</button>" in local
    assert '<input type="hidden" name="global" value="true">' in everywhere
    assert ">Sign out everywhere</button>" in everywhere and 'name="csrf_token" value="tok"' in everywhere
    assert ">Leave</button>" in str(sign_out.form("Leave", global_=True))


def test_local_sign_out_revokes_the_refresh_token(app: App, groups_sandbox: Sandbox) -> None:
    signed_in(app, groups_sandbox, "user")
    tokens = session(app)
    assert tokens is not None
    out = app.post("/auth/sign-out", {"csrf_token": csrf_token(app)})
    assert out.status == 303 and out.location.startswith(f"{groups_sandbox.endpoint}/logout?")
    assert session(app) is None and app.get("/").status == 302
    refresh, _ = _pool_refuses(groups_sandbox, tokens)
    assert refresh == "Refresh Token has been revoked"


def test_global_sign_out_calls_global_sign_out(app: App, groups_sandbox: Sandbox) -> None:
    signed_in(app, groups_sandbox, "user")
    tokens = session(app)
    assert tokens is not None
    token = csrf_token(app)
    assert app.post("/auth/sign-out", {"global": "true"}).status == 403  # still CSRF-checked
    assert app.post("/auth/sign-out", {"csrf_token": "forged", "global": "true"}).status == 403
    assert _idp(groups_sandbox).get_user(AccessToken=tokens.access_token)["Username"]  # nothing was ended
    out = app.post("/auth/sign-out", {"csrf_token": token, "global": "true"})
    assert out.status == 303 and out.location.startswith(f"{groups_sandbox.endpoint}/logout?")
    assert any(c.startswith(SESSION_COOKIE + "=") and "Max-Age=0" in c for c in out.set_cookies)
    assert session(app) is None and app.get("/").status == 302
    assert _pool_refuses(groups_sandbox, tokens) == ("Refresh Token has been revoked", "Access Token has been revoked")


def test_global_sign_out_refreshes_an_expired_access_token_first(fake_app: App, pool: FakePool) -> None:
    app = fake_app
    sign_in_as(app, pool.tokens())
    token = csrf_token(app)
    expired = replace(pool.tokens(), expires_at=int(time.time()) - 5)
    sign_in_as(app, expired)  # the same sid, so the same CSRF token
    out = app.post("/auth/sign-out", {"csrf_token": token, "global": "true"})
    assert out.status == 303 and pool.actions() == ["token", "GlobalSignOut"]
    assert pool.calls[1][1]["AccessToken"] != expired.access_token  # the refreshed one


def test_global_sign_out_of_an_ended_session_is_done(app: App, groups_sandbox: Sandbox) -> None:
    signed_in(app, groups_sandbox, "user")
    tokens = session(app)
    assert tokens is not None
    token = csrf_token(app)
    _idp(groups_sandbox).global_sign_out(AccessToken=tokens.access_token)  # ended elsewhere first
    out = app.post("/auth/sign-out", {"csrf_token": token, "global": "true"})  # the pool: already revoked
    assert out.status == 303 and session(app) is None


@pytest.mark.parametrize("answer", [None, (500, {"__type": "InternalErrorException"})])
def test_global_sign_out_that_fails_says_so(fake_app: App, pool: FakePool, answer: Any) -> None:
    app = fake_app
    sign_in_as(app, pool.tokens())
    pool.global_answer = answer
    out = app.post("/auth/sign-out", {"csrf_token": csrf_token(app), "global": "true"})
    assert out.status == 502 and "signed out here" in out.text and "/auth/sign-in" in out.text
    assert any(c.startswith(SESSION_COOKIE + "=") and "Max-Age=0" in c for c in out.set_cookies)
    assert session(app) is None  # signed out here all the same


def test_global_sign_out_url_for_cognito() -> None:
    outputs = {
        "auth": {
            "user_pool_id": "eu-west-1_abc",
            "user_pool_client_id": "c",
            "aws_region": "eu-west-1",
            "oauth": {"domain": "example.auth.eu-west-1.amazoncognito.com"},
        }
    }
    config = AuthConfig.from_outputs(outputs)
    assert config.api_url == "https://cognito-idp.eu-west-1.amazonaws.com/"
    assert config.endpoint == "https://example.auth.eu-west-1.amazoncognito.com"
    assert AuthConfig.from_outputs(FakePool().outputs).api_url == "https://pool.example/"


# -- framework specifics -----------------------------------------------------------------------------------


def test_starlette_helpers_need_the_middleware() -> None:
    from starlette.testclient import TestClient

    app = Starlette(routes=[Route("/", st.require_group("ADMINS")(lambda request: None))])
    with TestClient(app) as client, pytest.raises(RuntimeError, match="AuthenticatorMiddleware"):
        client.get("/")


def test_starlette_require_group_on_an_endpoint_class(pool: FakePool) -> None:
    from starlette.endpoints import HTTPEndpoint
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.testclient import TestClient

    class Admins(HTTPEndpoint):
        @st.require_group("ADMINS")
        async def get(self, request: Request) -> PlainTextResponse:
            return PlainTextResponse(st.current_user(request).login_id)

    with pool.client() as http:
        app = st.with_authenticator(
            Starlette(routes=[Route("/", Admins)]), outputs=pool.outputs, secret_key=SECRET, http=http
        )
        origin = "http://127.0.0.1:8000"
        with TestClient(app, base_url=origin, follow_redirects=False) as client:
            request = WebRequest("GET", origin, "/", "", "/", {})
            for groups, status in ((["EDITORS"], 403), (["ADMINS"], 200)):
                cookie = app.client.session_cookies(pool.tokens(id_groups=groups), request)[0]
                client.cookies.set(SESSION_COOKIE, cookie.value, domain="127.0.0.1", path="/")
                assert client.get("/", headers=JSON).status_code == status


def test_fastapi_refusals_are_http_exceptions(groups_sandbox: Sandbox) -> None:
    with framework_app("fastapi", groups_sandbox.outputs) as app:
        reply = app.get("/public/admins", JSON)
        assert reply.status == 401 and json.loads(reply.text) == {"detail": "Not signed in"}
        signed_in(app, groups_sandbox, "user")
        reply = app.get("/admins", JSON)
        assert reply.status == 403
        assert json.loads(reply.text) == {"detail": "This page is only for members of the group ADMINS."}


def test_flask_current_user_then_decorator(pool: FakePool) -> None:
    # The fake pool counts the refresh calls: one per request, not one per helper.
    with pool.client() as http, framework_app("flask", pool.outputs, http) as app:
        assert app.get("/public/optional-then-required").status == 302
        sign_in_as(app, replace(pool.tokens(), expires_at=int(time.time()) - 5))
        reply = app.get("/public/optional-then-required")
        assert reply.status == 200 and "Hello ann@example.com" in reply.text
        assert pool.actions() == ["token"]  # one refresh for the request, not one per helper
        assert any(c.startswith(SESSION_COOKIE + "=") for c in reply.set_cookies)


def test_django_without_the_middleware_says_what_to_add() -> None:
    configure_django()
    request = RequestFactory().get("/")
    with pytest.raises(ImproperlyConfigured, match="AuthenticatorMiddleware"):
        dj.with_authenticator(lambda request, user, sign_out: None)(request)
    with pytest.raises(ImproperlyConfigured, match="MIDDLEWARE"):
        dj.current_user(request)


def test_django_needs_a_secret_key(pool: FakePool) -> None:
    configure_django()
    with override_settings(SECRET_KEY="", USERPOOL_OUTPUTS=pool.outputs), pytest.raises(ImproperlyConfigured):
        dj.AuthenticatorMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]


def test_django_own_routes_and_methods(pool: FakePool) -> None:
    with pool.client() as http, django_app(pool.outputs, http) as app:
        assert app.get("/auth/sign-out").status == 405
        assert app.post("/auth/callback", {}).status == 405
        assert app.get("/auth/sign-in?next=/admins").status == 302
        # Django's CSRF middleware never sees the sign-out form: the middleware answers it first.
        sign_in_as(app, pool.tokens())
        assert app.post("/auth/sign-out", {"csrf_token": csrf_token(app)}).status == 303


def test_django_require_sign_in_everywhere(pool: FakePool) -> None:
    with (
        pool.client() as http,
        django_app(pool.outputs, http, USERPOOL_REQUIRE_SIGN_IN=True, USERPOOL_PUBLIC_PATHS=["/public/"]) as app,
    ):
        assert json.loads(app.get("/public/me", JSON).text) == {"user": None}
        assert app.get("/missing", JSON).status == 401  # refused before Django looks for a view
        assert app.get("/missing", PAGE).status == 302
        sign_in_as(app, pool.tokens())
        assert app.get("/missing", PAGE).status == 404


def test_django_secret_key_defaults_to_settings(pool: FakePool) -> None:
    configure_django()
    with override_settings(USERPOOL_OUTPUTS=pool.outputs, USERPOOL_SECRET_KEY=None):
        middleware = dj.AuthenticatorMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    sealed = middleware.client.seal({"a": 1}, "x")
    assert AuthClient(pool.outputs, SECRET).unseal(sealed, "x") == {"a": 1}


def test_django_outputs_default_to_base_dir(tmp_path: Path, pool: FakePool) -> None:
    configure_django()
    (tmp_path / "amplify_outputs.json").write_text(json.dumps(pool.outputs))
    with override_settings(BASE_DIR=tmp_path):
        middleware = dj.AuthenticatorMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    assert middleware.client.config.client_id == pool.client_id


# -- two browsers -----------------------------------------------------------------------------------------


def test_global_sign_out_ends_every_session(groups_sandbox: Sandbox) -> None:
    email = confirm_user(groups_sandbox, unique_email("everywhere"))
    with (
        httpx.Client(base_url=groups_sandbox.endpoint, follow_redirects=False, timeout=30) as browser2,
        starlette_app(groups_sandbox.outputs) as first,
        starlette_app(groups_sandbox.outputs) as second,
    ):
        _sign_in(first, groups_sandbox, email)
        _sign_in(second, groups_sandbox, email, browser2)  # another browser: its own hosted session too
        theirs = session(second)
        assert theirs is not None
        out = first.post("/auth/sign-out", {"csrf_token": csrf_token(first), "global": "true"})
        assert out.status == 303 and session(first) is None
        # The other browser keeps its page while its tokens last (they are not checked at the pool) ...
        assert second.get("/").status == 200
        # ... but they cannot be refreshed, nor used at the pool, and its hosted session is gone.
        with pytest.raises(Exception, match="refused"):
            second.auth.refresh(theirs)
        user_info = httpx.get(
            f"{groups_sandbox.endpoint}/oauth2/userInfo", headers={"authorization": f"Bearer {theirs.access_token}"}
        )
        assert user_info.status_code == 401
        sign_in_as(second, replace(theirs, expires_at=int(time.time()) - 5))
        reply = second.get("/")
        assert reply.status == 302 and "/oauth2/authorize?" in reply.location
        assert session(second) is None
        again = browser2.get(reply.location)
        assert again.status_code in (302, 303) and "/login?" in again.headers["location"]  # no silent sign-in
