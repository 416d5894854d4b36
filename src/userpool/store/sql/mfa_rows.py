"""The second-factor half of `SqlTx`: each user's MFA settings and their recovery codes.

TOTP secrets are sealed like every other secret, bound to their column and user. The last TOTP step a
user spent moves only through `spend_totp_step`, one conditional UPDATE, so of two sign-ins racing with
the same code exactly one gets in; likewise `take_recovery_code` is one DELETE whose row count decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from userpool.core.model import MfaSettings
from userpool.crypto.sealing import Sealer
from userpool.store.sql import tables as t
from userpool.store.sql._rows import Prepared, _upsert, _values

_SEALED = ("totp_secret", "totp_pending")
_GET = Prepared(
    sa.select(t.user_mfa).where(
        t.user_mfa.c.pool_id == sa.bindparam("pool_id"), t.user_mfa.c.user_sub == sa.bindparam("user_sub")
    )
)


class MfaRows:
    """Mixed into `SqlTx`, which provides the connection and the sealer."""

    _conn: Connection
    _sealer: Sealer

    def _mfa_context(self, column: str, pool_id: str, user_sub: str) -> str:
        return f"user_mfa.{column}/{pool_id}/{user_sub}"

    def get_mfa(self, pool_id: str, user_sub: str) -> MfaSettings | None:
        row = _GET.first(self._conn, {"pool_id": pool_id, "user_sub": user_sub})
        return None if row is None else self._mfa(row)

    def put_mfa(self, settings: MfaSettings) -> None:
        """Insert, or replace every column but `totp_last_step` (which only `spend_totp_step` moves)."""
        sealed = {
            name: None
            if getattr(settings, name) is None
            else self._sealer.seal_text(
                getattr(settings, name), self._mfa_context(name, settings.pool_id, settings.user_sub)
            )
            for name in _SEALED
        }
        values = _values(settings, **sealed)
        del values["totp_last_step"]
        self._conn.execute(_upsert(self._conn.dialect.name, t.user_mfa, values), values)

    def spend_totp_step(self, pool_id: str, user_sub: str, step: int) -> bool:
        """Record `step` as spent if it is later than every step spent before; False (and nothing written)
        when it is not, or the user has no MFA row."""
        m = t.user_mfa
        query = sa.update(m).where(
            m.c.pool_id == pool_id,
            m.c.user_sub == user_sub,
            sa.or_(m.c.totp_last_step.is_(None), m.c.totp_last_step < step),
        )
        return self._conn.execute(query.values(totp_last_step=step)).rowcount == 1

    def _mfa(self, row: dict[str, Any]) -> MfaSettings:
        r = dict(row)
        for name in _SEALED:
            if r[name] is not None:
                r[name] = self._sealer.unseal_text(r[name], self._mfa_context(name, r["pool_id"], r["user_sub"]))
        return MfaSettings(**r)

    # -- recovery codes --------------------------------------------------------------------------------

    def replace_recovery_codes(self, pool_id: str, user_sub: str, code_hashes: Sequence[str], at: float) -> None:
        """The user's codes become exactly these (none: all gone)."""
        rc = t.recovery_codes
        self._conn.execute(sa.delete(rc).where(rc.c.pool_id == pool_id, rc.c.user_sub == user_sub))
        rows = [{"pool_id": pool_id, "user_sub": user_sub, "code_hash": h, "created_at": at} for h in code_hashes]
        if rows:
            self._conn.execute(sa.insert(rc), rows)

    def take_recovery_code(self, pool_id: str, user_sub: str, code_hash: str) -> bool:
        """Delete the code; True only for the one caller that deleted it."""
        rc = t.recovery_codes
        where = (rc.c.pool_id == pool_id, rc.c.user_sub == user_sub, rc.c.code_hash == code_hash)
        return self._conn.execute(sa.delete(rc).where(*where)).rowcount == 1

    def count_recovery_codes(self, pool_id: str, user_sub: str) -> int:
        rc = t.recovery_codes
        query = sa.select(sa.func.count()).select_from(rc).where(rc.c.pool_id == pool_id, rc.c.user_sub == user_sub)
        return int(self._conn.execute(query).scalar_one())
