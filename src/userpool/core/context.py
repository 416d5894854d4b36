"""What a flow is given: one unit of work, the pool's settings, and the ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from userpool.core.config import PoolConfig
from userpool.core.model import Message, Throttle
from userpool.core.ports import Clock, Counters, Keyed, PasswordHasher, Random, TokenSigner, TriggerRunner
from userpool.core.store import Tx


@dataclass(frozen=True)
class Origin:
    """Where the request came from, as the adapter saw it (empty from the CLI): for the audit log and the
    users' sign-in events, never for a decision."""

    ip: str = ""
    user_agent: str = ""


class TxCounters:
    """`Counters` on the unit of work's own store: a refused attempt's count is kept by `keep_writes`."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def get(self, pool_id: str, key: str) -> Throttle | None:
        found = self._tx.get_throttle(pool_id, key)
        return found if found is not None and found.expires_at > 0 else None

    def update(self, pool_id: str, key: str, change: Callable[[Throttle | None], Throttle | None]) -> None:
        current = self._tx.get_throttle(pool_id, key, lock=True)
        new = change(current if current is not None and current.expires_at > 0 else None)
        if new is None:
            self._tx.delete_throttle(pool_id, key)
        else:
            self._tx.put_throttle(new)


@dataclass
class Ctx:
    tx: Tx
    pool: PoolConfig
    clock: Clock
    random: Random
    hasher: PasswordHasher
    keyed: Keyed
    signer: TokenSigner
    # Messages the flow wants sent. The caller delivers them only after the unit of work commits, so a
    # refused request never emails anyone and an accepted one never loses its message.
    outbox: list[Message] = field(default_factory=list)
    # Runs the definition's triggers (core.triggers). None: no runner is wired, and a pool with triggers
    # refuses to run them rather than skip them.
    triggers: TriggerRunner | None = None
    origin: Origin = Origin()
    # Shared counters (lockout, rate limits); None: the store's, in this unit of work (`TxCounters`).
    shared: Counters | None = None
    # Set when a name given to the flow led to a user (`identity.find_user`): the adapters' equal-time
    # floors (api/equal_time.py) learn how long answers about real users take from these answers only.
    found_named_user: bool = False

    @property
    def counters(self) -> Counters:
        return self.shared if self.shared is not None else TxCounters(self.tx)

    def now(self) -> float:
        return self.clock.now()

    def send(self, *, to: str, channel: str, subject: str, body: str, purpose: str, code: str | None) -> None:
        self.outbox.append(
            Message(
                pool_id=self.pool.pool_id,
                to=to,
                channel=channel,
                subject=subject,
                body=body,
                created_at=self.now(),
                purpose=purpose,
                code=code,
            )
        )
