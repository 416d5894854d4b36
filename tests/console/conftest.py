"""The console in process: a real pool on SQLite with a clock the test moves, the real ASGI app (every
route the server has), and Starlette's TestClient (httpx) as the browser — cookies, redirects, forms."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from tests.support.pool import MovableClock, PoolHarness
from userpool import define_auth
from userpool.bootstrap import open_pool
from userpool.core.flows import console_sign_in
from userpool.core.model import Message
from userpool.courier import SandboxCourier
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import Sealer
from userpool.server import build_app
from userpool.store import open_store
from userpool.web import hosted_routes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

OPERATOR = "alice"
OPERATOR_PASSWORD = "operator-pass-123"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@dataclass
class Console:
    h: PoolHarness
    client: TestClient
    totp_secret: str

    def csrf(self, html: str) -> str:
        found = CSRF.search(html)
        assert found, "the page has no CSRF token"
        return found.group(1)

    def code(self) -> str:
        return pyotp.TOTP(self.totp_secret).at(self.h.clock.t)

    def post(self, path: str, page: str = "/console/users", **fields: str) -> object:
        """A form POST as a browser sends it: the CSRF token read from `page` first."""
        token = self.csrf(self.client.get(page).text)
        return self.client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)

    def sign_in(self, name: str = OPERATOR, password: str = OPERATOR_PASSWORD) -> None:
        token = self.csrf(self.client.get("/console/sign-in").text)
        first = self.client.post(
            "/console/sign-in", data={"csrf_token": token, "name": name, "password": password}, follow_redirects=False
        )
        assert first.status_code == 303 and first.headers["location"] == "/console/sign-in/code", first.text
        second = self.client.post(
            "/console/sign-in/code", data={"csrf_token": token, "code": self.code()}, follow_redirects=False
        )
        assert second.status_code == 303 and second.headers["location"] == "/console/users", second.text
        self.h.clock.advance(30)  # the next sign-in needs the next TOTP step

    def audit(self, tx_pool: str | None = None) -> list[tuple[str, str, str]]:
        with self.h.store.begin() as tx:
            entries = tx.list_audit(tx_pool or self.h.pool.config.pool_id)
        return [(e.actor, e.action, e.target) for e in entries]


def add_operator(h: PoolHarness, name: str = OPERATOR, password: str = OPERATOR_PASSWORD) -> str:
    with h.store.begin() as tx:
        admin = console_sign_in.create_admin(
            tx, h.pool.hasher, h.pool.random, h.clock.now(), name=name, password=password
        )
    return admin.totp_secret


def make_harness(tmp_path: Path) -> PoolHarness:
    import time

    key = bytes(range(32))
    store = open_store(f"sqlite:///{tmp_path / 'pool.db'}", Sealer(key))
    sent: list[Message] = []
    defn = define_auth(login_with={"email": True}, groups=["admins", "staff"])
    pool, _ = open_pool(
        store,
        defn,
        endpoint="http://testserver",
        master_key=key,
        courier=SandboxCourier(sent.append),
        hasher=Argon2Hasher(memory_cost=1024, time_cost=1),  # cheap: the machine is small
    )
    clock = MovableClock(time.time())
    pool.clock = clock
    return PoolHarness(pool=pool, store=store, clock=clock, sent=sent)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    h = make_harness(tmp_path)
    secret = add_operator(h)
    app = build_app(h.pool, sandbox_mode=True, extra_routes=hosted_routes())
    with TestClient(app, base_url="http://testserver") as client:
        yield Console(h, client, secret)
    h.store.close()
