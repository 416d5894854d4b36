"""The administration half of `SqlTx`: access keys, group membership, and listing and searching users.

Listing is keyset pagination: a page ends at a (value, sub) position and the next one starts strictly
after it, so users inserted or deleted between pages never repeat a user nor shift the page. A search
reads `user_search` (one row per searchable value, core.store.search_terms) by its primary key: an exact
value is one key, a prefix a key range [prefix, prefix with its last character incremented).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from userpool.core.model import AccessKey, Group, User
from userpool.core.store import Page, UserQuery, search_terms
from userpool.crypto.sealing import Sealer
from userpool.store.sql import tables as t
from userpool.store.sql._rows import Prepared, _upsert, _values


def _after_prefix(prefix: str) -> str | None:
    """The least string greater than every string starting with `prefix` (None: there is none)."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF and not 0xD800 <= last + 1 <= 0xDFFF:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return None


def search_statement(pool_id: str, query: UserQuery) -> sa.Select[Any]:
    """One page of a search: a key range of `user_search`'s primary key, in its order, joined to `users`."""
    u, s = t.users, t.user_search
    joined = u.join(s, sa.and_(s.c.pool_id == u.c.pool_id, s.c.user_sub == u.c.sub))
    stmt = sa.select(u, s.c.value.label("_search_value")).select_from(joined)
    stmt = stmt.where(s.c.pool_id == pool_id, s.c.attribute == query.attribute)
    if query.prefix:
        stmt = stmt.where(s.c.value >= query.value)
        upper = _after_prefix(query.value)
        if upper is not None:
            stmt = stmt.where(s.c.value < upper)
    else:
        stmt = stmt.where(s.c.value == query.value)
    if query.after is not None:
        value, sub = json.loads(query.after)
        stmt = stmt.where(sa.tuple_(s.c.value, s.c.user_sub) > sa.tuple_(sa.literal(value), sa.literal(sub)))
    return stmt.order_by(s.c.value, s.c.user_sub).limit(query.limit + 1)


_g, _m = t.groups, t.group_members
_USER_GROUPS = Prepared(
    sa.select(_g)
    .select_from(_g.join(_m, sa.and_(_m.c.pool_id == _g.c.pool_id, _m.c.group_name == _g.c.name)))
    .where(_m.c.pool_id == sa.bindparam("pool_id"), _m.c.user_sub == sa.bindparam("user_sub"))
    .order_by(_m.c.group_name)
)


class AdminRows:
    """Mixed into `SqlTx`, which provides the connection, the sealer and `_user`."""

    _conn: Connection
    _sealer: Sealer

    def _user_row(self, row: Row[Any]) -> User:
        raise NotImplementedError

    def _user_from(self, r: dict[str, Any], login_keys: frozenset[str] | None = None) -> User:
        raise NotImplementedError

    # -- the search index (written by insert_user / update_user) ---------------------------------------

    def _index_user(self, user: User, *, replace: bool) -> None:
        s = t.user_search
        if replace:
            self._conn.execute(sa.delete(s).where(s.c.pool_id == user.pool_id, s.c.user_sub == user.sub))
        rows = [
            {"pool_id": user.pool_id, "attribute": name, "value": value, "user_sub": user.sub}
            for name, value in search_terms(user).items()
        ]
        self._conn.execute(sa.insert(s), rows)

    # -- listing users ---------------------------------------------------------------------------------

    def list_users(self, pool_id: str, query: UserQuery) -> Page[User]:
        """One page of the pool's users (see `core.store.UserQuery`); `limit` + 1 rows are read to know
        whether another page follows."""
        u = t.users
        if query.attribute is None:
            stmt = sa.select(u).where(u.c.pool_id == pool_id)
            if query.after is not None:
                stmt = stmt.where(u.c.sub > query.after)
            rows = list(self._conn.execute(stmt.order_by(u.c.sub).limit(query.limit + 1)))
            users = [self._user_row(row) for row in rows[: query.limit]]
            more = len(rows) > query.limit
            return Page(users, users[-1].sub if more and users else None)
        rows = list(self._conn.execute(search_statement(pool_id, query)))
        page = rows[: query.limit]
        users = [self._user_from({k: v for k, v in row._asdict().items() if k != "_search_value"}) for row in page]
        last = page[-1] if page else None
        cursor = json.dumps([last._search_value, last.sub]) if last is not None and len(rows) > query.limit else None
        return Page(users, cursor)

    # -- group membership ------------------------------------------------------------------------------

    def add_user_to_group(self, pool_id: str, group_name: str, user_sub: str, at: float) -> None:
        """Idempotent: adding a member again keeps the first `created_at`."""
        values = {"pool_id": pool_id, "group_name": group_name, "user_sub": user_sub, "created_at": at}
        insert = postgresql.insert if self._conn.dialect.name == "postgresql" else sqlite.insert
        self._conn.execute(insert(t.group_members).values(values).on_conflict_do_nothing())

    def remove_user_from_group(self, pool_id: str, group_name: str, user_sub: str) -> None:
        m = t.group_members
        where = (m.c.pool_id == pool_id, m.c.group_name == group_name, m.c.user_sub == user_sub)
        self._conn.execute(sa.delete(m).where(*where))

    def list_groups_for_user(
        self, pool_id: str, user_sub: str, *, limit: int | None = None, after: str | None = None
    ) -> Page[Group]:
        """The user's groups by name; every one when `limit` is None (what tokens need)."""
        if limit is None and after is None:  # every sign-in and refresh asks this: one prebuilt read
            rows = _USER_GROUPS.rows(self._conn, {"pool_id": pool_id, "user_sub": user_sub})
            return Page([Group(**row) for row in rows])
        g, m = t.groups, t.group_members
        joined = g.join(m, sa.and_(m.c.pool_id == g.c.pool_id, m.c.group_name == g.c.name))
        stmt = sa.select(g).select_from(joined).where(m.c.pool_id == pool_id, m.c.user_sub == user_sub)
        if after is not None:
            stmt = stmt.where(m.c.group_name > after)
        stmt = stmt.order_by(m.c.group_name)
        if limit is not None:
            stmt = stmt.limit(limit + 1)
        groups = [Group(**row._asdict()) for row in self._conn.execute(stmt)]
        if limit is not None and len(groups) > limit:
            return Page(groups[:limit], groups[limit - 1].name)
        return Page(groups)

    def list_users_in_group(
        self, pool_id: str, group_name: str, *, limit: int = 60, after: str | None = None
    ) -> Page[User]:
        u, m = t.users, t.group_members
        joined = u.join(m, sa.and_(m.c.pool_id == u.c.pool_id, m.c.user_sub == u.c.sub))
        stmt = sa.select(u).select_from(joined).where(m.c.pool_id == pool_id, m.c.group_name == group_name)
        if after is not None:
            stmt = stmt.where(m.c.user_sub > after)
        rows = list(self._conn.execute(stmt.order_by(m.c.user_sub).limit(limit + 1)))
        users = [self._user_row(row) for row in rows[:limit]]
        return Page(users, users[-1].sub if len(rows) > limit and users else None)

    # -- access keys -----------------------------------------------------------------------------------

    def put_access_key(self, key: AccessKey) -> None:
        secret = self._sealer.seal_text(key.secret, f"access_keys.secret/{key.id}")
        values = _values(key, secret=secret)
        self._conn.execute(_upsert(self._conn.dialect.name, t.access_keys, values), values)

    def get_access_key(self, key_id: str) -> AccessKey | None:
        row = self._conn.execute(sa.select(t.access_keys).where(t.access_keys.c.id == key_id)).first()
        return None if row is None else self._access_key(row)

    def list_access_keys(self) -> Sequence[AccessKey]:
        k = t.access_keys
        return [self._access_key(row) for row in self._conn.execute(sa.select(k).order_by(k.c.created_at, k.c.id))]

    def delete_access_key(self, key_id: str) -> bool:
        return self._conn.execute(sa.delete(t.access_keys).where(t.access_keys.c.id == key_id)).rowcount == 1

    def touch_access_key(self, key_id: str, at: float) -> None:
        k = t.access_keys
        self._conn.execute(sa.update(k).where(k.c.id == key_id).values(last_used_at=at))

    def _access_key(self, row: Row[Any]) -> AccessKey:
        r = row._asdict()
        r["secret"] = self._sealer.unseal_text(r["secret"], f"access_keys.secret/{r['id']}")
        return AccessKey(**r)
