"""Per-user lockout (core/lockout.py): Cognito's growing delays, for every secret a sign-in or a code checks,
the same for names no user has. The pool's clock is moved by the test: no waiting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core import errors, lockout
from userpool.core.flows import account, recovery, sign_in, sign_up, software_token
from userpool.core.tokens import AuthResult

ADA = "ada@example.com"
WRONG = "Wrong-Horse-7!"
LOCKED = "Password attempts exceeded"


@pytest.fixture
def h(tmp_path: Path) -> Iterator[PoolHarness]:
    harness = make_pool(tmp_path)
    yield harness
    harness.store.close()


def _wrong(h: PoolHarness, who: str = ADA, password: str = WRONG) -> str:
    """A password sign-in that must fail; returns the refusal's message."""
    with pytest.raises(errors.NotAuthorizedException) as refused:
        h.password_sign_in(who, password)
    return refused.value.message


def _failures(h: PoolHarness, kind: str, who: str) -> int:
    return h.pool.run(lockout.failures, kind, who)


def test_four_failures_cost_nothing_and_the_fifth_locks_for_a_second(h: PoolHarness) -> None:
    sub = h.confirmed_user(ADA)
    for _ in range(4):
        assert _wrong(h) == "Incorrect username or password."
    h.password_sign_in(ADA)  # still free to sign in: and a success forgets the four
    assert _failures(h, lockout.SIGN_IN, sub) == 0
    for _ in range(5):
        assert _wrong(h) == "Incorrect username or password."
    # Locked: even the right password is refused, without being checked.
    assert _wrong(h, password=PASSWORD) == LOCKED
    h.clock.advance(1)
    h.password_sign_in(ADA)


def test_delays_follow_two_to_the_n_minus_five_capped_at_900_seconds(h: PoolHarness) -> None:
    sub = h.confirmed_user(ADA)
    expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    for _ in range(4):
        _wrong(h)
    for n, delay in enumerate(expected, start=5):
        assert _wrong(h) == "Incorrect username or password."  # the n-th failure, counted
        assert _failures(h, lockout.SIGN_IN, sub) == n
        h.clock.advance(delay - 0.5)
        assert _wrong(h, password=PASSWORD) == LOCKED  # still locked just before the delay ends
        assert _failures(h, lockout.SIGN_IN, sub) == n  # and the refusal while locked is not counted
        h.clock.advance(0.5)


def test_fifteen_quiet_minutes_forget_the_count(h: PoolHarness) -> None:
    sub = h.confirmed_user(ADA)
    for _ in range(4):
        _wrong(h)
    h.clock.advance(900)
    assert _failures(h, lockout.SIGN_IN, sub) == 0
    _wrong(h)
    assert _failures(h, lockout.SIGN_IN, sub) == 1


def test_an_unknown_name_is_locked_exactly_like_a_user(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    answers: dict[str, list[str]] = {}
    for who in (ADA, "nobody@example.com"):
        answers[who] = [_wrong(h, who) for _ in range(6)]
    assert answers[ADA] == answers["nobody@example.com"] == ["Incorrect username or password."] * 5 + [LOCKED]


def test_srp_proofs_count_and_a_locked_user_gets_no_challenge(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    for _ in range(5):
        client, challenge = h.srp_start(ADA, WRONG)
        with pytest.raises(errors.NotAuthorizedException, match="Incorrect"):
            h.respond(challenge.name, h.srp_answer(client, challenge), challenge.session)
    with pytest.raises(errors.NotAuthorizedException, match=LOCKED):
        h.srp_start(ADA, PASSWORD)
    h.clock.advance(1)
    assert isinstance(h.srp_sign_in(ADA), AuthResult)


def test_password_failures_over_srp_and_password_sign_in_add_up(h: PoolHarness) -> None:
    sub = h.confirmed_user(ADA)
    for _ in range(2):
        client, challenge = h.srp_start(ADA, WRONG)
        with pytest.raises(errors.NotAuthorizedException):
            h.respond(challenge.name, h.srp_answer(client, challenge), challenge.session)
        _wrong(h)
    assert _failures(h, lockout.SIGN_IN, sub) == 4


def test_wrong_totp_codes_count_towards_the_lock(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"email": True}, multifactor={"mode": "OPTIONAL", "totp": True})
    try:
        sub = h.confirmed_user(ADA)
        step = h.sign_in_step(ADA)
        assert isinstance(step, AuthResult)
        secret = h.pool.run(software_token.associate, access_token=step.access_token)
        app = pyotp.TOTP(secret)
        h.pool.run(software_token.verify, access_token=step.access_token, code=app.at(h.clock.now()), name="app")
        h.clock.advance(30)
        for _ in range(3):  # 3 wrong codes in one sign-in, 2 wrong passwords: five failures
            challenge: Any = h.sign_in_step(ADA)
            assert challenge.name == "SOFTWARE_TOKEN_MFA"
            wrong_code = "000000" if app.at(h.clock.now()) != "000000" else "111111"
            with pytest.raises(errors.CodeMismatchException):
                h.respond(challenge.name, {"USERNAME": ADA, "SOFTWARE_TOKEN_MFA_CODE": wrong_code}, challenge.session)
        _wrong(h)
        _wrong(h)
        assert _failures(h, lockout.SIGN_IN, sub) == 5
        assert _wrong(h, password=PASSWORD) == LOCKED
        h.clock.advance(1)
        challenge = h.sign_in_step(ADA)
        done = h.respond(
            challenge.name, {"USERNAME": ADA, "SOFTWARE_TOKEN_MFA_CODE": app.at(h.clock.now())}, challenge.session
        )
        assert isinstance(done, AuthResult)
        assert _failures(h, lockout.SIGN_IN, sub) == 0  # a whole sign-in forgets the failures
    finally:
        h.store.close()


def test_wrong_confirmation_codes_lock_code_answers_not_sign_in(h: PoolHarness) -> None:
    sub = h.sign_up(ADA)
    good = h.code_for(ADA)
    for i in range(5):
        wrong_code = f"{(int(good) + 1 + i) % 1_000_000:06d}"
        with pytest.raises(errors.CodeMismatchException):
            h.pool.run(sign_up.confirm_sign_up, client_id=h.client_id, username=ADA, code=wrong_code)
    assert _failures(h, lockout.CODES, sub) == 5
    assert _failures(h, lockout.SIGN_IN, sub) == 0
    with pytest.raises(errors.LimitExceededException, match="Attempt limit exceeded"):
        h.pool.run(sign_up.confirm_sign_up, client_id=h.client_id, username=ADA, code=good)


def test_confirm_forgot_password_counts_unknown_names_like_users(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    h.pool.run(recovery.forgot_password, client_id=h.client_id, username=ADA)
    kinds = {}
    for who in (ADA, "nobody@example.com"):
        answers = []
        for _ in range(6):
            try:
                h.pool.run(
                    recovery.confirm_forgot_password,
                    client_id=h.client_id,
                    username=who,
                    code="000000" if h.code_for(ADA) != "000000" else "111111",
                    password="Brand-New-Horse-9",
                )
            except errors.CognitoError as refused:
                answers.append(refused.code)
        kinds[who] = answers
    assert kinds[ADA] == kinds["nobody@example.com"] == ["CodeMismatchException"] * 5 + ["LimitExceededException"]


def test_a_password_reset_ends_the_sign_in_lock(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    for _ in range(6):
        _wrong(h)
    h.pool.run(recovery.forgot_password, client_id=h.client_id, username=ADA)
    h.pool.run(
        recovery.confirm_forgot_password,
        client_id=h.client_id,
        username=ADA,
        code=h.code_for(ADA),
        password="Brand-New-Horse-9",
    )
    h.password_sign_in(ADA, "Brand-New-Horse-9")


def test_change_password_counts_wrong_previous_passwords(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    token = h.password_sign_in(ADA).access_token
    for _ in range(5):
        with pytest.raises(errors.NotAuthorizedException):
            h.pool.run(account.change_password, access_token=token, previous=WRONG, proposed="Brand-New-Horse-9")
    with pytest.raises(errors.LimitExceededException):
        h.pool.run(account.change_password, access_token=token, previous=PASSWORD, proposed="Brand-New-Horse-9")


def test_lockout_can_be_turned_off_or_tuned(tmp_path: Path) -> None:
    (tmp_path / "off").mkdir()
    (tmp_path / "tuned").mkdir()
    off = make_pool(tmp_path / "off", login_with={"email": True}, security={"lockout": False})
    tuned = make_pool(
        tmp_path / "tuned", login_with={"email": True}, security={"lockout": {"max_attempts": 2, "base_delay": 10}}
    )
    try:
        off.confirmed_user(ADA)
        for _ in range(20):
            assert _wrong(off) == "Incorrect username or password."
        off.password_sign_in(ADA)
        tuned.confirmed_user(ADA)
        _wrong(tuned)
        _wrong(tuned)
        tuned.clock.advance(9)
        assert _wrong(tuned, password=PASSWORD) == LOCKED
        tuned.clock.advance(1)
        tuned.password_sign_in(ADA)
    finally:
        off.store.close()
        tuned.store.close()


def test_the_refused_attempt_is_counted_in_the_database(h: PoolHarness) -> None:
    """keep_writes: the count survives the refusal's rollback, in the store every process reads."""
    h.confirmed_user(ADA)
    _wrong(h)
    assert h.count_rows("throttles") == 1
    h.password_sign_in(ADA)
    assert h.count_rows("throttles") == 0


def test_no_sign_in_is_locked_by_someone_elses_failures(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    h.confirmed_user("bob@example.com")
    for _ in range(8):
        _wrong(h)
    h.password_sign_in("bob@example.com")
    assert isinstance(
        h.pool.run(
            sign_in.initiate_auth,
            client_id=h.client_id,
            flow="USER_PASSWORD_AUTH",
            params={"USERNAME": "bob@example.com", "PASSWORD": PASSWORD},
        ),
        AuthResult,
    )
