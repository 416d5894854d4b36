"""The resend cooldown: a token bucket per (user, purpose) for every code sent, kept in the database.

SEND_BURST codes go out back to back, then one each SEND_INTERVAL; a refused send is LimitExceededException
with nothing sent and nothing written, and the answers are the same for a user who does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from tests.support.pool import PoolHarness, make_pool
from userpool.core import errors
from userpool.core.codes import LIMIT_MESSAGE, SEND_BURST, SEND_INTERVAL
from userpool.core.delivery import CodeDelivery
from userpool.core.flows import account, hosted, recovery, sign_up

ADA = "ada@example.com"


def _resend(h: PoolHarness, username: str = ADA) -> CodeDelivery:
    return h.pool.run(sign_up.resend_confirmation_code, client_id=h.client_id, username=username)


def _forgot(h: PoolHarness, username: str = ADA) -> CodeDelivery:
    return h.pool.run(recovery.forgot_password, client_id=h.client_id, username=username)


def _refused(send: Callable[[], object]) -> None:
    with pytest.raises(errors.LimitExceededException) as exc:
        send()
    assert exc.value.message == LIMIT_MESSAGE == "Attempt limit exceeded, please try after some time."


def test_sign_up_and_immediate_resends_pass_until_the_bucket_is_empty(harness: PoolHarness) -> None:
    harness.sign_up(ADA)  # send 1
    for _ in range(SEND_BURST - 1):
        _resend(harness)
    last_code = harness.code_for(ADA)
    sent = len(harness.sent)
    _refused(lambda: _resend(harness))
    assert len(harness.sent) == sent  # nothing sent
    # the refused resend replaced nothing: the last code still confirms
    harness.pool.run(sign_up.confirm_sign_up, client_id=harness.client_id, username=ADA, code=last_code)


def test_the_bucket_refills_one_send_per_interval(harness: PoolHarness) -> None:
    harness.sign_up(ADA)
    for _ in range(SEND_BURST - 1):
        _resend(harness)
    harness.clock.advance(SEND_INTERVAL - 1)
    _refused(lambda: _resend(harness))
    harness.clock.advance(1)
    _resend(harness)  # one refilled
    _refused(lambda: _resend(harness))
    harness.clock.advance(SEND_BURST * SEND_INTERVAL)  # full again, not fuller
    for _ in range(SEND_BURST):
        _resend(harness)
    _refused(lambda: _resend(harness))


def test_each_purpose_has_its_own_bucket(harness: PoolHarness) -> None:
    harness.confirmed_user(ADA)
    token = harness.password_sign_in(ADA).access_token
    for _ in range(SEND_BURST):
        _forgot(harness)
    _refused(lambda: _forgot(harness))
    for _ in range(SEND_BURST):  # verification codes still go out
        harness.pool.run(account.get_user_attribute_verification_code, access_token=token, attribute="email")
    _refused(
        lambda: harness.pool.run(account.get_user_attribute_verification_code, access_token=token, attribute="email")
    )


def test_a_refused_email_change_changes_nothing(harness: PoolHarness) -> None:
    harness.confirmed_user(ADA)
    token = harness.password_sign_in(ADA).access_token
    for _ in range(SEND_BURST):
        harness.pool.run(account.get_user_attribute_verification_code, access_token=token, attribute="email")
    _refused(
        lambda: harness.pool.run(
            account.update_user_attributes, access_token=token, attributes={"email": "new@example.com"}
        )
    )
    user = harness.pool.run(account.get_user, access_token=token)
    assert user.pending_attributes == {} and user.attributes["email"] == ADA
    assert not [m for m in harness.sent if m.to == "new@example.com"]


def test_burning_or_spending_a_code_buys_no_new_sends(harness: PoolHarness) -> None:
    harness.confirmed_user(ADA)
    for _ in range(SEND_BURST - 1):
        _forgot(harness)
    for _ in range(5):  # burn the code with wrong guesses
        with pytest.raises(errors.CodeMismatchException):
            harness.pool.run(
                recovery.confirm_forgot_password,
                client_id=harness.client_id,
                username=ADA,
                code="000000" if harness.code_for(ADA) != "000000" else "111111",
                password="Reset-Passw0rd!",
            )
    _forgot(harness)  # the fifth send
    harness.clock.advance(1)  # the fifth wrong guess locked the user's codes for a second (core/lockout.py)
    harness.pool.run(
        recovery.confirm_forgot_password,
        client_id=harness.client_id,
        username=ADA,
        code=harness.code_for(ADA),
        password="Reset-Passw0rd!",
    )
    _refused(lambda: _forgot(harness))
    harness.clock.advance(3600)  # long after the code would have expired
    _forgot(harness)


def test_unknown_and_known_users_get_the_same_answers(harness: PoolHarness) -> None:
    harness.confirmed_user(ADA)
    harness.sign_up("unverified@example.com")
    for who in (ADA, "nobody@example.com", "unverified@example.com"):
        answers = [_forgot(harness, who).medium for _ in range(SEND_BURST)]
        assert answers == ["EMAIL"] * SEND_BURST
        _refused(partial(_forgot, harness, who))
    for _ in range(SEND_BURST):  # resend for a name nobody has: the same bucket a real one has
        _resend(harness, "Nobody@Example.com")
    _refused(lambda: _resend(harness, "nobody@example.com"))
    harness.clock.advance(SEND_INTERVAL)
    assert _resend(harness, "nobody@example.com").medium == "EMAIL"
    assert [m.to for m in harness.sent if m.purpose == "forgot_password"] == [ADA] * SEND_BURST


def test_the_hosted_pages_resend_uses_the_same_bucket(harness: PoolHarness) -> None:
    harness.sign_up(ADA)
    for _ in range(SEND_BURST - 1):
        harness.pool.run(hosted.resend_code, client_id=harness.client_id, username=ADA)
    _refused(lambda: _resend(harness))
    _refused(lambda: harness.pool.run(hosted.resend_code, client_id=harness.client_id, username=ADA))


def test_the_cooldown_holds_across_processes_and_restarts(tmp_path: Path) -> None:
    first = make_pool(tmp_path)
    second = make_pool(tmp_path, clock=first.clock)  # another server process on the same database
    try:
        first.sign_up(ADA)
        for _ in range(SEND_BURST - 1):
            _resend(second)
        _refused(lambda: _resend(first))
        _refused(lambda: _resend(second))
    finally:
        first.store.close()
        second.store.close()
    restarted = make_pool(tmp_path, clock=first.clock)
    try:
        _refused(lambda: _resend(restarted))
        restarted.clock.advance(SEND_INTERVAL)
        _resend(restarted)
    finally:
        restarted.store.close()
