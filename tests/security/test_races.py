"""Races through real HTTP against `userpool serve` with two worker processes, on SQLite and PostgreSQL.

Each race fires one request many times at once (threads released together by a barrier, spread over both
processes by the kernel) and counts the successes: one email → one user; one confirmation code, one reset
code, one TOTP code, one rotating refresh token, one authorization code → exactly one success. A refresh
token without rotation is reusable by design (Cognito's): every use succeeds and the family stays one.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
import sqlalchemy as sa

from tests.security.support import (
    Server,
    cognito,
    database,
    last_code,
    pool_and_clients,
    record,
    scale,
    served,
)
from tests.support.sandbox import PASSWORD, unique_email
from tests.web.browser import CALLBACK, Browser, Pkce
from userpool.store import SqlStore


def race(n: int, request: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """`request(i)` for i in 0..n-1 from n threads released at the same instant."""
    barrier = threading.Barrier(n)

    def one(i: int) -> httpx.Response:
        barrier.wait()
        return request(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def outcome(responses: list[httpx.Response]) -> Counter[str]:
    """200s, and refusals by `__type` (or OAuth `error`); never a 5xx."""
    counts: Counter[str] = Counter()
    for r in responses:
        assert r.status_code < 500, (r.status_code, r.text[:300])
        if r.status_code == 200:
            counts["ok"] += 1
        else:
            body = r.json()
            counts[str(body.get("__type") or body.get("error"))] += 1
    return counts


class Pool:
    """The server under test, seen as a client and (for codes and checks) through its database."""

    def __init__(self, server: Server, store: SqlStore) -> None:
        self.server, self.store = server, store
        self.pool_id, clients = pool_and_clients(store)
        self.rotating = clients["rotating"]
        self.default = next(cid for name, cid in clients.items() if name != "rotating")

    def call(self, action: str, body: dict[str, Any]) -> httpx.Response:
        return cognito(self.server.endpoint, action, body)

    def ok(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.call(action, body)
        assert response.status_code == 200, (action, response.text[:300])
        result: dict[str, Any] = response.json()
        return result

    def code(self, email: str) -> str:
        return last_code(self.store, self.pool_id, email)

    def user(self, password: str = PASSWORD) -> str:
        email = unique_email("race")
        attrs = [{"Name": "email", "Value": email}]
        self.ok("SignUp", {"ClientId": self.default, "Username": email, "Password": password, "UserAttributes": attrs})
        self.ok("ConfirmSignUp", {"ClientId": self.default, "Username": email, "ConfirmationCode": self.code(email)})
        return email

    def sign_in(self, email: str, client: str = "", password: str = PASSWORD) -> httpx.Response:
        return self.call(
            "InitiateAuth",
            {
                "ClientId": client or self.default,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": email, "PASSWORD": password},
            },
        )

    def scalar(self, sql: str, **params: Any) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], scope="module")
def pool(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    folder = Path(tmp_path_factory.mktemp(f"races-{request.param}"))
    with database(request.param, folder) as url, served(folder, url, workers=2) as (server, store):
        yield Pool(server, store)


RACERS = scale(20, 50)
RESULTS: dict[str, dict[str, Any]] = {}


def _note(pool: Pool, race_name: str, counts: Counter[str]) -> None:
    backend = pool.store.engine.dialect.name
    RESULTS.setdefault(backend, {})[race_name] = dict(counts)
    record("races", backend, **RESULTS[backend])


def test_fifty_sign_ups_of_one_email_make_one_user(pool: Pool) -> None:
    email = unique_email("race-signup")
    attrs = [{"Name": "email", "Value": email}]
    body = {"ClientId": pool.default, "Username": email, "Password": PASSWORD, "UserAttributes": attrs}
    counts = outcome(race(50, lambda _: pool.call("SignUp", body)))
    _note(pool, "sign_up_same_email_x50", counts)
    assert counts["ok"] == 1, counts
    assert set(counts) <= {"ok", "UsernameExistsException", "TooManyRequestsException"}, counts
    users = pool.scalar(
        "SELECT count(*) FROM users u JOIN user_logins l ON l.pool_id = u.pool_id AND l.user_sub = u.sub "
        "WHERE l.login_key = :key",
        key=f"email:{email}",
    )
    assert users == 1


def test_one_confirmation_code_confirms_once(pool: Pool) -> None:
    email = unique_email("race-confirm")
    attrs = [{"Name": "email", "Value": email}]
    pool.ok("SignUp", {"ClientId": pool.default, "Username": email, "Password": PASSWORD, "UserAttributes": attrs})
    body = {"ClientId": pool.default, "Username": email, "ConfirmationCode": pool.code(email)}
    counts = outcome(race(RACERS, lambda _: pool.call("ConfirmSignUp", body)))
    _note(pool, f"confirm_sign_up_same_code_x{RACERS}", counts)
    assert counts["ok"] == 1, counts
    assert pool.sign_in(email).status_code == 200


def test_one_reset_code_resets_once(pool: Pool) -> None:
    email = pool.user()
    pool.ok("ForgotPassword", {"ClientId": pool.default, "Username": email})
    code = pool.code(email)
    passwords = [f"Race-{i:02d}-Passw0rd!" for i in range(RACERS)]

    def reset(i: int) -> httpx.Response:
        body = {"ClientId": pool.default, "Username": email, "ConfirmationCode": code, "Password": passwords[i]}
        return pool.call("ConfirmForgotPassword", body)

    responses = race(RACERS, reset)
    counts = outcome(responses)
    _note(pool, f"confirm_forgot_password_same_code_x{RACERS}", counts)
    assert counts["ok"] == 1, counts
    (winner,) = [passwords[i] for i, r in enumerate(responses) if r.status_code == 200]
    # The winner's password is the password; no loser's is.
    assert pool.sign_in(email, password=winner).status_code == 200
    loser = next(p for p in passwords if p != winner)
    assert pool.sign_in(email, password=loser).status_code == 400


def test_one_totp_code_signs_in_once(pool: Pool) -> None:
    email = pool.user()
    access = pool.sign_in(email).json()["AuthenticationResult"]["AccessToken"]
    secret = pool.ok("AssociateSoftwareToken", {"AccessToken": access})["SecretCode"]
    totp = pyotp.TOTP(secret)
    pool.ok("VerifySoftwareToken", {"AccessToken": access, "UserCode": totp.now()})
    pool.ok(
        "SetUserMFAPreference",
        {"AccessToken": access, "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}},
    )
    racers = 5  # a user gets at most 5 code challenges back to back (then one per 5 minutes)
    sessions = []
    for _ in range(racers):
        challenge = pool.sign_in(email).json()
        assert challenge.get("ChallengeName") == "SOFTWARE_TOKEN_MFA", challenge
        sessions.append(challenge["Session"])
    # The next time step's code (accepted: one step either side): setting TOTP up spent the current one.
    code = totp.at(time.time() + 30)

    def answer(i: int) -> httpx.Response:
        responses = {"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code}
        body = {
            "ClientId": pool.default,
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "Session": sessions[i],
            "ChallengeResponses": responses,
        }
        return pool.call("RespondToAuthChallenge", body)

    counts = outcome(race(racers, answer))
    _note(pool, f"totp_same_code_x{racers}", counts)
    assert counts["ok"] == 1, counts
    assert set(counts) <= {"ok", "CodeMismatchException", "ExpiredCodeException"}, counts


def test_one_rotating_refresh_token_refreshes_once(pool: Pool) -> None:
    email = pool.user()
    refresh = pool.sign_in(email, pool.rotating).json()["AuthenticationResult"]["RefreshToken"]
    body = {"ClientId": pool.rotating, "RefreshToken": refresh}
    counts = outcome(race(RACERS, lambda _: pool.call("GetTokensFromRefreshToken", body)))
    _note(pool, f"refresh_with_rotation_same_token_x{RACERS}", counts)
    assert counts["ok"] == 1, counts
    assert set(counts) <= {"ok", "RefreshTokenReuseException", "NotAuthorizedException"}, counts


def test_a_refresh_token_without_rotation_is_reusable_and_stays_one_family(pool: Pool) -> None:
    email = pool.user()
    refresh = pool.sign_in(email).json()["AuthenticationResult"]["RefreshToken"]
    body = {"ClientId": pool.default, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": refresh}}
    counts = outcome(race(RACERS, lambda _: pool.call("InitiateAuth", body)))
    _note(pool, f"refresh_without_rotation_same_token_x{RACERS}", counts)
    assert counts == Counter({"ok": RACERS}), counts
    families = pool.scalar(
        "SELECT count(*) FROM token_sessions t JOIN user_logins l ON l.user_sub = t.user_sub "
        "WHERE l.login_key = :key AND t.revoked_at IS NULL",
        key=f"email:{email}",
    )
    assert families == 1


def test_one_authorization_code_is_exchanged_once(pool: Pool) -> None:
    email = pool.user()
    with Browser(http=httpx.Client(base_url=pool.server.endpoint, timeout=30), client_id=pool.rotating) as browser:
        pkce = Pkce.new()
        code = browser.sign_in(browser.authorize_query(pkce), email)["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": pool.rotating,
        "code_verifier": pkce.verifier,
    }
    counts = outcome(race(RACERS, lambda _: httpx.post(f"{pool.server.endpoint}/oauth2/token", data=form, timeout=30)))
    _note(pool, f"authorization_code_same_code_x{RACERS}", counts)
    assert counts["ok"] == 1, counts
    assert set(counts) <= {"ok", "invalid_grant"}, counts


LOCKOUT = "Password attempts exceeded"


def test_lockout_is_shared_by_both_processes(pool: Pool) -> None:
    """Cognito's lockout: after 5 failed sign-ins, even the right password is refused "Password attempts
    exceeded" for a while. Wrong passwords spread over both processes count together: a second process is no
    bypass."""
    email = pool.user()
    wrong = [pool.sign_in(email, password="Wrong-Passw0rd!") for _ in range(6)]  # the kernel spreads them
    assert all(r.status_code == 400 for r in wrong)
    locked = pool.sign_in(email)
    assert locked.status_code == 400
    assert locked.json()["__type"] == "NotAuthorizedException"
    assert LOCKOUT in locked.json()["message"]
