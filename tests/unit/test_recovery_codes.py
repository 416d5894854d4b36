"""Recovery codes: ten, single use, in place of any MFA code, regenerable, gone with the last factor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from tests.support.pool import PoolHarness, make_pool
from userpool.core import errors
from userpool.core.flows import mfa_settings, recovery_codes, software_token
from userpool.core.flows.mfa_settings import FactorSetting
from userpool.core.flows.sign_in import Challenge
from userpool.core.tokens import AuthResult

ADA = "ada@example.com"


@pytest.fixture
def h(tmp_path: Path) -> Iterator[PoolHarness]:
    harness = make_pool(tmp_path, login_with={"email": True}, multifactor={"mode": "OPTIONAL", "totp": True})
    yield harness
    harness.store.close()


def _token(h: PoolHarness) -> str:
    step = h.sign_in_step(ADA)
    assert isinstance(step, AuthResult)
    return step.access_token


def _with_totp(h: PoolHarness) -> str:
    h.confirmed_user(ADA)
    token = _token(h)
    secret = h.pool.run(software_token.associate, access_token=token)
    h.pool.run(software_token.verify, access_token=token, code=pyotp.TOTP(secret).at(h.clock.now()), name=None)
    return token


def _answer(h: PoolHarness, code: str, field: str = "SOFTWARE_TOKEN_MFA_CODE") -> object:
    step = h.sign_in_step(ADA)
    assert isinstance(step, Challenge) and step.name == "SOFTWARE_TOKEN_MFA"
    return h.respond(step.name, {"USERNAME": ADA, field: code}, step.session)


def test_codes_need_an_mfa_factor(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    with pytest.raises(errors.InvalidParameterException, match="MFA factor"):
        h.pool.run(recovery_codes.generate, access_token=_token(h))


def test_ten_codes_each_work_once_in_the_usual_code_field(h: PoolHarness) -> None:
    token = _with_totp(h)
    codes = h.pool.run(recovery_codes.generate, access_token=token)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 27 and c.count("-") == 3 for c in codes)  # 4 groups of 6, 120 bits
    assert h.pool.run(recovery_codes.status, access_token=token).remaining == 10
    assert isinstance(_answer(h, codes[0]), AuthResult)
    with pytest.raises(errors.CodeMismatchException):
        _answer(h, codes[0])
    assert isinstance(_answer(h, codes[1].upper().replace("-", " "), "RECOVERY_CODE"), AuthResult)  # forgiving
    assert h.pool.run(recovery_codes.status, access_token=token).remaining == 8


def test_regenerating_replaces_every_code(h: PoolHarness) -> None:
    token = _with_totp(h)
    old = h.pool.run(recovery_codes.generate, access_token=token)
    new = h.pool.run(recovery_codes.generate, access_token=token)
    assert not set(old) & set(new)
    with pytest.raises(errors.CodeMismatchException):
        _answer(h, old[0])
    assert isinstance(_answer(h, new[0]), AuthResult)


def test_turning_the_last_factor_off_removes_the_codes(h: PoolHarness) -> None:
    token = _with_totp(h)
    h.pool.run(recovery_codes.generate, access_token=token)
    h.pool.run(mfa_settings.set_user_mfa_preference, access_token=token, totp=FactorSetting(False))
    assert h.pool.run(recovery_codes.status, access_token=token).remaining == 0


def test_codes_are_stored_only_as_keyed_hashes(h: PoolHarness) -> None:
    token = _with_totp(h)
    codes = h.pool.run(recovery_codes.generate, access_token=token)
    with h.store.engine.connect() as conn:
        stored = [row[0] for row in conn.exec_driver_sql("SELECT code_hash FROM recovery_codes")]
    assert len(stored) == 10
    for code in codes:
        normalized = recovery_codes.normalize(code)
        assert normalized is not None and all(normalized not in s and code not in s for s in stored)
