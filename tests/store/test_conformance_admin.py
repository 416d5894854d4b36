"""Store conformance for the admin API: access keys (secrets sealed), group membership, and listing users
with Cognito's searchable attributes and keyset pages — on every backend."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from userpool.core.model import AccessKey, Group, User, UserStatus
from userpool.core.store import UserQuery, search_value
from userpool.crypto.sealing import SealError
from userpool.store.sql import SqlStore, SqlTx

from . import records as r

if TYPE_CHECKING:
    from .conftest import Backend

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _key(key_id: str = "AKIAUSERPOOLEXAMPLE1", **kw: object) -> AccessKey:
    base = AccessKey(id=key_id, secret=SECRET, created_at=r.T0, description="CI ✓", last_used_at=None)
    return replace(base, **kw)  # type: ignore[arg-type]


def _user(n: int, **kw: object) -> User:
    sub = f"00000000-0000-4000-8000-{n:012d}"
    base = r.user(
        sub,
        f"username:user{n:03d}",
        username=f"user{n:03d}",
        status=UserStatus.CONFIRMED,
        enabled=True,
        pending_attributes={},
        attributes={"sub": sub, "email": f"User{n:03d}@Example.com", "given_name": "Ada" if n % 2 else "Bob"},
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _group(name: str, precedence: int | None = None) -> Group:
    return Group(pool_id=r.POOL, name=name, created_at=r.T0, updated_at=r.T0, precedence=precedence)


def _all(tx: SqlTx, query: UserQuery) -> list[str]:
    names: list[str] = []
    while True:
        page = tx.list_users(r.POOL, query)
        names += [u.username for u in page.items]
        if page.next is None:
            return names
        query = replace(query, after=page.next)


# -- access keys ---------------------------------------------------------------------------------------


def test_access_keys_round_trip_update_touch_and_delete(store: SqlStore) -> None:
    with store.begin() as tx:
        assert tx.get_access_key("AKIAUSERPOOLEXAMPLE1") is None
        tx.put_access_key(_key())
        tx.put_access_key(_key("AKIAUSERPOOLEXAMPLE2", created_at=r.T0 + 1, enabled=False))
    with store.begin() as tx:
        assert tx.get_access_key("AKIAUSERPOOLEXAMPLE1") == _key()
        assert [k.id for k in tx.list_access_keys()] == ["AKIAUSERPOOLEXAMPLE1", "AKIAUSERPOOLEXAMPLE2"]
        tx.touch_access_key("AKIAUSERPOOLEXAMPLE1", r.T0 + 5.5)
        tx.put_access_key(_key("AKIAUSERPOOLEXAMPLE2", created_at=r.T0 + 1, enabled=True))
    with store.begin() as tx:
        assert tx.get_access_key("AKIAUSERPOOLEXAMPLE1") == _key(last_used_at=r.T0 + 5.5)
        key2 = tx.get_access_key("AKIAUSERPOOLEXAMPLE2")
        assert key2 is not None and key2.enabled
        assert tx.delete_access_key("AKIAUSERPOOLEXAMPLE2")
        assert not tx.delete_access_key("AKIAUSERPOOLEXAMPLE2")
        assert [k.id for k in tx.list_access_keys()] == ["AKIAUSERPOOLEXAMPLE1"]


def test_access_key_secrets_are_sealed_and_bound_to_their_key(backend: Backend) -> None:
    store = backend.open()
    with store.begin() as tx:
        tx.put_access_key(_key())
        tx.put_access_key(_key("AKIAUSERPOOLEXAMPLE2"))
    with store.engine.connect() as conn:
        sealed = conn.execute(sa.text("SELECT secret FROM access_keys WHERE id = 'AKIAUSERPOOLEXAMPLE1'")).scalar_one()
    assert sealed.startswith("v1.") and SECRET not in sealed
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE access_keys SET secret = :v WHERE id = 'AKIAUSERPOOLEXAMPLE2'"), {"v": sealed})
    with store.begin() as tx, pytest.raises(SealError):
        tx.get_access_key("AKIAUSERPOOLEXAMPLE2")


# -- group membership ----------------------------------------------------------------------------------


def test_membership_is_idempotent_paged_and_goes_with_the_user_or_the_group(store: SqlStore) -> None:
    with store.begin() as tx:
        for name in ("b-editors", "a-admins", "c-readers"):
            tx.put_group(_group(name))
        for n in range(1, 4):
            tx.insert_user(_user(n))
        ada, bob, cy = (_user(n).sub for n in range(1, 4))
        for group in ("c-readers", "a-admins", "b-editors"):
            tx.add_user_to_group(r.POOL, group, ada, r.T0)
        tx.add_user_to_group(r.POOL, "a-admins", ada, r.T0 + 9)  # again: no error, no duplicate
        tx.add_user_to_group(r.POOL, "a-admins", bob, r.T0)
        tx.add_user_to_group(r.POOL, "a-admins", cy, r.T0)
    with store.begin() as tx:
        assert [g.name for g in tx.list_groups_for_user(r.POOL, ada).items] == ["a-admins", "b-editors", "c-readers"]
        first = tx.list_groups_for_user(r.POOL, ada, limit=2)
        assert [g.name for g in first.items] == ["a-admins", "b-editors"] and first.next is not None
        second = tx.list_groups_for_user(r.POOL, ada, limit=2, after=first.next)
        assert [g.name for g in second.items] == ["c-readers"] and second.next is None
        page = tx.list_users_in_group(r.POOL, "a-admins", limit=2)
        rest = tx.list_users_in_group(r.POOL, "a-admins", limit=2, after=page.next)
        assert [u.sub for u in (*page.items, *rest.items)] == [ada, bob, cy] and rest.next is None
        assert tx.list_users_in_group(r.POOL, "a-admins", limit=2).items[0] == tx.get_user(r.POOL, ada)
        tx.remove_user_from_group(r.POOL, "c-readers", ada)
        tx.remove_user_from_group(r.POOL, "c-readers", ada)  # not a member: no error
        tx.delete_user(r.POOL, bob)
        tx.delete_group(r.POOL, "b-editors")
    with store.begin() as tx:
        assert [g.name for g in tx.list_groups_for_user(r.POOL, ada).items] == ["a-admins"]
        assert [u.sub for u in tx.list_users_in_group(r.POOL, "a-admins").items] == [ada, cy]
        tx.put_group(_group("b-editors"))  # a group made again starts empty
        assert tx.list_users_in_group(r.POOL, "b-editors").items == []


# -- listing and searching users -----------------------------------------------------------------------


def test_list_all_users_in_keyset_pages_stable_under_inserts(store: SqlStore) -> None:
    with store.begin() as tx:
        for n in range(1, 8, 2):  # 1, 3, 5, 7
            tx.insert_user(_user(n))
        tx.insert_user(_user(99, pool_id=r.OTHER_POOL))
    with store.begin() as tx:
        first = tx.list_users(r.POOL, UserQuery(limit=2))
        assert [u.username for u in first.items] == ["user001", "user003"]
        assert first.items[0] == tx.get_user(r.POOL, _user(1).sub)
        tx.insert_user(_user(2))  # before the cursor: not seen, and nothing repeats
        tx.insert_user(_user(6))  # after it: seen in order
        second = tx.list_users(r.POOL, UserQuery(limit=2, after=first.next))
        third = tx.list_users(r.POOL, UserQuery(limit=2, after=second.next))
        assert [u.username for u in (*second.items, *third.items)] == ["user005", "user006", "user007"]
        assert third.next is None
        exact = tx.list_users(r.POOL, UserQuery(limit=4))
        assert len(exact.items) == 4 and exact.next is not None  # a full last page still says "more"


def test_search_exact_and_prefix_per_attribute(store: SqlStore) -> None:
    with store.begin() as tx:
        for n in range(1, 13):
            tx.insert_user(_user(n))
        tx.insert_user(_user(13, username="Zed", status=UserStatus.UNCONFIRMED, enabled=False))
        tx.insert_user(_user(14, username="user0140", pool_id=r.OTHER_POOL))
    with store.begin() as tx:

        def q(attribute: str, value: str, *, prefix: bool = False, limit: int = 5) -> list[str]:
            return _all(tx, UserQuery(attribute, search_value(attribute, value), prefix, limit))

        assert q("username", "user01", prefix=True, limit=2) == ["user010", "user011", "user012"]
        assert q("username", "USER01", prefix=True) == []  # user names match case-sensitively
        assert q("username", "user007") == ["user007"]
        assert q("email", "USER007@example.COM") == ["user007"]  # emails do not
        assert q("email", "user00", prefix=True, limit=3) == [f"user00{n}" for n in range(1, 10)]
        assert q("given_name", "ada", limit=2) == [
            "user001",
            "user003",
            "user005",
            "user007",
            "user009",
            "user011",
            "Zed",
        ]
        assert q("cognito:user_status", "unconfirmed") == ["Zed"]
        assert q("status", "Disabled") == ["Zed"]
        assert len(q("status", "enabled", limit=60)) == 12
        assert q("sub", _user(4).sub) == ["user004"]
        assert q("family_name", "x", prefix=True) == []


def test_the_search_index_follows_updates_and_deletes(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(_user(1))
        tx.insert_user(_user(2))
    with store.begin() as tx:
        user = tx.get_user(r.POOL, _user(1).sub)
        assert user is not None
        user.attributes["email"] = "changed@example.com"
        user.enabled = False
        tx.update_user(user)
        tx.delete_user(r.POOL, _user(2).sub)
    with store.begin() as tx:
        assert _all(tx, UserQuery("email", "user001@example.com")) == []
        assert _all(tx, UserQuery("email", "changed@example.com")) == ["user001"]
        assert _all(tx, UserQuery("status", "disabled")) == ["user001"]
        assert _all(tx, UserQuery("username", "user002")) == []
        assert _all(tx, UserQuery()) == ["user001"]


def test_a_search_is_an_index_range_not_a_scan(backend: Backend) -> None:
    """`email =` and `username ^=` read user_search through its primary key (the query plan says so)."""
    store = backend.open()
    with store.begin() as tx:
        tx.insert_user(_user(1))
    with store.begin() as tx:
        q = UserQuery("username", "user", prefix=True)
        tx.list_users(r.POOL, q)  # it runs
        conn = tx._conn
        s = sa.table("user_search", sa.column("pool_id"), sa.column("attribute"), sa.column("value"))
        stmt = sa.select(s.c.value).where(s.c.pool_id == r.POOL, s.c.attribute == "username", s.c.value >= "user")
        sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
        if backend.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "USING" in plan and "INDEX" in plan and "SCAN user_search" not in plan.replace("USING", "")
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: ask whether an index can serve
            plan = " ".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "Index" in plan and "Seq Scan" not in plan
