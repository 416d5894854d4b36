"""Time a flow spends waiting for an argon2id slot, noted per thread.

Every request that hashes a password waits for a slot when the server is busy (`crypto/argon2id.py`), a
known name and an unknown one alike: each hashes exactly once. The equal-time floors (`api/equal_time.py`)
leave that queue out of the time they learn and hold, as they leave out the wait for a worker thread: it
says nothing about the name, and counting it would hold every sign-in's answer to the server's worst recent
queue (a closed loop of clients would then sign in slower and slower).
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
def waiting() -> Iterator[None]:
    """Count the block's time as waiting."""
    start = time.perf_counter()
    try:
        yield
    finally:
        _local.seconds = total() + (time.perf_counter() - start)
