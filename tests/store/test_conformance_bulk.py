"""Store conformance for bulk import (`userpool users import`): a batch of users in a few statements, all
or none of them, with the look-ups an import makes first — on every backend."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from userpool.core.errors import StoreConflict
from userpool.core.model import Group, User, UserStatus
from userpool.core.store import UserQuery
from userpool.store.sql import SqlStore

from . import records as r


def _user(n: int, **kw: object) -> User:
    sub = f"00000000-0000-4000-8000-{n:012d}"
    base = r.user(
        sub,
        f"username:user{n:05d}",
        f"email:user{n:05d}@example.com",
        username=f"user{n:05d}",
        status=UserStatus.CONFIRMED,
        pending_attributes={},
        attributes={"sub": sub, "email": f"user{n:05d}@example.com", "email_verified": "true"},
        password_hash="$2b$04$" + "a" * 53,
        srp_salt=None,
        srp_verifier=None,
        temporary_password_expires_at=None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_batch_is_written_whole_and_reads_back(store: SqlStore) -> None:
    users = [_user(n) for n in range(2500)]  # more than one INSERT chunk
    users[7] = replace(users[7], srp_salt="ab12", srp_verifier="cd34" * 64)
    with store.begin() as tx:
        tx.insert_users(users)
    with store.begin() as tx:
        assert tx.count_users(r.POOL) == 2500
        assert tx.get_user(r.POOL, users[7].sub) == users[7]  # the verifier sealed and opened again
        found = tx.find_user(r.POOL, "email:user02499@example.com")
        assert found is not None and found.username == "user02499"
        page = tx.list_users(r.POOL, UserQuery(attribute="email", value="user0000", prefix=True, limit=100))
        assert [u.username for u in page.items] == [f"user{n:05d}" for n in range(10)]  # the search index too


def test_a_taken_key_fails_the_whole_batch_and_the_lookups_find_it(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_users([_user(1)])
    clash = _user(2, login_keys=frozenset({"username:user00002", "email:user00001@example.com"}))
    with store.begin() as tx:
        with pytest.raises(StoreConflict):
            tx.insert_users([_user(3), clash])
        assert tx.count_users(r.POOL) == 1  # nothing of the batch, and the transaction still works
        assert tx.taken_login_keys(r.POOL, ["email:user00001@example.com", "username:user00003"]) == {
            "email:user00001@example.com": _user(1).sub
        }
        assert tx.existing_subs(r.POOL, [_user(1).sub, _user(3).sub]) == {_user(1).sub}
        assert tx.taken_login_keys("us-east-1_other0000", ["email:user00001@example.com"]) == {}
        tx.insert_users([_user(3)])
    with store.begin() as tx:
        assert tx.count_users(r.POOL) == 2


def test_group_members_in_bulk_keep_what_is_there(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_group(Group(pool_id=r.POOL, name="admins", created_at=r.T0, updated_at=r.T0))
        tx.put_group(Group(pool_id=r.POOL, name="staff", created_at=r.T0, updated_at=r.T0))
        tx.insert_users([_user(1), _user(2)])
        tx.add_user_to_group(r.POOL, "admins", _user(1).sub, r.T0)
        tx.add_group_members(
            r.POOL, [("admins", _user(1).sub), ("staff", _user(1).sub), ("admins", _user(2).sub)], r.T0 + 9
        )
        tx.add_group_members(r.POOL, [("admins", _user(2).sub)], r.T0 + 10)  # again: no duplicate
    with store.begin() as tx:
        assert [g.name for g in tx.list_groups_for_user(r.POOL, _user(1).sub).items] == ["admins", "staff"]
        assert [u.username for u in tx.list_users_in_group(r.POOL, "admins").items] == ["user00001", "user00002"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM group_members")).scalar_one() == 3
