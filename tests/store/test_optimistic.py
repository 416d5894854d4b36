"""Optimistic units of work (what every request uses) and the per-process cache of app clients."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from userpool.core.errors import StoreRetry
from userpool.store.sql import SqlStore
from userpool.store.sql.cache import ReadCache

from . import records as r

if TYPE_CHECKING:
    from .conftest import Backend


def test_an_optimistic_write_after_another_writer_committed_is_a_retry_and_writes_nothing(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user("sub-1", "email:a@example.com"))
    outcome = "wrote"
    try:
        with store.begin(optimistic=True) as tx:
            read = tx.get_user(r.POOL, "sub-1")
            assert read is not None
            with store.begin() as other:  # another request, committed in between
                other.insert_user(r.user("sub-2", "email:b@example.com"))
            tx.update_user(replace(read, username="stale?"))
            tx.insert_user(r.user("sub-3", "email:c@example.com"))
    except StoreRetry:
        outcome = "retry"
    with store.begin() as tx:
        stored = tx.get_user(r.POOL, "sub-1")
        assert stored is not None
        if store.engine.dialect.name == "sqlite":
            # SQLite's snapshot predates the other commit: it may not write on that basis.
            assert outcome == "retry"
            assert (stored.username, tx.get_user(r.POOL, "sub-3")) == (r.user("sub-1").username, None)
        else:
            # PostgreSQL reads committed rows and settles races per row: the version check still holds.
            assert outcome == "wrote"
            assert stored.username == "stale?"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_optimistic_read_does_not_wait_for_a_writer(backend: Backend) -> None:
    store = backend.open()
    with store.begin() as tx:
        tx.insert_user(r.user("sub-1", "email:a@example.com"))
    holding, done = threading.Event(), threading.Event()

    def writer() -> None:
        with store.begin() as tx:  # BEGIN IMMEDIATE: the write lock, held until `done`
            tx.insert_user(r.user("sub-2", "email:b@example.com"))
            holding.set()
            assert done.wait(timeout=30)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        with store.begin(optimistic=True) as tx:
            assert tx.find_user(r.POOL, "email:a@example.com") is not None
            assert tx.find_user(r.POOL, "email:b@example.com") is None  # not committed yet
    finally:
        done.set()
        thread.join()


def test_get_user_returns_every_login_key(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user("sub-1", "username:ana", "email:a@example.com", "phone:+15550100"))
        tx.insert_user(replace(r.user("sub-2"), login_keys=frozenset()))  # a user with no login key
    with store.begin() as tx:
        by_key = tx.find_user(r.POOL, "email:a@example.com")
        by_sub = tx.get_user(r.POOL, "sub-1")
        lonely = tx.get_user(r.POOL, "sub-2")
    expected = frozenset({"username:ana", "email:a@example.com", "phone:+15550100"})
    assert by_key is not None and by_key.login_keys == expected
    assert by_sub == by_key
    assert lonely is not None and lonely.login_keys == frozenset()


def test_a_client_written_in_this_process_is_read_back_at_once(store: SqlStore) -> None:
    client = r.client()
    with store.begin() as tx:
        tx.put_pool(r.pool())
        tx.put_client(client)
    with store.begin(optimistic=True) as tx:
        first = tx.get_client(client.id)
        assert first == client
        first.name = "changed by a caller"  # a copy: the cache is not touched
    with store.begin(optimistic=True) as tx:
        assert tx.get_client(client.id) == client
    with store.begin() as tx:
        tx.put_client(replace(client, name="renamed"))
    with store.begin(optimistic=True) as tx:
        found = tx.get_client(client.id)
        assert found is not None and found.name == "renamed"
    with store.begin() as tx:
        tx.delete_client(client.id)
    with store.begin(optimistic=True) as tx:
        assert tx.get_client(client.id) is None


def test_a_client_written_by_another_process_is_seen_when_the_entry_expires(backend: Backend) -> None:
    now = [100.0]
    ours, theirs = backend.open(), backend.open()  # two processes' stores on one database
    ours.cache = ReadCache(ttl=2.0, clock=lambda: now[0])
    client = r.client()
    with theirs.begin() as tx:
        tx.put_pool(r.pool())
        tx.put_client(client)
    with ours.begin() as tx:
        assert tx.get_client(client.id) == client
    with theirs.begin() as tx:
        tx.put_client(replace(client, name="renamed elsewhere"))
    with ours.begin() as tx:
        assert tx.get_client(client.id) == client  # cached: at most TTL seconds behind
    now[0] += 2.5
    with ours.begin() as tx:
        found = tx.get_client(client.id)
        assert found is not None and found.name == "renamed elsewhere"


def test_a_read_that_began_before_an_invalidation_is_not_cached() -> None:
    cache = ReadCache(ttl=60.0)
    generation = cache.generation
    cache.invalidate()  # a write of that row happened while the read was under way
    cache.put("k", "old", generation)
    assert cache.get("k") == (False, None)
    cache.put("k", "new", cache.generation)
    assert cache.get("k") == (True, "new")
