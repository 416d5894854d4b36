"""`core.ports.Counters` in Redis: lockout and rate-limit counts shared by every process that names the same
Redis (`userpool serve --redis-url`), instead of the store's `throttles` table.

One hash per counter, `userpool:<pool>:<key>`, expiring at the counter's `expires_at`. `update` is a
WATCH / MULTI transaction, retried when another process changed the key in between, so two processes
counting one key at once both count. Writes here are immediate, not part of the request's unit of work:
a refused attempt stays counted whatever the request then does, which is what the lockout wants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpool.core.errors import StoreBusy
from userpool.core.model import Throttle

_RETRIES = 50
_FIELDS = ("count", "stamp", "until", "expires_at")


class RedisCounters:
    def __init__(self, url: str) -> None:
        try:
            import redis  # an optional dependency (userpool[redis])
        except ImportError:  # pragma: no cover - depends on the install
            raise SystemExit("--redis-url needs the redis package: pip install 'userpool[redis]'") from None
        self._redis: Any = redis.Redis.from_url(url, socket_timeout=5)
        self._watch_error: type[Exception] = redis.WatchError

    @staticmethod
    def _name(pool_id: str, key: str) -> str:
        return f"userpool:{pool_id}:{key}"

    @staticmethod
    def _decode(pool_id: str, key: str, raw: dict[bytes, bytes]) -> Throttle | None:
        if not raw:
            return None
        values = {f: float(raw.get(f.encode(), b"0")) for f in _FIELDS}
        return Throttle(pool_id=pool_id, key=key, **values)

    def ping(self) -> None:
        """Raise if Redis cannot be reached (checked once at start-up)."""
        self._redis.ping()

    def get(self, pool_id: str, key: str) -> Throttle | None:
        return self._decode(pool_id, key, self._redis.hgetall(self._name(pool_id, key)))

    def update(self, pool_id: str, key: str, change: Callable[[Throttle | None], Throttle | None]) -> None:
        name = self._name(pool_id, key)
        with self._redis.pipeline() as pipe:
            for _ in range(_RETRIES):
                try:
                    pipe.watch(name)
                    new = change(self._decode(pool_id, key, pipe.hgetall(name)))
                    pipe.multi()
                    if new is None:
                        pipe.delete(name)
                    else:
                        pipe.hset(name, mapping={f: repr(float(getattr(new, f))) for f in _FIELDS})
                        pipe.pexpireat(name, int(new.expires_at * 1000) + 1)
                    pipe.execute()
                    return
                except self._watch_error:
                    continue
        raise StoreBusy(f"counter {key} kept changing under {_RETRIES} tries")

    def clear(self, pool_id: str) -> int:
        """Delete every counter of a pool (tests, and `sandbox delete`)."""
        names = list(self._redis.scan_iter(match=f"userpool:{pool_id}:*"))
        return int(self._redis.delete(*names)) if names else 0

    def close(self) -> None:
        self._redis.close()
