"""What the core asks of the outside world, besides storage: time, randomness, hashing, signing, and
running the pool's triggers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from userpool.core.model import Throttle


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class Random(Protocol):
    def token_bytes(self, n: int) -> bytes: ...
    def digits(self, n: int) -> str:
        """n decimal digits, uniformly random (leading zeros allowed)."""
        ...

    def uuid4(self) -> str: ...
    def below(self, n: int) -> int:
        """A uniformly random integer in [0, n)."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, encoded: str, password: str) -> bool: ...
    def needs_rehash(self, encoded: str) -> bool:
        """True for a hash that is not argon2id with the current parameters (an imported one, too)."""
        ...

    def scheme(self, encoded: str) -> str | None:
        """The format of a stored hash ("argon2id", "bcrypt", "django-pbkdf2", …), None when unrecognised
        or malformed: an import refuses such a hash rather than store one nobody could sign in with."""
        ...

    def burn(self, password: str) -> None:
        """Spend the time of one verification, for users who do not exist (same timing either way)."""
        ...


class Keyed(Protocol):
    """Keyed hashing with a server key that is not in the database (one-time codes, simulated salts)."""

    def digest(self, purpose: str, value: str) -> str:
        """Hex HMAC-SHA256 of value under a subkey for `purpose`."""
        ...


class Counters(Protocol):
    """Counters every server process shares (lockout, rate limits): the store's `throttles` rows, inside the
    request's unit of work, or Redis when the server names one. `update` is atomic per key."""

    def get(self, pool_id: str, key: str) -> Throttle | None: ...
    def update(self, pool_id: str, key: str, change: Callable[[Throttle | None], Throttle | None]) -> None:
        """Replace the counter with `change(current)` (None deletes it), no other update of the key between."""
        ...


TokenUse = Literal["id", "access"]


class InvalidToken(Exception):
    """A token that is not ours, malformed, or badly signed. The core answers NotAuthorizedException."""


class TokenSigner(Protocol):
    def sign(self, claims: Mapping[str, object], use: TokenUse) -> str: ...
    def verify(self, token: str) -> dict[str, object]:
        """Check the signature (RS256 only, `kid` required and known) and return the claims, unchecked.

        Raises InvalidToken. Claim checks (exp, iss, token_use, client) are the caller's.
        """
        ...


@dataclass(frozen=True)
class TriggerCall:
    """How one call of a trigger went: what it returned, or what it raised, or that it ran out of time."""

    returned: object = None
    error: BaseException | None = None
    timed_out: bool = False
    seconds: float = 0.0  # how long the call took (the limit, when it timed out)


class TriggerRunner(Protocol):
    """Runs a trigger's Python callable with a time limit — which the core cannot do without a thread.

    `core.triggers` builds the event, calls `run`, turns the outcome into Cognito's answer, and reports the
    finished call to `record`; the adapter (`userpool.triggers_runner`) owns threads, clocks and the log.
    """

    def run(self, name: str, fn: Callable[..., object], event: dict[str, Any], *, timeout: float) -> TriggerCall:
        """Call `fn(event)`; never raises. Past `timeout` seconds the call is abandoned (`timed_out`)."""
        ...

    def record(self, name: str, source: str, seconds: float, outcome: str) -> None:
        """One finished call, for the log: name, trigger source, duration and outcome — never the event,
        which can hold attributes, passwords and codes."""
        ...
