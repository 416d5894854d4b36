"""Fixtures for the store suite: every test that takes `backend` or `store` runs once per backend.

SQLite gets a fresh file in `tmp_path`. PostgreSQL (127.0.0.1:5432, trust auth; override with
USERPOOL_TEST_POSTGRES_URL) gets a fresh schema per test, dropped afterwards; when it is not reachable the
postgres half of the suite is skipped, saying so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from userpool.crypto.sealing import Sealer
from userpool.store.sql import SqlStore, open_store

POSTGRES_URL = os.environ.get("USERPOOL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MASTER_KEY = bytes(range(32))


@dataclass
class Backend:
    """One database for one test; `open()` may be called more than once (several processes' worth)."""

    name: str
    url: str
    schema: str | None
    sealer: Sealer = field(default_factory=lambda: Sealer(MASTER_KEY))
    opened: list[SqlStore] = field(default_factory=list)

    def open(self, sealer: Sealer | None = None) -> SqlStore:
        store = open_store(self.url, sealer or self.sealer, schema=self.schema)
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    engine = sa.create_engine(POSTGRES_URL, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig or exc).splitlines()[0]
        pytest.skip(f"PostgreSQL not reachable at {engine.url.render_as_string()}: SKIPPING POSTGRES TESTS ({reason})")
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        db = Backend("sqlite", f"sqlite:///{tmp_path / 'pool.db'}", None)
        yield db
        db.close_all()
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:16]}"  # open_store creates it; we drop it
    db = Backend("postgres", url, schema)
    try:
        yield db
    finally:
        db.close_all()
        admin = sa.create_engine(url, poolclass=NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def store(backend: Backend) -> SqlStore:
    return backend.open()
