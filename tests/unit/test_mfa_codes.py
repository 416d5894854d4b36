"""The SMS and email sign-in codes (SMS_MFA, EMAIL_OTP): a code lasts 3 minutes, and the fifth wrong answer
ends the sign-in — the same rules for both channels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pool import PoolHarness
from tests.unit.test_mfa import ADA, PHONE, _code, _pool, _token
from userpool.core import errors
from userpool.core.flows import mfa_settings
from userpool.core.flows.mfa_settings import FactorSetting
from userpool.core.flows.sign_in import Challenge
from userpool.core.tokens import AuthResult

CHANNELS = {  # challenge: (answer field, message purpose)
    "SMS_MFA": ("SMS_MFA_CODE", "mfa_sms"),
    "EMAIL_OTP": ("EMAIL_OTP_CODE", "mfa_email"),
}


@pytest.fixture
def h(tmp_path: Path) -> Iterator[PoolHarness]:
    harness = _pool(tmp_path, totp=True, sms=True, email=True)
    with harness.store.begin() as tx:  # challenges that outlive the code (AuthSessionValidity 15 minutes)
        client = tx.get_client(harness.client_id)
        assert client is not None
        client.auth_session_validity = 900
        tx.put_client(client)
    yield harness
    harness.store.close()


def _user_with(h: PoolHarness, challenge: str) -> None:
    sub = h.confirmed_user(ADA)
    if challenge == "SMS_MFA":
        h.set_attributes(sub, phone_number=PHONE, phone_number_verified="true")
        h.pool.run(mfa_settings.set_user_mfa_preference, access_token=_token(h), sms=FactorSetting(True, True))
    else:
        h.pool.run(mfa_settings.set_user_mfa_preference, access_token=_token(h), email=FactorSetting(True, True))


def _challenge(h: PoolHarness, challenge: str) -> tuple[Challenge, str]:
    step = h.sign_in_step(ADA)
    assert isinstance(step, Challenge) and step.name == challenge
    code = h.messages(CHANNELS[challenge][1])[-1].code
    assert code
    return step, code


@pytest.mark.parametrize("challenge", list(CHANNELS))
def test_a_code_lasts_three_minutes(h: PoolHarness, challenge: str) -> None:
    field = CHANNELS[challenge][0]
    _user_with(h, challenge)
    families = h.count_rows("token_sessions")  # the sign-in that turned the factor on
    step, code = _challenge(h, challenge)
    h.clock.advance(179)
    assert isinstance(_code(h, step, field, code), AuthResult)  # just inside the 3 minutes
    step, code = _challenge(h, challenge)
    h.clock.advance(181)
    with pytest.raises(errors.ExpiredCodeException):
        _code(h, step, field, code)
    assert h.count_rows("token_sessions") == families + 1  # only the sign-in answered in time got tokens


@pytest.mark.parametrize("challenge", list(CHANNELS))
def test_the_fifth_wrong_answer_ends_the_sign_in(h: PoolHarness, challenge: str) -> None:
    field = CHANNELS[challenge][0]
    _user_with(h, challenge)
    families = h.count_rows("token_sessions")
    step, code = _challenge(h, challenge)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(errors.CodeMismatchException):
            _code(h, step, field, wrong)
    with pytest.raises(errors.NotAuthorizedException, match="too many failed attempts"):
        _code(h, step, field, wrong)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _code(h, step, field, code)  # even the right code: this sign-in is over
    assert h.count_rows("token_sessions") == families
    lockout = h.pool.config.security.lockout  # five wrong answers in a row also lock the account briefly
    h.clock.advance(lockout.base_delay + 1)
    step, code = _challenge(h, challenge)  # then a new sign-in gets a new code, and it works
    assert isinstance(_code(h, step, field, code), AuthResult)
