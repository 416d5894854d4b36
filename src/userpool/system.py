"""The real clock and the real random source (core.ports.Clock, core.ports.Random)."""

from __future__ import annotations

import secrets
import time
import uuid


class SystemClock:
    def now(self) -> float:
        return time.time()


class SystemRandom:
    """Everything from the OS CSPRNG (`secrets`)."""

    def token_bytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)

    def digits(self, n: int) -> str:
        return "".join(str(secrets.randbelow(10)) for _ in range(n))

    def uuid4(self) -> str:
        return str(uuid.uuid4())

    def below(self, n: int) -> int:
        return secrets.randbelow(n)
