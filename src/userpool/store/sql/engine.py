"""Opening the SQL store: the engine and its per-database settings, migrations, and `SqlStore`.

Several server processes may share one database:

- SQLite (a file): WAL, so readers never wait for the writer; every unit of work starts with
  `BEGIN IMMEDIATE`, taking the write lock up front (waiting up to `busy_timeout`), so two transactions
  never both read and then deadlock upgrading to a write lock.
- PostgreSQL (psycopg 3): READ COMMITTED; races are settled by unique indexes, the `version` check in
  `update_user` and single-statement `DELETE ... RETURNING`, all of which wait on the row lock and re-check.

Migrations run under a lock (SQLite's write lock, or a PostgreSQL advisory lock), so processes that start
together migrate one after the other and the later ones find the schema at head.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import OperationalError

from userpool.core.errors import StoreBusy
from userpool.crypto.sealing import Sealer
from userpool.store.sql.repository import SqlTx

if TYPE_CHECKING:
    from userpool.core.store import Store, Tx

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# Key of the PostgreSQL advisory lock held while migrating: "userpool" in ASCII, as a bigint.
MIGRATION_LOCK_KEY = int.from_bytes(b"userpool", "big")
READ_ONLY = "userpool_read_only"  # execution option: SQLite begins a deferred (reading) transaction
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class SqlStore:
    """`core.store.Store` on SQLAlchemy Core. Make one with `open_store`; share it between threads."""

    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self.engine = engine
        self._sealer = sealer

    @contextmanager
    def begin(self) -> Iterator[SqlTx]:
        """One unit of work: commits when the block exits normally, rolls back (and re-raises) otherwise.

        Do not open a second unit of work inside one in the same thread: on SQLite the inner one would
        wait for the outer one's write lock and fail after `busy_timeout`.
        """
        try:
            with self.engine.begin() as conn:
                yield SqlTx(conn, self._sealer)
        except OperationalError as exc:
            if _is_busy(exc):
                raise StoreBusy(str(exc.orig)) from exc
            raise

    @contextmanager
    def read(self) -> Iterator[SqlTx]:
        """A unit of work that only reads, and so may run while this thread's own unit of work holds
        SQLite's write lock (the token signer reading keys another process added, mid-request)."""
        with self.engine.connect() as plain:
            conn = plain.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield SqlTx(conn, self._sealer)

    def close(self) -> None:
        """Close every pooled connection. Units of work still open keep theirs until they end."""
        self.engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


# SQLite: the write lock not granted within busy_timeout. PostgreSQL: lock_not_available, too many
# connections, cannot connect now (a restart): all "try again", none a bug.
_PG_BUSY = frozenset({"55P03", "53300", "57P03"})


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    if code is not None:
        return str(code) in _PG_BUSY
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def open_store(
    url: str,
    sealer: Sealer,
    *,
    schema: str | None = None,
    pool_size: int = 5,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
) -> SqlStore:
    """Connect to `url`, migrate the schema to head, and return the store.

    `url` is `sqlite:///path/to.db` or `postgresql+psycopg://user@host:5432/db` (a bare `postgresql://`
    means psycopg 3 too). `schema` (PostgreSQL only) keeps the tables in that schema, created if missing;
    `pool_size` bounds the connections each process keeps open; `busy_timeout_ms` (SQLite) how long a unit of
    work waits for the write lock before the request is answered TooManyRequestsException.
    """
    engine = create_engine(url, schema=schema, pool_size=pool_size, busy_timeout_ms=busy_timeout_ms)
    try:
        migrate(engine, schema=schema)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine, sealer)


def create_engine(
    url: str, *, schema: str | None = None, pool_size: int = 5, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> Engine:
    """An engine set up for the store (see the module docstring); runs no SQL yet."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise ValueError("schema= is for PostgreSQL; SQLite keeps one schema per file")
        return _sqlite_engine(parsed, pool_size, busy_timeout_ms)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            # psycopg 3 is the driver we depend on; SQLAlchemy 2.0 would pick psycopg2 for a bare URL.
            parsed = parsed.set(drivername="postgresql+psycopg")
        connect_args: dict[str, Any] = {}
        if schema is not None:
            if not _SCHEMA_NAME.fullmatch(schema):
                raise ValueError(f"schema must be a lowercase SQL identifier: {schema!r}")
            connect_args["options"] = f"-csearch_path={schema}"
        return sa.create_engine(
            parsed,
            isolation_level="READ COMMITTED",
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,  # a server restart leaves dead connections in the pool
            connect_args=connect_args,
        )
    raise ValueError(f"unsupported database URL {parsed.render_as_string()!r}: use sqlite or postgresql")


def _sqlite_engine(url: URL, pool_size: int, busy_timeout_ms: int) -> Engine:
    if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
        # Each pooled connection would see its own empty in-memory database.
        raise ValueError("the SQL store needs an SQLite file: sqlite:///path/to.db")
    if sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} lacks RETURNING; the store needs 3.35 or newer")
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Take transaction control from pysqlite (which would BEGIN lazily, as DEFERRED, and not at all
        # around DDL), so the "begin" hook below decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")  # first: the others may wait
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, and much faster
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A read-only look (`SqlStore.read`) takes no write lock: WAL lets it read beside the writer.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def migrate(engine: Engine, *, schema: str | None = None) -> None:
    """Run `alembic upgrade head` in one transaction, under a lock (idempotent; safe to race)."""
    with engine.begin() as conn:  # on SQLite this is BEGIN IMMEDIATE: the database's write lock
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            # Look first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
            exists = sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :name")
            if schema is not None and conn.execute(exists, {"name": schema}).first() is None:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")  # a validated identifier
        command.upgrade(alembic_config(conn), "head")


def alembic_config(conn: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (there is no alembic.ini); `env.py` runs on `conn`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = conn
    return config


if TYPE_CHECKING:
    # Proof for mypy that the classes satisfy the core's Protocols.
    def _conforms(store: SqlStore, tx: SqlTx) -> tuple[Store, Tx]:
        return store, tx
