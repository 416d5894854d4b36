"""A database too busy to answer in time is a throttling answer clients retry, never a 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.pool import make_pool
from userpool.core import errors
from userpool.core.flows import sign_up
from userpool.crypto.sealing import Sealer
from userpool.store import open_store


def test_a_locked_sqlite_database_answers_too_many_requests(tmp_path: Path) -> None:
    harness = make_pool(tmp_path)
    harness.store.close()
    # The same database, now waiting only 50 ms for the write lock, while another process holds it.
    harness.pool.store = open_store(f"sqlite:///{tmp_path / 'pool.db'}", Sealer(bytes(range(32))), busy_timeout_ms=50)
    holder = sqlite3.connect(tmp_path / "pool.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(errors.TooManyRequestsException, match="busy; retry"):
            harness.pool.run(
                sign_up.sign_up,
                client_id=harness.client_id,
                username="ada@example.com",
                password="Corr3ct-Horse!",
                attributes={},
            )
        holder.execute("ROLLBACK")
        harness.pool.run(
            sign_up.sign_up,
            client_id=harness.client_id,
            username="ada@example.com",
            password="Corr3ct-Horse!",
            attributes={},
        )
    finally:
        holder.close()
        harness.pool.store.close()
