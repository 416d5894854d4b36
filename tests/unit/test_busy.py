"""A database too busy to answer in time is a throttling answer clients retry, never a 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.support.pool import PASSWORD, make_pool
from userpool.core import errors
from userpool.core.context import Ctx
from userpool.core.flows import account, sign_up
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


class _CountingHasher:
    def __init__(self, inner: Any) -> None:
        self.inner, self.verified = inner, 0

    def hash(self, password: str) -> str:
        return str(self.inner.hash(password))

    def verify(self, encoded: str, password: str) -> bool:
        self.verified += 1
        return bool(self.inner.verify(encoded, password))

    def needs_rehash(self, encoded: str) -> bool:
        return bool(self.inner.needs_rehash(encoded))

    def burn(self, password: str) -> None:
        self.inner.burn(password)


def test_a_flow_that_loses_the_write_race_runs_again_and_does_not_hash_again(tmp_path: Path) -> None:
    harness = make_pool(tmp_path)
    harness.confirmed_user("ada@example.com")
    counting = _CountingHasher(harness.pool.hasher)
    harness.pool.hasher = counting
    attempts: list[int] = []

    def flow(ctx: Ctx) -> bool:
        attempts.append(len(attempts) + 1)
        user = ctx.tx.find_user(ctx.pool.pool_id, "email:ada@example.com")
        assert user is not None and user.password_hash is not None
        ok = ctx.hasher.verify(user.password_hash, PASSWORD)  # argon2id, without the write lock
        if len(attempts) == 1:  # meanwhile, another process writes
            other = sqlite3.connect(tmp_path / "pool.db", isolation_level=None)
            other.execute("UPDATE users SET updated_at = updated_at + 1")
            other.close()
        user.attributes["name"] = "Ada"
        ctx.tx.update_user(user)  # the first attempt read before that write: it may not write now
        return ok

    try:
        assert harness.pool.run(flow) is True
        assert attempts == [1, 2]
        assert counting.verified == 1  # the retry reused the first attempt's argon2id result
        with harness.store.begin() as tx:
            stored = tx.find_user(harness.pool.config.pool_id, "email:ada@example.com")
        assert stored is not None and stored.attributes["name"] == "Ada"
    finally:
        harness.store.close()


def test_a_flow_run_writing_holds_the_write_lock_from_its_start_and_runs_once(tmp_path: Path) -> None:
    harness = make_pool(tmp_path)
    harness.confirmed_user("ada@example.com")
    attempts: list[int] = []

    def flow(ctx: Ctx) -> None:
        attempts.append(len(attempts) + 1)
        user = ctx.tx.find_user(ctx.pool.pool_id, "email:ada@example.com")
        assert user is not None
        other = sqlite3.connect(tmp_path / "pool.db", isolation_level=None, timeout=0)
        try:  # another process cannot write in between: this unit of work took the lock at its start
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("UPDATE users SET updated_at = updated_at + 1")
        finally:
            other.close()
        user.attributes["name"] = "Ada"
        ctx.tx.update_user(user)

    try:
        harness.pool.run_writing(flow)
        assert attempts == [1]
    finally:
        harness.store.close()


def test_read_only_actions_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    harness = make_pool(tmp_path)
    harness.confirmed_user("ada@example.com")
    tokens = harness.password_sign_in("ada@example.com")
    harness.store.close()
    harness.pool.store = open_store(f"sqlite:///{tmp_path / 'pool.db'}", Sealer(bytes(range(32))), busy_timeout_ms=50)
    holder = sqlite3.connect(tmp_path / "pool.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock for as long as it likes
        holder.execute("UPDATE users SET updated_at = updated_at + 1")
        user = harness.pool.run(account.get_user, access_token=tokens.access_token)
        assert user.attributes["email"] == "ada@example.com"
        with pytest.raises(errors.TooManyRequestsException):  # a write still waits, and gives up in time
            harness.pool.run(account.global_sign_out, access_token=tokens.access_token)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
        harness.pool.store.close()
