"""Opening the SQL store: the engine and its per-database settings, migrations, and `SqlStore`.

Several server processes may share one database:

- SQLite (a file): WAL, so readers never wait for the writer. A plain unit of work (`begin()`) starts with
  `BEGIN IMMEDIATE`, taking the write lock up front (waiting up to `busy_timeout`), so it can never fail
  half-way for want of it. An optimistic one (`begin(optimistic=True)`, what `UserPool.run` uses for nearly
  every request; `UserPool.run_writing`, for SRP steps that write at once, does not) starts `BEGIN`
  (deferred): it reads from a snapshot taken at its first read and asks for the
  write lock only at its first write. That is what keeps a sign-in from holding the database's only write
  lock while argon2id runs (25 ms or more) and serialising every process behind it, and it lets read-only
  actions (GetUser, token checks, ListDevices) never touch the write lock at all.

  Correctness: SQLite transactions are serializable either way. A deferred transaction that has read can
  upgrade to a writer only if nobody committed since its snapshot; otherwise SQLite refuses at once
  (SQLITE_BUSY_SNAPSHOT, or SQLITE_BUSY when another writer holds the lock: waiting could not help, so
  the busy handler is not called), before anything of it is written. So a lost update cannot happen —
  the `version` check in `update_user`, single-use deletes and unique keys still see the latest rows —
  the write just fails. An optimistic unit of work turns that failure into `StoreRetry`, and the caller
  (`UserPool.run`) runs the whole unit of work again with `BEGIN IMMEDIATE`: it then waits for the lock
  instead of failing, so the retry cannot lose the same way and there is at most one. Flows are pure
  functions of what they read, so re-running one is safe; the password hash is not recomputed (`run`
  remembers argon2id results for the request), so the retry holds the lock for milliseconds. What a retry
  does repeat are the definition's triggers (they ran in the first attempt), as they would be if the
  client retried a TooManyRequestsException.
- PostgreSQL (psycopg 3): READ COMMITTED; races are settled by unique indexes, the `version` check in
  `update_user` and single-statement `DELETE ... RETURNING`, all of which wait on the row lock and re-check.
  `optimistic` changes nothing there (no lock is taken up front anyway). A connection found dead (a server
  restart, an idle timeout) before commit is `StoreRetry` too: nothing was committed, and the pool has
  dropped its connections, so the retry connects afresh. That replaces a `SELECT 1` ping per unit of work.

Rows that change only on deploy (app clients) are cached per process (`cache.py`).

Migrations run under a lock (SQLite's write lock, or a PostgreSQL advisory lock), so processes that start
together migrate one after the other and the later ones find the schema at head.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from userpool import waits
from userpool.core.errors import StoreBusy, StoreRetry
from userpool.crypto.sealing import Sealer
from userpool.store.sql.cache import ReadCache
from userpool.store.sql.repository import SqlTx

if TYPE_CHECKING:
    from alembic.config import Config

    from userpool.core.store import Store, Tx

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# Connections per process: one per thread that runs units of work (`userpool.api.threads.THREADS`), so a
# request never waits for a connection while another is idle, and none is opened and closed under load.
POOL_SIZE = 16
POOL_RECYCLE_S = 1800
# Key of the PostgreSQL advisory lock held while migrating: "userpool" in ASCII, as a bigint.
MIGRATION_LOCK_KEY = int.from_bytes(b"userpool", "big")
READ_ONLY = "userpool_read_only"  # execution option: SQLite begins a deferred (reading) transaction
_LOCK_DEADLINE = "userpool_lock_deadline"  # execution option: when waiting for SQLite's write lock ends
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class SqlStore:
    """`core.store.Store` on SQLAlchemy Core. Make one with `open_store`; share it between threads."""

    def __init__(self, engine: Engine, sealer: Sealer, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
        self.engine = engine
        self._sealer = sealer
        self.cache = ReadCache()
        self._busy_timeout_s = busy_timeout_ms / 1000
        # SQLite: this process's units of work that take the write lock up front queue here, asleep until
        # the one before is done, so only one of them at a time tries for SQLite's lock (`_begin_immediate`
        # polls; sixteen threads polling would take the GIL from the one doing the work).
        self._writers = threading.Lock() if self._deferrable else None

    @contextmanager
    def begin(self, *, optimistic: bool = False) -> Iterator[SqlTx]:
        """One unit of work: commits when the block exits normally, rolls back (and re-raises) otherwise.

        `optimistic`: no write lock until the first write; `StoreRetry` when that write cannot be had
        consistently with what was read (see the module docstring). Do not open a second unit of work
        inside one in the same thread: on SQLite the inner one would wait for the outer one's write lock
        and fail after `busy_timeout`.
        """
        if optimistic or self._writers is None:
            with self._unit(optimistic) as tx:
                yield tx
            return
        # One busy timeout for both waits: the queue in this process, then SQLite's lock (other processes).
        deadline = time.monotonic() + self._busy_timeout_s
        with self._queued(self._writers, deadline), self._unit(optimistic, deadline) as tx:
            yield tx

    @contextmanager
    def _queued(self, writers: threading.Lock, deadline: float) -> Iterator[None]:
        """Hold this process's place for SQLite's write lock: `StoreBusy` after `busy_timeout`, as SQLite."""
        with waits.lock_wait():  # queueing for the lock, not the flow's own time (userpool/waits.py)
            acquired = writers.acquire(timeout=max(0.0, deadline - time.monotonic()))
        if not acquired:
            raise StoreBusy("database is locked (another unit of work of this process held it)")
        try:
            yield
        finally:
            writers.release()

    @contextmanager
    def _unit(self, optimistic: bool, deadline: float | None = None) -> Iterator[SqlTx]:
        tx: SqlTx | None = None
        try:
            with self.engine.connect() as conn:
                if optimistic and self._deferrable:
                    conn.execution_options(userpool_deferred=True)
                elif deadline is not None:
                    conn.execution_options(**{_LOCK_DEADLINE: deadline})
                with conn.begin():
                    tx = SqlTx(conn, self._sealer, self.cache)
                    try:
                        yield tx
                    except DBAPIError as exc:
                        if exc.connection_invalidated or (optimistic and _is_sqlite_busy(exc)):
                            raise StoreRetry(str(exc.orig)) from exc
                        raise
        except OperationalError as exc:
            if exc.connection_invalidated:  # at checkout or BEGIN: nothing done yet
                raise StoreRetry(str(exc.orig)) from exc
            if _is_busy(exc):
                raise StoreBusy(str(exc.orig)) from exc
            raise
        finally:
            if tx is not None and tx.wrote_cached:
                # Again after the end: another thread may have cached the old row while this one was open.
                self.cache.invalidate()

    @property
    def _deferrable(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def reads_in_process(self) -> bool:
        """SQLite: a read is a library call on a local file (WAL: it never waits for the writer)."""
        return self._deferrable

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


def _is_sqlite_busy(exc: DBAPIError) -> bool:
    """SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT: a deferred transaction that read, then
    found another writer had committed since)."""
    name = getattr(exc.orig, "sqlite_errorname", None)
    return isinstance(name, str) and name.startswith("SQLITE_BUSY")


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
    pool_size: int = POOL_SIZE,
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
    return SqlStore(engine, sealer, busy_timeout_ms=busy_timeout_ms)


def create_engine(
    url: str, *, schema: str | None = None, pool_size: int = POOL_SIZE, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
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
            max_overflow=pool_size,  # only for callers beyond the request threads (the CLI, tests)
            # No ping per checkout (a round trip per request): a connection found dead is `StoreRetry` and
            # invalidates the pool (see SqlStore.begin); recycling keeps clear of servers' idle timeouts.
            pool_recycle=POOL_RECYCLE_S,
            connect_args=connect_args,
        )
    raise ValueError(f"unsupported database URL {parsed.render_as_string()!r}: use sqlite or postgresql")


SQLITE_CACHE_KIB = 512  # per connection (see `_on_connect`)


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
            # Each connection keeps its own page cache (2 MiB by default), and a worker keeps up to twice
            # POOL_SIZE connections: up to 64 MiB of copies of pages the kernel's file cache holds anyway.
            # 512 KiB keeps every index's upper pages (the hot ones) and no more.
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # An optimistic unit of work, or a read-only look (`SqlStore.read`), takes no write lock up front: WAL
        # lets it read beside the writer.
        options = conn.get_execution_options()
        deferred = options.get("userpool_deferred", False) or options.get(READ_ONLY, False)
        # Straight to the driver: SQLAlchemy's statement machinery costs more than the BEGIN itself.
        raw = conn.connection.driver_connection
        assert raw is not None
        statement = "BEGIN" if deferred else "BEGIN IMMEDIATE"
        try:
            if deferred:
                raw.execute(statement)
            else:
                deadline = options.get(_LOCK_DEADLINE) or time.monotonic() + busy_timeout_ms / 1000
                with waits.lock_wait():  # queueing for the lock, not the flow's own time (userpool/waits.py)
                    _begin_immediate(raw, deadline, busy_timeout_ms)
        except sqlite3.OperationalError as exc:  # as SQLAlchemy would have wrapped it ("database is locked")
            raise OperationalError(statement, None, exc) from exc

    return engine


# Between tries for SQLite's write lock: short while a writer (a unit of work holds it for about a
# millisecond) is likely to be done soon, never longer than a typical unit.
_LOCK_POLL_S = (0.00005, 0.0001, 0.0002, 0.0004)
_LOCK_POLL_MAX_S = 0.0005


def _begin_immediate(raw: sqlite3.Connection, deadline: float, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, waiting until `deadline` (`time.monotonic()`) for the write lock in steps of at most
    half a millisecond. SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25... ms between tries, so a writer
    that finds the lock held by a unit of work finishing a millisecond later waits 3, 8 or 18 ms: the p99 of
    every write on a busy pool, and (for retried units) the equal-time floors. The handler stays set for
    every other statement; it is off only while this tries (two PRAGMAs: a few microseconds)."""
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        for attempt in itertools.count():
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(_LOCK_POLL_S[attempt] if attempt < len(_LOCK_POLL_S) else _LOCK_POLL_MAX_S)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_BUSY")


def migrate(engine: Engine, *, schema: str | None = None) -> None:
    """Run `alembic upgrade head` in one transaction, under a lock (idempotent; safe to race).

    A database already at head (every start but the first after an upgrade) is seen without alembic: it
    and its templating are some 12 MiB in every server process and half a second of start-up."""
    with engine.begin() as conn:  # on SQLite this is BEGIN IMMEDIATE: the database's write lock
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            # Look first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
            exists = sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :name")
            if schema is not None and conn.execute(exists, {"name": schema}).first() is None:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")  # a validated identifier
        head = head_revision()
        if head is not None and _revisions(conn) == [head]:
            return
        from alembic import command

        command.upgrade(alembic_config(conn), "head")


_REVISION_LINE = re.compile(r'^(revision|down_revision)\b[^=\n]*=\s*(?:"(\w+)"|None)\s*$', re.MULTILINE)


def head_revision() -> str | None:
    """The newest migration, read from the `revision = "…"` and `down_revision = "…"` lines of the files (as
    alembic would find it); None if a file is not that plain (a merge, another spelling): ask alembic then."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = {m.group(1): m.group(2) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8"))}
        if found.get("revision") is None or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        if found["down_revision"] is not None:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _revisions(conn: Connection) -> list[str]:
    """What alembic_version says (nothing if there is no such table yet), without an error that would end the
    transaction on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        found = conn.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar()
    else:
        found = conn.execute(
            sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        ).scalar()
    if found is None:
        return []
    return [str(v) for v in conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()]


def alembic_config(conn: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (there is no alembic.ini); `env.py` runs on `conn`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = conn
    return config


if TYPE_CHECKING:
    # Proof for mypy that the classes satisfy the core's Protocols.
    def _conforms(store: SqlStore, tx: SqlTx) -> tuple[Store, Tx]:
        return store, tx
