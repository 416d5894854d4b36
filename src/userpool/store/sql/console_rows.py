"""The web console's half of `SqlTx`: operators, their sessions, the audit log, and
pool users' recent sign-in events.

An operator's TOTP secret is sealed like every other secret, bound to its column and name; the last TOTP
step spent moves only through `spend_console_totp_step`, one conditional UPDATE, so a code works once
however requests race. Audit entries are only ever added: nothing here updates or deletes one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from userpool.core.console_records import AuditEntry, ConsoleAdmin, ConsoleSession, SignInEvent
from userpool.crypto.sealing import Sealer
from userpool.store.sql import tables as t
from userpool.store.sql._rows import _upsert, _values

# Built once: every sign-in adds an event (statements built per call cost more than running them).
_e = t.sign_in_events
_ADD_EVENT = sa.insert(_e).returning(_e.c.id)
_MINE = (_e.c.pool_id == sa.bindparam("pool_id"), _e.c.user_sub == sa.bindparam("user_sub"))
# A derived table: MySQL-style "LIMIT in IN" limits aside, both SQLite and PostgreSQL accept it.
_NEWEST = sa.select(_e.c.id).where(*_MINE).order_by(_e.c.id.desc()).limit(sa.bindparam("keep"))
_PRUNE_EVENTS = sa.delete(_e).where(*_MINE, _e.c.id.not_in(sa.select(_NEWEST.subquery().c.id)))


class ConsoleRows:
    """Mixed into `SqlTx`, which provides the connection and the sealer."""

    _conn: Connection
    _sealer: Sealer

    # -- pool users' sign-in events ----------------------------------------------------------------------

    def add_sign_in_event(self, event: SignInEvent, *, keep: int = 20) -> None:
        """Add the event, then drop the user's older ones beyond the newest `keep`."""
        values = _values(event)
        del values["id"]
        event.id = int(self._conn.execute(_ADD_EVENT, values).scalar_one())
        self._conn.execute(_PRUNE_EVENTS, {"pool_id": event.pool_id, "user_sub": event.user_sub, "keep": keep})

    def list_sign_in_events(self, pool_id: str, user_sub: str, *, limit: int = 20) -> Sequence[SignInEvent]:
        e = t.sign_in_events
        query = sa.select(e).where(e.c.pool_id == pool_id, e.c.user_sub == user_sub).order_by(e.c.id.desc())
        return [SignInEvent(**row._asdict()) for row in self._conn.execute(query.limit(limit))]

    # -- operators -----------------------------------------------------------------------------------------

    def get_console_admin(self, name: str) -> ConsoleAdmin | None:
        a = t.console_admins
        row = self._conn.execute(sa.select(a).where(a.c.name == name)).first()
        return None if row is None else self._admin(row)

    def put_console_admin(self, admin: ConsoleAdmin) -> None:
        """Insert, or update every column but `totp_last_step` (which only the spend moves) — unless the TOTP
        secret changed (`console reset-admin`), which starts its steps afresh."""
        a = t.console_admins
        context = f"console_admins.totp_secret/{admin.name}"
        values = _values(admin, totp_secret=self._sealer.seal_text(admin.totp_secret, context))
        existing = self._conn.execute(sa.select(a.c.totp_secret).where(a.c.name == admin.name)).first()
        if existing is None:
            values["totp_last_step"] = None
            self._conn.execute(sa.insert(a).values(values))
            return
        if self._sealer.unseal_text(existing[0], context) == admin.totp_secret:
            del values["totp_last_step"]
        else:
            values["totp_last_step"] = None
        self._conn.execute(sa.update(a).where(a.c.name == admin.name).values(values))

    def list_console_admins(self) -> Sequence[ConsoleAdmin]:
        a = t.console_admins
        return [self._admin(row) for row in self._conn.execute(sa.select(a).order_by(a.c.name))]

    def spend_console_totp_step(self, name: str, step: int) -> bool:
        a = t.console_admins
        query = sa.update(a).where(a.c.name == name, sa.or_(a.c.totp_last_step.is_(None), a.c.totp_last_step < step))
        return self._conn.execute(query.values(totp_last_step=step)).rowcount == 1

    def _admin(self, row: Row[Any]) -> ConsoleAdmin:
        r = row._asdict()
        r["totp_secret"] = self._sealer.unseal_text(r["totp_secret"], f"console_admins.totp_secret/{r['name']}")
        return ConsoleAdmin(**r)

    # -- their sessions ---------------------------------------------------------------------------------------

    def put_console_session(self, session: ConsoleSession) -> None:
        values = _values(session)
        self._conn.execute(_upsert(self._conn.dialect.name, t.console_sessions, values), values)

    def get_console_session(self, id_hash: str) -> ConsoleSession | None:
        s = t.console_sessions
        row = self._conn.execute(sa.select(s).where(s.c.id_hash == id_hash)).first()
        return None if row is None else ConsoleSession(**row._asdict())

    def delete_console_session(self, id_hash: str) -> None:
        s = t.console_sessions
        self._conn.execute(sa.delete(s).where(s.c.id_hash == id_hash))

    def delete_admin_console_sessions(self, name: str) -> int:
        s = t.console_sessions
        return int(self._conn.execute(sa.delete(s).where(s.c.admin_name == name)).rowcount)

    # -- the audit log -------------------------------------------------------------------------------------

    def add_audit(self, entry: AuditEntry) -> int:
        log = t.audit_log
        values = _values(entry, details=json.dumps(entry.details, ensure_ascii=False, separators=(",", ":")))
        del values["id"]
        entry.id = int(self._conn.execute(sa.insert(log).values(values).returning(log.c.id)).scalar_one())
        return entry.id

    def list_audit(
        self,
        pool_id: str,
        *,
        actor: str | None = None,
        target: str | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> Sequence[AuditEntry]:
        log = t.audit_log
        query = sa.select(log).where(log.c.pool_id == pool_id)
        if actor is not None:
            query = query.where(log.c.actor == actor)
        if target is not None:
            query = query.where(log.c.target == target)
        if before_id is not None:
            query = query.where(log.c.id < before_id)
        rows = self._conn.execute(query.order_by(log.c.id.desc()).limit(limit))
        return [AuditEntry(**{**row._asdict(), "details": json.loads(row.details)}) for row in rows]
