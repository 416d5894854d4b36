"""Storage adapters for `userpool.core.store`: the SQL store (SQLite or PostgreSQL) behind `open_store`."""

from userpool.store.sql import SqlStore, open_store

__all__ = ["SqlStore", "open_store"]
