"""How `open_store` sets up each database, and which URLs and options it refuses."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from userpool.core.errors import StoreBusy
from userpool.crypto.sealing import Sealer
from userpool.store.sql import SqlStore, open_store
from userpool.store.sql.engine import SQLITE_BUSY_TIMEOUT_MS, create_engine

from . import records as r

SEALER = Sealer(bytes(range(32)))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SqlStore:
    return open_store(f"sqlite:///{tmp_path / 'pool.db'}", SEALER)


def test_sqlite_pragmas(sqlite_store: SqlStore) -> None:
    with sqlite_store, sqlite_store.engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    assert pragma == {
        "journal_mode": "wal",
        "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
        "foreign_keys": 1,
        "synchronous": 1,
    }


def test_every_sqlite_unit_of_work_holds_the_write_lock_but_readers_still_read(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    with sqlite_store:
        with sqlite_store.begin() as tx:
            tx.put_pool(r.pool())
        other = sqlite3.connect(tmp_path / "pool.db", timeout=0, isolation_level=None)
        try:
            with sqlite_store.begin() as tx:
                tx.get_pool(r.POOL)  # a read only, yet another process cannot start writing now
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                assert other.execute("SELECT count(*) FROM pools").fetchone() == (1,)  # WAL: reads go on
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()


def test_a_unit_of_work_waits_for_the_write_lock_and_keeps_the_busy_timeout(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    """The write lock held by another process for a while: the unit of work waits (polling in short steps,
    engine._begin_immediate) and then runs; the connection's busy_timeout is the configured one after."""
    with sqlite_store:
        with sqlite_store.begin() as tx:
            tx.put_pool(r.pool())
        holder = sqlite3.connect(tmp_path / "pool.db", isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.05, lambda: holder.execute("ROLLBACK"))
        release.start()
        try:
            with sqlite_store.begin() as tx:
                assert tx.get_pool(r.POOL) is not None
                timeout = tx._conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        finally:
            release.join()
            holder.close()
        assert timeout == SQLITE_BUSY_TIMEOUT_MS


def test_a_unit_of_work_queued_behind_this_processs_writer_gives_up_after_the_busy_timeout(tmp_path: Path) -> None:
    """Units of work that take the write lock up front queue on a lock of the process (SqlStore._queued):
    one held longer than the busy timeout makes the next `StoreBusy` (TooManyRequests), and changes nothing."""
    store = open_store(f"sqlite:///{tmp_path / 'pool.db'}", SEALER, busy_timeout_ms=50)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with store.begin() as tx:
            tx.put_pool(r.pool())
            holding.set()
            done.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        with pytest.raises(StoreBusy), store.begin() as tx:
            tx.put_pool(r.pool(r.POOL + "x"))
    finally:
        done.set()
        holder.join()
    with store, store.begin() as tx:
        assert tx.get_pool(r.POOL) is not None and tx.get_pool(r.POOL + "x") is None


def test_bare_postgresql_url_means_psycopg_3() -> None:
    engine = create_engine("postgresql://someone@db.invalid/pool")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "schema", "message"),
    [
        ("sqlite://", None, "needs an SQLite file"),
        ("sqlite:///:memory:", None, "needs an SQLite file"),
        ("sqlite:///file:pool?mode=memory&uri=true", None, "needs an SQLite file"),
        ("sqlite:///x.db", "tenant", "schema= is for PostgreSQL"),
        ("postgresql+psycopg://u@h/db", "Robert'); DROP TABLE users;--", "lowercase SQL identifier"),
        ("postgresql+psycopg://u@h/db", "Upper", "lowercase SQL identifier"),
        ("mysql://u@h/db", None, "unsupported database URL"),
    ],
)
def test_refused_urls_and_schemas(url: str, schema: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_store(url, SEALER, schema=schema)
