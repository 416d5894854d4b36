"""Time a flow spends queueing for what every request shares, noted per thread.

Two queues every name stands in alike: an argon2id slot (`crypto/argon2id.py`; each sign-in hashes exactly
once, whether the name exists or not), and SQLite's write lock for a unit of work that takes it up front
(`UserPool.run_writing`, chosen by the action, never by the name: the SRP steps). The equal-time floors
(`api/equal_time.py`) leave those waits out of the time they learn and hold, as they leave out the wait for
a worker thread: they say nothing about the name, and counting them would hold every answer to the
server's worst recent queue. A lock wait in an optimistic unit's retry is not counted: whether a unit is
retried may depend on what it wrote, and so on the name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


def reset() -> None:
    """Start counting afresh on this thread (a new flow)."""
    _local.seconds = 0.0


def total() -> float:
    """Seconds this thread has waited since `reset`."""
    return float(getattr(_local, "seconds", 0.0))


@contextmanager
def up_front_lock_waits() -> Iterator[None]:
    """Within the block, a unit of work that takes the write lock up front counts that wait (`waiting`)."""
    _local.locks = True
    try:
        yield
    finally:
        _local.locks = False


def counting_lock_waits() -> bool:
    return bool(getattr(_local, "locks", False))


@contextmanager
def lock_wait() -> Iterator[None]:
    """A wait for the write lock taken up front: counted as waiting within `up_front_lock_waits` only."""
    if not counting_lock_waits():
        yield
        return
    with waiting():
        yield


@contextmanager
def waiting() -> Iterator[None]:
    """Count the block's time as waiting."""
    start = time.perf_counter()
    try:
        yield
    finally:
        _local.seconds = total() + (time.perf_counter() - start)
