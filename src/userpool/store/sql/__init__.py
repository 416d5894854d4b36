"""The SQL store: SQLAlchemy Core over SQLite or PostgreSQL, migrated by Alembic, secrets sealed at rest."""

from userpool.store.sql.engine import SqlStore, migrate, open_store
from userpool.store.sql.repository import SqlTx

__all__ = ["SqlStore", "SqlTx", "migrate", "open_store"]
