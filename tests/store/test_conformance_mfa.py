"""Store conformance for second factors: MFA settings (TOTP secrets sealed), the spent-TOTP-step counter,
and recovery codes — on every backend."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from userpool.core.model import MfaSettings
from userpool.crypto.sealing import SealError
from userpool.store.sql import SqlStore

from . import records as r

if TYPE_CHECKING:
    from .conftest import Backend

ADA = "7f1c3b2a-0000-4000-8000-00000000000a"
BOB = "7f1c3b2a-0000-4000-8000-00000000000b"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PENDING = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def _mfa(sub: str = ADA, **kw: object) -> MfaSettings:
    base = MfaSettings(
        pool_id=r.POOL,
        user_sub=sub,
        sms=True,
        totp=True,
        email=False,
        preferred="TOTP",
        totp_secret=SECRET,
        totp_pending=PENDING,
        totp_name="Ada's phone ✓",
        created_at=r.T0,
        updated_at=r.T0 + 0.25,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_mfa_round_trip_replace_and_none_for_a_stranger(store: SqlStore) -> None:
    with store.begin() as tx:
        assert tx.get_mfa(r.POOL, ADA) is None
        tx.put_mfa(_mfa())
    with store.begin() as tx:
        assert tx.get_mfa(r.POOL, ADA) == _mfa()
        assert tx.get_mfa(r.OTHER_POOL, ADA) is None
        tx.put_mfa(_mfa(sms=False, preferred=None, totp_secret=None, totp_pending=None, totp_name=""))
    with store.begin() as tx:
        assert tx.get_mfa(r.POOL, ADA) == _mfa(
            sms=False, preferred=None, totp_secret=None, totp_pending=None, totp_name=""
        )


def test_totp_steps_are_spent_once_and_only_forwards(store: SqlStore) -> None:
    with store.begin() as tx:
        assert not tx.spend_totp_step(r.POOL, ADA, 100)  # no row: nothing to spend against
        tx.put_mfa(_mfa())
        assert tx.spend_totp_step(r.POOL, ADA, 100)
        assert not tx.spend_totp_step(r.POOL, ADA, 100)  # the same step again: a replay
        assert not tx.spend_totp_step(r.POOL, ADA, 99)  # an older one
        assert tx.spend_totp_step(r.POOL, ADA, 101)
    with store.begin() as tx:
        tx.put_mfa(_mfa(totp_name="renamed"))  # a settings write does not move the counter back
        settings = tx.get_mfa(r.POOL, ADA)
        assert settings is not None and settings.totp_last_step == 101 and settings.totp_name == "renamed"
        assert not tx.spend_totp_step(r.POOL, ADA, 101)


def test_recovery_codes_replace_take_once_and_count(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.replace_recovery_codes(r.POOL, ADA, ["h1", "h2", "h3"], r.T0)
        tx.replace_recovery_codes(r.POOL, BOB, ["h1"], r.T0)
        assert tx.count_recovery_codes(r.POOL, ADA) == 3
        assert tx.take_recovery_code(r.POOL, ADA, "h2")
        assert not tx.take_recovery_code(r.POOL, ADA, "h2")
        assert not tx.take_recovery_code(r.POOL, ADA, "nope")
        assert tx.count_recovery_codes(r.POOL, ADA) == 2
        assert tx.count_recovery_codes(r.POOL, BOB) == 1  # Bob's own h1 is untouched
        tx.replace_recovery_codes(r.POOL, ADA, ["h9"], r.T0 + 1)
        assert not tx.take_recovery_code(r.POOL, ADA, "h1")  # regenerating replaced them all
        assert tx.take_recovery_code(r.POOL, ADA, "h9")
        tx.replace_recovery_codes(r.POOL, BOB, [], r.T0)
        assert tx.count_recovery_codes(r.POOL, BOB) == 0


def test_delete_user_removes_their_mfa_and_recovery_codes(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user(ADA))
        tx.put_mfa(_mfa())
        tx.put_mfa(_mfa(BOB))
        tx.replace_recovery_codes(r.POOL, ADA, ["h1"], r.T0)
        tx.replace_recovery_codes(r.POOL, BOB, ["h1"], r.T0)
        tx.delete_user(r.POOL, ADA)
    with store.begin() as tx:
        assert tx.get_mfa(r.POOL, ADA) is None and tx.count_recovery_codes(r.POOL, ADA) == 0
        assert tx.get_mfa(r.POOL, BOB) is not None and tx.count_recovery_codes(r.POOL, BOB) == 1


def test_totp_secrets_are_sealed_at_rest_and_bound_to_their_user(backend: Backend) -> None:
    store = backend.open()
    with store.begin() as tx:
        tx.put_mfa(_mfa())
        tx.put_mfa(_mfa(BOB, totp_secret=PENDING, totp_pending=None))
    with store.engine.connect() as conn:
        secret, pending = conn.execute(
            sa.text("SELECT totp_secret, totp_pending FROM user_mfa WHERE user_sub = :s"), {"s": ADA}
        ).one()
    assert secret.startswith("v1.") and SECRET not in secret
    assert pending.startswith("v1.") and PENDING not in pending
    with store.engine.begin() as conn:  # Ada's secret copied to Bob's row (or column) does not open there
        conn.execute(sa.text("UPDATE user_mfa SET totp_secret = :v WHERE user_sub = :s"), {"v": secret, "s": BOB})
    with store.begin() as tx, pytest.raises(SealError):
        tx.get_mfa(r.POOL, BOB)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE user_mfa SET totp_pending = :v WHERE user_sub = :s"), {"v": secret, "s": ADA})
    with store.begin() as tx, pytest.raises(SealError):
        tx.get_mfa(r.POOL, ADA)
