"""Crash safety: `userpool serve` SIGKILLed in the middle of concurrent writes, restarted, and checked.

Threads sign users up, confirm them, change passwords and refresh tokens (with rotation, so every refresh
writes) as fast as the server answers, while the test kills the whole process group at a random moment,
several times. After each restart: every write the server acknowledged (HTTP 200) is there, a write cut
off mid-flight is either wholly there or wholly absent (a password is the old one or the new one, never
neither), nothing is half-written (`support.ORPHAN_QUERIES`), and SQLite passes `PRAGMA integrity_check`.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.security.support import (
    Server,
    cognito,
    database,
    last_code,
    orphans,
    pool_and_clients,
    record,
    scale,
    served,
)
from tests.support.sandbox import PASSWORD
from userpool.core.tokens import hash_token
from userpool.store import SqlStore


@dataclass
class Ledger:
    """What the server acknowledged, and what was in flight when it died."""

    signed_up: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)
    passwords: dict[str, set[str]] = field(default_factory=dict)  # email → the password(s) it may have
    refreshed: dict[str, str] = field(default_factory=dict)  # email → last acknowledged refresh token
    requests: int = 0
    acknowledged: int = 0
    cut_off: int = 0  # requests the kill left without an answer
    failures: list[str] = field(default_factory=list)  # 5xx answers, and exceptions in the load's threads
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, response: httpx.Response | None) -> bool:
        with self.lock:
            self.requests += 1
            if response is None:
                self.cut_off += 1
                return False
            if response.status_code >= 500:
                self.failures.append(f"{response.status_code}: {response.text[:200]}")
            ok = response.status_code == 200
            self.acknowledged += ok
            return ok


class Load:
    """The traffic: runs until the server stops answering."""

    def __init__(self, server: Server, store: SqlStore, ledger: Ledger, users: dict[str, dict[str, Any]]) -> None:
        self.server, self.store, self.ledger, self.users = server, store, ledger, users
        self.pool_id, clients = pool_and_clients(store)
        self.rotating = clients["rotating"]
        self.default = next(cid for name, cid in clients.items() if name != "rotating")
        self.dead = threading.Event()

    def call(self, action: str, body: dict[str, Any]) -> httpx.Response | None:
        if self.dead.is_set():
            return None
        try:
            return cognito(self.server.endpoint, action, body, timeout=60)
        except httpx.HTTPError:
            self.dead.set()
            return None

    def guarded(self, work: Callable[..., None], *args: Any) -> Callable[[], None]:
        """`work(*args)` for a thread: an exception there is a failure of the test, not a silent stop."""

        def run() -> None:
            try:
                work(*args)
            except Exception as exc:
                self.ledger.failures.append(f"{work.__name__}: {exc!r}")

        return run

    def sign_ups(self) -> None:
        while not self.dead.is_set():
            email = f"crash-{uuid.uuid4().hex[:10]}@example.com"
            attrs = [{"Name": "email", "Value": email}]
            body = {"ClientId": self.default, "Username": email, "Password": PASSWORD, "UserAttributes": attrs}
            if not self.ledger.count(self.call("SignUp", body)):
                continue
            self.ledger.signed_up.add(email)
            code = last_code(self.store, self.pool_id, email)
            confirm = {"ClientId": self.default, "Username": email, "ConfirmationCode": code}
            if self.ledger.count(self.call("ConfirmSignUp", confirm)):
                self.ledger.confirmed.add(email)

    def password_changes(self, email: str) -> None:
        user = self.users[email]
        while not self.dead.is_set():
            (old,) = self.ledger.passwords[email]
            new = f"Crash-{uuid.uuid4().hex[:8]}!"
            body = {"AccessToken": user["access"], "PreviousPassword": old, "ProposedPassword": new}
            response = self.call("ChangePassword", body)
            if self.ledger.count(response):
                self.ledger.passwords[email] = {new}
            elif response is None:
                self.ledger.passwords[email] = {old, new}  # cut off: either is right, neither is not
                return

    def refreshes(self, email: str) -> None:
        while not self.dead.is_set():
            body = {"ClientId": self.rotating, "RefreshToken": self.ledger.refreshed[email]}
            response = self.call("GetTokensFromRefreshToken", body)
            if self.ledger.count(response) and response is not None:
                self.ledger.refreshed[email] = response.json()["AuthenticationResult"]["RefreshToken"]
            elif response is not None:
                return  # refused (a token superseded by a refresh the last kill cut off): this thread is done


def sign_in(endpoint: str, client: str, email: str, password: str) -> httpx.Response:
    return cognito(
        endpoint,
        "InitiateAuth",
        {
            "ClientId": client,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": password},
        },
        timeout=60,
    )


def check(load: Load, ledger: Ledger) -> list[str]:
    """After a restart: what was acknowledged and is missing (data lost), and anything half-written."""
    lost: list[str] = []
    engine = load.store.engine
    with engine.connect() as conn:
        status = dict(
            conn.execute(
                sa.text(
                    "SELECT l.login_key, u.status FROM user_logins l JOIN users u "
                    "ON u.pool_id = l.pool_id AND u.sub = l.user_sub WHERE l.login_key LIKE 'email:crash-%'"
                )
            ).all()
        )
        stored = {row[0] for row in conn.execute(sa.text("SELECT token_hash FROM refresh_tokens")).all()}
    lost += [f"sign-up of {e}" for e in ledger.signed_up if f"email:{e}" not in status]
    lost += [f"confirmation of {e}" for e in ledger.confirmed if status.get(f"email:{e}") != "CONFIRMED"]
    lost += [f"refresh token of {e}" for e, token in ledger.refreshed.items() if hash_token(token) not in stored]
    for email, candidates in ledger.passwords.items():
        works = [
            p for p in sorted(candidates) if sign_in(load.server.endpoint, load.default, email, p).status_code == 200
        ]
        if len(works) != 1:
            lost.append(f"password of {email}: {len(works)} of {len(candidates)} candidates work")
        else:
            ledger.passwords[email] = set(works)
    lost += [f"half-written: {what} ({n})" for what, n in orphans(engine).items()]
    return lost


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Server, SqlStore]]:
    with database(request.param, tmp_path) as url, served(tmp_path, url, workers=1) as (server, store):
        yield request.param, server, store


def test_sigkill_mid_flight_loses_nothing_acknowledged(backend: tuple[str, Server, SqlStore]) -> None:
    name, server, store = backend
    rng = random.Random(20_260_509)  # the same kill moments each quick run
    ledger = Ledger()
    users: dict[str, dict[str, Any]] = {}
    pool_id, clients = pool_and_clients(store)
    default, rotating = next(c for n, c in clients.items() if n != "rotating"), clients["rotating"]
    for _ in range(2):  # users whose passwords change, and whose refresh tokens rotate, under fire
        email = f"crash-steady-{uuid.uuid4().hex[:8]}@example.com"
        attrs = [{"Name": "email", "Value": email}]
        body = {"ClientId": default, "Username": email, "Password": PASSWORD, "UserAttributes": attrs}
        assert cognito(server.endpoint, "SignUp", body).status_code == 200
        code = last_code(store, pool_id, email)
        confirm = {"ClientId": default, "Username": email, "ConfirmationCode": code}
        assert cognito(server.endpoint, "ConfirmSignUp", confirm).status_code == 200
        tokens = sign_in(server.endpoint, rotating, email, PASSWORD).json()["AuthenticationResult"]
        users[email] = {"access": tokens["AccessToken"]}
        ledger.passwords[email] = {PASSWORD}
        ledger.refreshed[email] = tokens["RefreshToken"]
        ledger.signed_up.add(email)
        ledger.confirmed.add(email)

    kills = scale(2, 10)
    lost: list[str] = []
    for _ in range(kills):
        load = Load(server, store, ledger, users)
        threads = [threading.Thread(target=load.guarded(load.sign_ups)) for _ in range(2)]
        threads += [threading.Thread(target=load.guarded(load.password_changes, e)) for e in users]
        threads += [threading.Thread(target=load.guarded(load.refreshes, e)) for e in users]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(1.0, 4.0))
        server.kill()
        load.dead.set()
        for t in threads:
            t.join(90)
        server.start()
        lost += check(load, ledger)
        for email, user in users.items():  # new access tokens for the next round (the password may have changed)
            (password,) = ledger.passwords[email]
            tokens = sign_in(server.endpoint, rotating, email, password).json()["AuthenticationResult"]
            user["access"] = tokens["AccessToken"]
            ledger.refreshed[email] = tokens["RefreshToken"]
    record(
        "crash",
        name,
        requests=ledger.requests,
        acknowledged=ledger.acknowledged,
        cut_off_in_flight=ledger.cut_off,
        faults_injected=kills,
        sign_ups_acknowledged=len(ledger.signed_up),
        data_lost=len(lost),
    )
    assert not lost, lost
    assert not ledger.failures, ledger.failures
    assert ledger.acknowledged > 0
