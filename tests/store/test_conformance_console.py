"""Store conformance for the web console: operators (TOTP secrets sealed, steps spent once), their
sessions, the sign-in throttle, the audit log, and users' sign-in events — on every backend."""

from __future__ import annotations

import sqlalchemy as sa

from userpool.core.console_records import AuditEntry, ConsoleAdmin, ConsoleSession, SignInEvent
from userpool.store.sql import SqlStore

from . import records as r

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ADA = "7f1c3b2a-0000-4000-8000-00000000000a"


def _admin(name: str = "alice", **kw: object) -> ConsoleAdmin:
    base = ConsoleAdmin(name=name, password_hash="$argon2id$x", totp_secret=SECRET, created_at=r.T0, updated_at=r.T0)
    for key, value in kw.items():
        setattr(base, key, value)
    return base


def _session(id_hash: str = "h1", name: str = "alice", **kw: object) -> ConsoleSession:
    base = ConsoleSession(id_hash, name, "in", r.T0, r.T0, r.T0 + 60, "203.0.113.9", "Firefox")
    for key, value in kw.items():
        setattr(base, key, value)
    return base


def test_operator_round_trip_with_the_totp_secret_sealed(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_console_admin(_admin())
        tx.put_console_admin(_admin("bob"))
    with store.begin() as tx:
        assert tx.get_console_admin("alice") == _admin()
        assert [a.name for a in tx.list_console_admins()] == ["alice", "bob"]
        assert tx.get_console_admin("carol") is None
    with store.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT totp_secret FROM console_admins WHERE name = 'alice'")).scalar_one()
    assert SECRET not in raw


def test_a_totp_step_is_spent_once_and_a_new_secret_starts_afresh(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_console_admin(_admin())
        assert tx.spend_console_totp_step("alice", 100)
        assert not tx.spend_console_totp_step("alice", 100)
        assert not tx.spend_console_totp_step("alice", 99)
        tx.put_console_admin(_admin(last_sign_in_at=r.T0 + 5))  # same secret: the spent step stays
        assert not tx.spend_console_totp_step("alice", 100)
        tx.put_console_admin(_admin(totp_secret="KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"))
        assert tx.spend_console_totp_step("alice", 100)
        assert not tx.spend_console_totp_step("nobody", 1)


def test_sessions_end_one_by_one_per_operator_and_when_expired(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_console_admin(_admin())
        tx.put_console_session(_session("h1"))
        tx.put_console_session(_session("h2"))
        tx.put_console_session(_session("h3", expires_at=r.T0 + 10))
    with store.begin() as tx:
        assert tx.get_console_session("h1") == _session("h1")
        tx.delete_console_session("h1")
        assert tx.get_console_session("h1") is None
        assert tx.purge_expired(r.T0 + 30) == 1
        assert tx.get_console_session("h3") is None
        assert tx.delete_admin_console_sessions("alice") == 1


def test_audit_entries_newest_first_filtered_and_paged(store: SqlStore) -> None:
    with store.begin() as tx:
        for i in range(5):
            entry = AuditEntry(
                pool_id=r.POOL,
                at=r.T0 + i,
                actor="alice" if i % 2 == 0 else "bob",
                action="user.disable",
                target=f"user:u{i % 2}",
                details={"n": i, "note": "é"},
                client_ip="198.51.100.7",
                user_agent="Chromium",
            )
            assert tx.add_audit(entry) == entry.id
        tx.add_audit(AuditEntry(pool_id="other", at=r.T0, actor="alice", action="x", target="y"))
    with store.begin() as tx:
        everything = tx.list_audit(r.POOL)
        assert [e.details["n"] for e in everything] == [4, 3, 2, 1, 0]
        assert everything[0].details == {"n": 4, "note": "é"} and everything[0].client_ip == "198.51.100.7"
        assert [e.at for e in tx.list_audit(r.POOL, actor="bob")] == [r.T0 + 3, r.T0 + 1]
        assert [e.at for e in tx.list_audit(r.POOL, target="user:u0", actor="alice")] == [r.T0 + 4, r.T0 + 2, r.T0]
        page = tx.list_audit(r.POOL, limit=2)
        assert [e.at for e in tx.list_audit(r.POOL, limit=2, before_id=page[-1].id)] == [r.T0 + 2, r.T0 + 1]


def test_sign_in_events_keep_the_newest_and_go_with_the_user(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_pool(r.pool())
        tx.insert_user(r.user(ADA, f"username:{ADA}"))
        for i in range(5):
            tx.add_sign_in_event(SignInEvent(r.POOL, ADA, r.T0 + i, i % 2 == 0, "client", "192.0.2.1", "x"), keep=3)
    with store.begin() as tx:
        events = tx.list_sign_in_events(r.POOL, ADA)
        assert [(e.at, e.success) for e in events] == [(r.T0 + 4, True), (r.T0 + 3, False), (r.T0 + 2, True)]
        tx.delete_user(r.POOL, ADA)
    with store.begin() as tx:
        assert tx.list_sign_in_events(r.POOL, ADA) == []
