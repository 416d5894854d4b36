"""The same endpoints in `serve` mode, in process: exact redirect URIs, a confidential client, https
cookies, and expiry with a pinned clock."""

from __future__ import annotations

import base64
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from tests.support.sandbox import PASSWORD, unique_email
from tests.web.browser import Browser, Pkce, alert
from userpool import define_auth
from userpool.bootstrap import open_pool
from userpool.core.flows import hosted
from userpool.core.model import Client
from userpool.courier import SandboxCourier
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import Sealer
from userpool.server import build_app
from userpool.service import UserPool
from userpool.store import open_store
from userpool.web import hosted_routes

with warnings.catch_warnings():
    # Starlette 1.x would rather drive its TestClient with httpx2; httpx (what the project installs) still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ISSUER_HOST = "https://auth.example.com"
APP_CALLBACK = "https://app.example.com/cb"
SECRET = "s3cret-of-the-confidential-client"
CONFIDENTIAL = "confidential0000000000000a"


class PinnedClock:
    def __init__(self) -> None:
        self.t = time.time()

    def now(self) -> float:
        return self.t


@dataclass
class Server:
    pool: UserPool
    clock: PinnedClock
    http: TestClient

    def browser(self, client_id: str = CONFIDENTIAL) -> Browser:
        return Browser(http=self.http, client_id=client_id)

    def last_code(self, to: str) -> str:
        with self.pool.store.begin() as tx:
            codes = [m.code for m in tx.list_messages(self.pool.config.pool_id) if m.to == to and m.code]
        return str(codes[-1])

    def confirmed_user(self, email: str) -> None:
        self.pool.run(hosted.sign_up, client_id=CONFIDENTIAL, username=email, password=PASSWORD, attributes={})
        self.pool.run(hosted.confirm_sign_up, client_id=CONFIDENTIAL, username=email, code=self.last_code(email))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    key = bytes(range(32))
    store = open_store(f"sqlite:///{tmp_path / 'pool.db'}", Sealer(key))
    pool, _ = open_pool(
        store,
        define_auth(login_with={"email": True}),
        endpoint=ISSUER_HOST,
        master_key=key,
        courier=SandboxCourier(),
        hasher=Argon2Hasher(memory_cost=1024, time_cost=1),
    )
    clock = PinnedClock()
    pool.clock = clock
    with store.begin() as tx:
        tx.put_client(
            Client(
                id=CONFIDENTIAL,
                pool_id=pool.config.pool_id,
                name="confidential",
                created_at=clock.now(),
                secret=SECRET,
                callback_urls=(APP_CALLBACK,),
                logout_urls=("https://app.example.com/bye",),
            )
        )
    app = build_app(pool, sandbox_mode=False, extra_routes=hosted_routes())
    try:
        with TestClient(app, base_url=ISSUER_HOST, follow_redirects=False) as http:
            yield Server(pool, clock, http)
    finally:
        store.close()


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _code(server: Server, email: str, **extra: str) -> tuple[Browser, dict[str, str]]:
    b = server.browser()
    params = b.authorize_query(Pkce.new(), redirect_uri=APP_CALLBACK, code_challenge="", code_challenge_method="")
    params.update(extra)
    return b, b.sign_in({k: v for k, v in params.items() if v}, email)


def _exchange(server: Server, code: str, headers: dict[str, str] | None = None, **form: str) -> dict[str, str]:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": APP_CALLBACK, **form}
    return server.http.post("/oauth2/token", data=data, headers=headers or {}).json()  # type: ignore[no-any-return]


def test_only_registered_redirect_uris_outside_the_sandbox(server: Server) -> None:
    b = server.browser(server.pool.default_client_id)
    loopback = b.authorize(b.authorize_query(Pkce.new(), redirect_uri="http://localhost:3000/callback"))
    assert loopback.status_code == 400
    assert "location" not in loopback.headers
    ok = server.browser().authorize(server.browser().authorize_query(Pkce.new(), redirect_uri=APP_CALLBACK))
    assert ok.status_code == 302


def test_https_issuer_gives_secure_host_prefixed_cookies(server: Server) -> None:
    page = server.http.get("/login", params={"client_id": CONFIDENTIAL})
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-userpool-browser=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie


def test_a_confidential_client_signs_up_on_the_pages_and_authenticates_at_the_token_endpoint(
    server: Server,
) -> None:
    email = unique_email("conf")
    b = server.browser()
    signup = b.get("/signup", client_id=CONFIDENTIAL)
    created = b.submit(signup, {"username": email, "password": PASSWORD, "confirm_password": PASSWORD})
    assert created.status_code == 303, alert(created)  # the hosted UI computed the SECRET_HASH itself
    confirm = b.follow(created)
    assert b.submit(confirm, {"code": server.last_code(email), "action": "confirm"}).status_code == 303

    _, callback = _code(server, email)
    missing = server.http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": APP_CALLBACK,
            "client_id": CONFIDENTIAL,
        },
    )
    assert missing.status_code == 401
    assert missing.json()["error"] == "invalid_client"

    wrong = server.http.post(
        "/oauth2/token",
        data={"grant_type": "authorization_code", "code": callback["code"], "redirect_uri": APP_CALLBACK},
        headers=_basic(CONFIDENTIAL, "not-the-secret"),
    )
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Basic")

    tokens = _exchange(server, callback["code"], _basic(CONFIDENTIAL, SECRET))  # PKCE optional here
    assert tokens["id_token"] and tokens["refresh_token"]

    _, callback = _code(server, email)
    both = _exchange(server, callback["code"], _basic(CONFIDENTIAL, SECRET), client_secret=SECRET)
    assert both["error"] == "invalid_request"
    _, callback = _code(server, email)
    posted = _exchange(server, callback["code"], client_id=CONFIDENTIAL, client_secret=SECRET)
    assert "access_token" in posted


def test_codes_expire_after_five_minutes(server: Server) -> None:
    email = unique_email("expire")
    server.confirmed_user(email)
    _, callback = _code(server, email)
    server.clock.t += 301
    assert _exchange(server, callback["code"], _basic(CONFIDENTIAL, SECRET))["error"] == "invalid_grant"


def test_the_web_session_ends_after_an_idle_hour(server: Server) -> None:
    email = unique_email("idle")
    server.confirmed_user(email)
    b, _ = _code(server, email)
    params = b.authorize_query(Pkce.new(), redirect_uri=APP_CALLBACK)
    server.clock.t += 3000
    assert b.authorize(params).headers["location"].startswith(APP_CALLBACK)  # used: extended
    server.clock.t += 3000
    assert b.authorize(params).headers["location"].startswith(APP_CALLBACK)
    server.clock.t += 3601
    assert b.authorize(params).headers["location"].startswith("/login?")


def test_userinfo_claims_follow_the_scopes(server: Server) -> None:
    email = unique_email("claims")
    server.confirmed_user(email)
    for scope, expected in (
        ("openid", {"sub", "username", "email", "email_verified"}),
        ("openid email", {"sub", "username", "email", "email_verified"}),
        ("openid profile", {"sub", "username"}),
    ):
        _, callback = _code(server, email, scope=scope)
        tokens = _exchange(server, callback["code"], _basic(CONFIDENTIAL, SECRET))
        info = server.http.get("/oauth2/userInfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert set(info.json()) == expected, scope


def test_a_refresh_token_works_only_for_its_own_client(server: Server) -> None:
    email = unique_email("own")
    server.confirmed_user(email)
    _, callback = _code(server, email)
    tokens = _exchange(server, callback["code"], _basic(CONFIDENTIAL, SECRET))
    public = server.pool.default_client_id
    refresh = server.http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": public},
    )
    assert refresh.json()["error"] == "invalid_grant"
    revoke = server.http.post("/oauth2/revoke", data={"token": tokens["refresh_token"], "client_id": public})
    assert revoke.status_code == 400
    assert revoke.json()["error"] == "unauthorized_client"
