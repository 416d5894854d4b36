"""Timing: is an unknown user told apart from a known one by how long the answer takes?

For each flow an attacker can aim at a name — USER_PASSWORD_AUTH, USER_SRP_AUTH's first step,
ForgotPassword, ConfirmForgotPassword, ConfirmSignUp — hundreds of attempts (with --deep) for an unknown
name and a known one with a wrong password or code, interleaved in a shuffled order so the machine's
noise falls on both alike, on the real argon2id parameters. The test asserts what is robust: the same
answer and the same argon2 work (every verification counted) on both paths. The medians and their
difference are printed and recorded for SECURITY.md; on a shared machine they are figures, not a gate.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP

from tests.security.support import record, scale
from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core.errors import CognitoError
from userpool.core.flows import recovery, sign_in, sign_up
from userpool.crypto.passwords import Argon2Hasher

PAUSE = 960.0  # the pool's clock moves 16 minutes between attempts: past every cooldown and lockout window


class CountingArgon2:
    """argon2-cffi's hasher, counting the work it does (each call is a full argon2id run)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def hash(self, password: str) -> str:
        self.calls += 1
        return str(self.inner.hash(password))

    def verify(self, encoded: str, password: str) -> bool:
        self.calls += 1
        return bool(self.inner.verify(encoded, password))

    def check_needs_rehash(self, encoded: str) -> bool:
        return bool(self.inner.check_needs_rehash(encoded))


@dataclass
class Side:
    seconds: list[float] = field(default_factory=list)
    argon2: set[int] = field(default_factory=set)  # argon2 runs per attempt (one value when they all agree)
    answers: set[str] = field(default_factory=set)


@dataclass
class Timing:
    h: PoolHarness
    counter: CountingArgon2

    def attempt(self, side: Side, call: Callable[[], Any], before: Callable[[], Any] | None = None) -> None:
        self.h.clock.advance(PAUSE)
        if before is not None:
            before()  # untimed set-up (a fresh code to guess at)
        self.counter.calls = 0
        start = time.perf_counter()
        try:
            result = call()
            answer = type(result).__name__
        except CognitoError as err:
            answer = err.code
        side.seconds.append(time.perf_counter() - start)
        side.argon2.add(self.counter.calls)
        side.answers.add(answer)


@pytest.fixture(scope="module")
def timing(tmp_path_factory: pytest.TempPathFactory) -> Timing:
    h = make_pool(Path(tmp_path_factory.mktemp("timing")))
    assert isinstance(h.pool.hasher, Argon2Hasher)  # the production hasher, OWASP's parameters
    counter = CountingArgon2(h.pool.hasher._ph)
    h.pool.hasher._ph = counter  # type: ignore[assignment]
    return Timing(h, counter)


ATTEMPTS = scale(40, 400)


def compare(
    timing: Timing,
    flow: str,
    unknown: Callable[[], Any],
    known: Callable[[], Any],
    before: dict[str, Callable[[], Any]] | None = None,
) -> None:
    before = before or {}
    sides = {"unknown": Side(), "known": Side()}
    calls = {"unknown": unknown, "known": known}
    rng = random.Random(flow)
    for _ in range(ATTEMPTS):
        order = ["unknown", "known"]
        rng.shuffle(order)
        for name in order:
            timing.attempt(sides[name], calls[name], before.get(name))
    u, k = (statistics.median(sides[s].seconds) for s in ("unknown", "known"))
    spread = abs(u - k) / max(u, k)
    print(f"{flow}: unknown {u * 1000:.2f} ms, known {k * 1000:.2f} ms, difference {spread:.1%} ({ATTEMPTS} each)")
    record(
        "timing",
        flow,
        attempts_each=ATTEMPTS,
        median_unknown_ms=round(u * 1000, 3),
        median_known_ms=round(k * 1000, 3),
        difference_percent=round(spread * 100, 2),
        argon2_per_attempt={s: sorted(sides[s].argon2) for s in sides},
        answers={s: sorted(sides[s].answers) for s in sides},
    )
    assert sides["unknown"].answers == sides["known"].answers, {s: sides[s].answers for s in sides}
    assert len(sides["unknown"].argon2) == 1, sides["unknown"].argon2
    assert sides["unknown"].argon2 == sides["known"].argon2, {s: sides[s].argon2 for s in sides}


def _user(timing: Timing, confirmed: bool = True) -> str:
    email = f"timing-{random.randrange(10**9)}@example.com"
    (timing.h.confirmed_user if confirmed else timing.h.sign_up)(email)
    return email


def test_password_sign_in(timing: Timing) -> None:
    h, email = timing.h, _user(timing)

    def attempt(name: str) -> Callable[[], Any]:
        params = {"USERNAME": name, "PASSWORD": "Wrong-Passw0rd!"}
        return lambda: h.pool.run(
            sign_in.initiate_auth, client_id=h.client_id, flow="USER_PASSWORD_AUTH", params=params
        )

    compare(timing, "USER_PASSWORD_AUTH", attempt("nobody@example.com"), attempt(email))


def test_srp_first_step(timing: Timing) -> None:
    h, email = timing.h, _user(timing)

    def attempt(name: str) -> Callable[[], Any]:
        srp = AWSSRP(
            username=name, password=PASSWORD, pool_id=h.pool.config.pool_id, client_id=h.client_id, client=object()
        )
        params = srp.get_auth_params()
        return lambda: h.pool.run(sign_in.initiate_auth, client_id=h.client_id, flow="USER_SRP_AUTH", params=params)

    compare(timing, "USER_SRP_AUTH", attempt("nobody@example.com"), attempt(email))


def test_forgot_password(timing: Timing) -> None:
    h, email = timing.h, _user(timing)

    def attempt(name: str) -> Callable[[], Any]:
        return lambda: h.pool.run(recovery.forgot_password, client_id=h.client_id, username=name)

    compare(timing, "ForgotPassword", attempt("nobody@example.com"), attempt(email))


def test_confirm_forgot_password(timing: Timing) -> None:
    h, email = timing.h, _user(timing)

    def attempt(name: str) -> Callable[[], Any]:
        return lambda: h.pool.run(
            recovery.confirm_forgot_password,
            client_id=h.client_id,
            username=name,
            code="000000",
            password="N3w-Passw0rd!x",
        )

    def fresh_code() -> None:
        h.pool.run(recovery.forgot_password, client_id=h.client_id, username=email)

    compare(timing, "ConfirmForgotPassword", attempt("nobody@example.com"), attempt(email), {"known": fresh_code})


def test_confirm_sign_up(timing: Timing) -> None:
    h, email = timing.h, _user(timing, confirmed=False)

    def attempt(name: str) -> Callable[[], Any]:
        return lambda: h.pool.run(sign_up.confirm_sign_up, client_id=h.client_id, username=name, code="000000")

    def fresh_code() -> None:
        h.pool.run(sign_up.resend_confirmation_code, client_id=h.client_id, username=email)

    compare(timing, "ConfirmSignUp", attempt("nobody@example.com"), attempt(email), {"known": fresh_code})
