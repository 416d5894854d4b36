"""A per-process cache of rows that change only on deploy (app clients), read on every request otherwise.

Every request checks its app client; the row changes when the definition is deployed (and, later, through
admin actions). Reading it each time is a query, a JSON decode per list column and an AES-GCM open of the
secret: about a tenth of a GetUser. So `SqlTx.get_client` keeps what it read here.

Freshness:
- A write through this process (`put_client`, `delete_client`: a deploy, a sandbox redeploy, an admin
  action) empties the cache at once and again when its unit of work ends, and a read that began before an
  invalidation is not stored (the generation check), so this process never keeps a row older than its own
  last write.
- A write by another process (`userpool serve --workers N`: every worker deploys the same definition on
  start, so they agree; an admin action answered by another worker; a second server on the same database)
  is seen within `TTL` seconds, when the entry expires.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

TTL = 2.0  # seconds a cached row may lag behind a write made by another process


class ReadCache:
    """Thread-safe; values are returned as stored, so store only what callers never mutate (or copies)."""

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self.generation = 0  # moves on every invalidation

    def get(self, key: Hashable) -> tuple[bool, object]:
        """(True, value) for a live entry (None may be a cached "no such row"), else (False, None)."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < self._clock():
            return False, None
        return True, entry[1]

    def put(self, key: Hashable, value: object, generation: int) -> None:
        """Keep `value`, read when `self.generation` was `generation`, unless it has moved since."""
        with self._lock:
            if generation == self.generation:
                self._entries[key] = (self._clock() + self._ttl, value)

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()
