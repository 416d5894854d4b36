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
from sqlalchemy.engine import Connection

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


class Prepared:
    """A prebuilt SELECT of the hot paths, run on the driver's own cursor; rows come back as dicts.

    SQLAlchemy's `Connection.execute` spends several times what SQLite takes to answer a primary-key
    lookup (execution context, events, result metadata). This compiles the statement once per dialect
    (SQL text, parameter order, each column's result processor, e.g. SQLite's 0/1 to bool) and then only
    calls the driver. On any driver error the statement is run again through SQLAlchemy, which wraps the
    error, notices a lost connection and invalidates the pool exactly as for every other statement. Only
    for plain reads: writes and locking reads (FOR UPDATE) stay with SQLAlchemy.
    """

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self._plans: dict[str, tuple[str, tuple[str, ...] | None, list[str], list[tuple[int, Any]]]] = {}

    def _plan(self, dialect: sa.Dialect) -> tuple[str, tuple[str, ...] | None, list[str], list[tuple[int, Any]]]:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled: Any = self.statement.compile(dialect=dialect)
            names = [entry.keyname for entry in compiled._result_columns]
            # SQLite hands back 0/1 for booleans; psycopg already returns bool, float, int and str for the
            # store's column types (and its processors want the column's type OID, known only after a query).
            processors = (
                [
                    (i, proc)
                    for i, entry in enumerate(compiled._result_columns)
                    if (proc := entry.type._cached_result_processor(dialect, None)) is not None
                ]
                if dialect.name == "sqlite"
                else []
            )
            order = tuple(compiled.positiontup) if dialect.positional else None
            plan = self._plans[dialect.name] = (compiled.string, order, names, processors)
        return plan

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        sql, order, names, processors = self._plan(conn.dialect)
        raw: Any = conn.connection.driver_connection
        try:
            fetched = raw.execute(sql, tuple(params[n] for n in order) if order is not None else params).fetchall()
        except Exception:  # the driver's error: let SQLAlchemy run it and raise (or recover) as it does
            return [dict(row._mapping) for row in conn.execute(self.statement, params)]
        out = []
        for raw_row in fetched:
            values = list(raw_row)
            for i, proc in processors:
                values[i] = proc(values[i])
            out.append(dict(zip(names, values, strict=True)))
        return out

    def first(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        rows = self.rows(conn, params)
        return rows[0] if rows else None
