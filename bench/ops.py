"""The operations the generator drives, each as an app or a browser performs it against any Cognito server.

Each operation takes a connection and one input and returns an `Outcome` (server seconds, client seconds,
and a product the next operations consume: a signed-up user, tokens). They only speak the wire protocol,
so the same code drives userpool and its peers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench import srp_client
from bench.http import Connection, Response, cognito
from bench.load import OperationFailed, Outcome
from userpool.core.srp import format_timestamp

PASSWORD = "Corr3ct-Horse!"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# Client SRP maths run on this thread, off the event loop (gmpy2 releases the GIL there).
_MATHS = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="srp-client", initializer=srp_client.release_gil)


@dataclass
class Account:
    email: str
    password: str = PASSWORD


@dataclass
class Tokens:
    access: str
    id: str
    refresh: str


@dataclass
class Target:
    """A Cognito-speaking server under test and what the generator needs to drive it."""

    name: str
    host: str
    port: int
    pool_id: str
    client_id: str
    refresh_action: str = "GetTokensFromRefreshToken"  # or "InitiateAuth" (REFRESH_TOKEN_AUTH)
    _gx: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict, repr=False)

    @property
    def pool_name(self) -> str:
        return self.pool_id.split("_", 1)[1]


def _check(response: Response, what: str) -> Any:
    if response.status != 200:
        raise OperationFailed(f"{what}: HTTP {response.status} {response.body[:200]!r}")
    return response.json()


async def _timed(conn: Connection, action: str, body: dict[str, Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    response = await cognito(conn, action, body)
    elapsed = time.perf_counter() - t0
    return _check(response, action), elapsed


def _tokens(result: dict[str, Any], refresh: str | None = None) -> Tokens:
    auth = result.get("AuthenticationResult")
    if not auth:
        raise OperationFailed(f"no tokens: challenge {result.get('ChallengeName')}")
    return Tokens(auth["AccessToken"], auth["IdToken"], auth.get("RefreshToken") or refresh or "")


def fresh_accounts(prefix: str) -> Iterator[Account]:
    run = uuid.uuid4().hex[:6]
    for i in itertools.count():
        yield Account(f"{prefix}-{run}-{i}@bench.example.com")


def cycle(items: list[Any]) -> Iterator[Any]:
    if not items:
        return iter(())
    return itertools.cycle(items)


# -- the operations --------------------------------------------------------------------------------------


def sign_up(target: Target) -> Any:
    async def op(conn: Connection, account: Account) -> Outcome:
        body = {
            "ClientId": target.client_id,
            "Username": account.email,
            "Password": account.password,
            "UserAttributes": [{"Name": "email", "Value": account.email}],
        }
        _, elapsed = await _timed(conn, "SignUp", body)
        return Outcome(elapsed, product=account)

    return op


def confirm(target: Target) -> Any:
    async def op(conn: Connection, item: tuple[Account, str]) -> Outcome:
        account, code = item
        body = {"ClientId": target.client_id, "Username": account.email, "ConfirmationCode": code}
        _, elapsed = await _timed(conn, "ConfirmSignUp", body)
        return Outcome(elapsed, product=account)

    return op


def password_sign_in(target: Target) -> Any:
    async def op(conn: Connection, account: Account) -> Outcome:
        body = {
            "ClientId": target.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": account.email, "PASSWORD": account.password},
        }
        result, elapsed = await _timed(conn, "InitiateAuth", body)
        return Outcome(elapsed, product=_tokens(result))

    return op


def srp_sign_in(target: Target) -> Any:
    """Both round trips; the client maths between them run on the maths thread and count as client time."""
    loop_maths = _MATHS

    async def op(conn: Connection, account: Account) -> Outcome:
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        eph = await loop.run_in_executor(loop_maths, srp_client.ephemeral)
        client = time.perf_counter() - t0
        body = {
            "ClientId": target.client_id,
            "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": {"USERNAME": account.email, "SRP_A": eph.srp_a},
        }
        challenge, first = await _timed(conn, "InitiateAuth", body)
        params = challenge["ChallengeParameters"]
        user_id = params["USER_ID_FOR_SRP"]
        timestamp = format_timestamp(time.time())
        t1 = time.perf_counter()
        signature = await loop.run_in_executor(loop_maths, _answer, target, eph, account, user_id, params, timestamp)
        client += time.perf_counter() - t1
        answer = {
            "ClientId": target.client_id,
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeResponses": {
                "USERNAME": user_id,
                "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
                "PASSWORD_CLAIM_SIGNATURE": signature,
                "TIMESTAMP": timestamp,
            },
        }
        if challenge.get("Session"):
            answer["Session"] = challenge["Session"]
        result, second = await _timed(conn, "RespondToAuthChallenge", answer)
        return Outcome(first + second, client, product=_tokens(result))

    return op


def _answer(
    target: Target, eph: srp_client.Ephemeral, account: Account, user_id: str, params: dict[str, str], ts: str
) -> str:
    key = (user_id, params["SALT"])
    if key not in target._gx:  # x and g^x are the user's for good: an app would keep them too
        x = srp_client.password_x(target.pool_name, user_id, account.password, params["SALT"])
        target._gx[key] = (x, srp_client.gx(x))
    x, gx = target._gx[key]
    return srp_client.answer(
        eph,
        pool_name=target.pool_name,
        user_id=user_id,
        x=x,
        gx=gx,
        srp_b=params["SRP_B"],
        secret_block=params["SECRET_BLOCK"],
        timestamp=ts,
    )


def refresh(target: Target) -> Any:
    async def op(conn: Connection, tokens: Tokens) -> Outcome:
        if target.refresh_action == "GetTokensFromRefreshToken":
            body: dict[str, Any] = {"ClientId": target.client_id, "RefreshToken": tokens.refresh}
        else:
            body = {
                "ClientId": target.client_id,
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "AuthParameters": {"REFRESH_TOKEN": tokens.refresh},
            }
        result, elapsed = await _timed(conn, target.refresh_action, body)
        if target.refresh_action == "GetTokensFromRefreshToken":
            result = {"AuthenticationResult": result["AuthenticationResult"]}
        return Outcome(elapsed, product=_tokens(result, tokens.refresh))

    return op


def get_user(target: Target) -> Any:
    async def op(conn: Connection, tokens: Tokens) -> Outcome:
        result, elapsed = await _timed(conn, "GetUser", {"AccessToken": tokens.access})
        if not result.get("Username"):
            raise OperationFailed("GetUser answered without a Username")
        return Outcome(elapsed)

    return op


def hosted_sign_in(target: Target) -> Any:
    """A new browser: GET /login (sets the browser cookie, renders the form with its CSRF token), then POST
    the form and expect 303 with the web session cookie."""
    query = "?" + urlencode({"client_id": target.client_id})

    async def op(conn: Connection, account: Account) -> Outcome:
        t0 = time.perf_counter()
        page = await conn.request("GET", "/login" + query, {"Accept": "text/html"})
        if page.status != 200:
            raise OperationFailed(f"GET /login: HTTP {page.status}")
        found = _CSRF.search(page.body.decode())
        if found is None:
            raise OperationFailed("GET /login: no CSRF token in the form")
        cookie = "; ".join(f"{k}={v}" for k, v in page.cookies().items())
        form = urlencode({"csrf_token": found.group(1), "username": account.email, "password": account.password})
        posted = await conn.request(
            "POST",
            "/login" + query,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "text/html"},
            form.encode(),
        )
        elapsed = time.perf_counter() - t0
        if posted.status != 303 or "userpool-session" not in posted.cookies():
            raise OperationFailed(f"POST /login: HTTP {posted.status}, not 303 with a session")
        return Outcome(elapsed)

    return op
