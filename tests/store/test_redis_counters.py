"""The Redis backend of the shared counters (store/redis_counters.py), against a real Redis: updates from
concurrent clients all count, a counter expires at its `expires_at`, and None deletes it."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from userpool.core.model import Throttle

redis = pytest.importorskip("redis", reason="the redis package (userpool[redis]) is not installed")

from userpool.store.redis_counters import RedisCounters  # noqa: E402 - after the skip

REDIS_URL = os.environ.get("USERPOOL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def counters() -> Iterator[tuple[RedisCounters, str]]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    pool_id = f"us-east-1_test{uuid.uuid4().hex[:8]}"
    backend = RedisCounters(REDIS_URL)
    yield backend, pool_id
    backend.clear(pool_id)
    backend.close()


def _plus_one(pool_id: str, key: str, expires_at: float) -> Callable[[Throttle | None], Throttle]:
    def change(current: Throttle | None) -> Throttle:
        count = 0.0 if current is None else current.count
        return Throttle(pool_id, key, count + 1, time.time(), 0.0, expires_at)

    return change


def test_concurrent_updates_all_count(counters: tuple[RedisCounters, str]) -> None:
    backend, pool_id = counters
    expires = time.time() + 600
    others = [RedisCounters(REDIS_URL) for _ in range(4)]  # as many processes, each its own connection

    def work(b: RedisCounters) -> None:
        for _ in range(25):
            b.update(pool_id, "lockout:sign-in|x", _plus_one(pool_id, "lockout:sign-in|x", expires))

    threads = [threading.Thread(target=work, args=(b,)) for b in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    found = backend.get(pool_id, "lockout:sign-in|x")
    assert found is not None and found.count == 100
    for b in others:
        b.close()


def test_none_deletes_and_expiry_drops_the_counter(counters: tuple[RedisCounters, str]) -> None:
    backend, pool_id = counters
    backend.update(pool_id, "a", _plus_one(pool_id, "a", time.time() + 600))
    assert backend.get(pool_id, "a") is not None
    backend.update(pool_id, "a", lambda _current: None)
    assert backend.get(pool_id, "a") is None
    backend.update(pool_id, "b", _plus_one(pool_id, "b", time.time() - 1))
    assert backend.get(pool_id, "b") is None  # already past its expiry: Redis dropped it
