"""Helpers shared by the store's row mappers: record fields as column values, and an atomic upsert."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
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
    """INSERT ... ON CONFLICT (primary key) DO UPDATE: one atomic statement, no read-then-write race."""
    keys = [c.name for c in table.primary_key.columns]
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(values)
        return pg.on_conflict_do_update(index_elements=keys, set_={k: pg.excluded[k] for k in values if k not in keys})
    if dialect == "sqlite":
        lite = sqlite.insert(table).values(values)
        return lite.on_conflict_do_update(
            index_elements=keys, set_={k: lite.excluded[k] for k in values if k not in keys}
        )
    raise NotImplementedError(f"no upsert for the {dialect} dialect")
