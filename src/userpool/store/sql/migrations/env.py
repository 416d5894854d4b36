"""Alembic environment for the store. There is no alembic.ini: `userpool.store.sql.engine.migrate` builds
the Config in code and hands over a connection that is already inside a locked transaction, so every
revision runs in that one transaction and two processes starting at once migrate one after the other.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from userpool.store.sql.tables import metadata

connection = context.config.attributes.get("connection")
if context.is_offline_mode() or not isinstance(connection, Connection):
    raise RuntimeError("run the store's migrations through userpool.store.sql.engine.migrate()")

# target_metadata serves autogenerate (`alembic revision --autogenerate`) and the schema-drift test.
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
