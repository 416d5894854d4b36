"""Helpers shared by the store's row mappers: record fields as column values, and an atomic upsert.

Statements are built once and executed with their values as parameters: building a SQLAlchemy statement
(and its cache key) costs far more than running it on SQLite, so the hot ones are made once per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def _values(record: DataclassInstance, **overrides: object) -> dict[str, Any]:
    """The record's fields by name, with some replaced (encoded) for storage."""
    values = {f.name: getattr(record, f.name) for f in fields(record)}
    values.update(overrides)
    return values


def _upsert(dialect: str, table: sa.Table, values: Mapping[str, Any]) -> sa.Executable:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE: one atomic statement, no read-then-write race.

    Execute it with `values` as its parameters (the statement carries none)."""
    return _upsert_for(dialect, table, tuple(values))


@lru_cache(maxsize=256)
def _upsert_for(dialect: str, table: sa.Table, columns: tuple[str, ...]) -> sa.Executable:
    keys = [c.name for c in table.primary_key.columns]
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(index_elements=keys, set_={k: pg.excluded[k] for k in columns if k not in keys})
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=keys, set_={k: lite.excluded[k] for k in columns if k not in keys}
        )
    raise NotImplementedError(f"no upsert for the {dialect} dialect")


def _insert_ignore(dialect: str, table: sa.Table) -> sa.Executable:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the primary key: a taken key shows as no row, not as an
    error, so the transaction needs no SAVEPOINT to stay usable (PostgreSQL aborts a transaction on any
    error). (RETURNING rather than the row count, which psycopg does not report for it.)"""
    return _insert_ignore_for(dialect, table)


@lru_cache(maxsize=64)
def _insert_ignore_for(dialect: str, table: sa.Table) -> sa.Executable:
    key = list(table.primary_key.columns)
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing().returning(*key)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing().returning(*key)
    raise NotImplementedError(f"no insert-or-ignore for the {dialect} dialect")
