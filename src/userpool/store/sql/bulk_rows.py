"""The bulk half of `SqlTx`, for `userpool users import`: many users in a few statements.

A batch of users is written with one multi-row INSERT per table (users, login keys, the search index),
all in one SAVEPOINT: a taken `sub` or login key fails the whole batch with StoreConflict and leaves
nothing of it, so the caller can look for the culprit (`taken_login_keys`, `existing_subs`) and retry
without it. Hashes are written as given: an import never computes one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from userpool.core.model import User
from userpool.core.store import search_terms
from userpool.store.sql import tables as t

# Rows per INSERT statement: SQLite allows 32766 bound parameters, users have 14 columns.
_CHUNK = 1000


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class BulkRows:
    """Mixed into `SqlTx`, which provides the connection, `_guard` and `_user_values`."""

    _conn: Connection

    def _guard(self, what: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _user_values(self, user: User) -> dict[str, Any]:
        raise NotImplementedError

    def insert_users(self, users: Sequence[User]) -> None:
        """Insert every user with their login keys and search rows, or none of them (StoreConflict)."""
        if not users:
            return
        user_rows = [self._user_values(user) for user in users]
        login_rows = [
            {"pool_id": user.pool_id, "login_key": key, "user_sub": user.sub}
            for user in users
            for key in sorted(user.login_keys)
        ]
        search_rows = [
            {"pool_id": user.pool_id, "attribute": name, "value": value, "user_sub": user.sub}
            for user in users
            for name, value in search_terms(user).items()
        ]
        with self._guard("insert_users"):
            for table, rows in ((t.users, user_rows), (t.user_logins, login_rows), (t.user_search, search_rows)):
                for chunk in _chunks(rows, _CHUNK):
                    self._conn.execute(sa.insert(table), chunk)

    def taken_login_keys(self, pool_id: str, login_keys: Collection[str]) -> dict[str, str]:
        """Which of `login_keys` already belong to a user of the pool: key → that user's `sub`."""
        lk = t.user_logins
        found: dict[str, str] = {}
        keys = sorted(set(login_keys))
        for start in range(0, len(keys), _CHUNK):
            query = sa.select(lk.c.login_key, lk.c.user_sub).where(
                lk.c.pool_id == pool_id, lk.c.login_key.in_(keys[start : start + _CHUNK])
            )
            found.update({row.login_key: row.user_sub for row in self._conn.execute(query)})
        return found

    def existing_subs(self, pool_id: str, subs: Collection[str]) -> set[str]:
        """Which of `subs` are users of the pool already."""
        u = t.users
        found: set[str] = set()
        wanted = sorted(set(subs))
        for start in range(0, len(wanted), _CHUNK):
            query = sa.select(u.c.sub).where(u.c.pool_id == pool_id, u.c.sub.in_(wanted[start : start + _CHUNK]))
            found.update(self._conn.execute(query).scalars())
        return found

    def add_group_members(self, pool_id: str, members: Sequence[tuple[str, str]], at: float) -> None:
        """(group name, user sub) pairs, added in bulk; pairs already there are left as they are."""
        m = t.group_members
        if not members:
            return
        wanted = sorted(set(members))
        subs = sorted({sub for _, sub in wanted})
        have: set[tuple[str, str]] = set()
        for start in range(0, len(subs), _CHUNK):
            query = sa.select(m.c.group_name, m.c.user_sub).where(
                m.c.pool_id == pool_id, m.c.user_sub.in_(subs[start : start + _CHUNK])
            )
            have.update((row.group_name, row.user_sub) for row in self._conn.execute(query))
        rows = [
            {"pool_id": pool_id, "group_name": group, "user_sub": sub, "created_at": at}
            for group, sub in wanted
            if (group, sub) not in have
        ]
        for chunk in _chunks(rows, _CHUNK):
            self._conn.execute(sa.insert(m), chunk)
