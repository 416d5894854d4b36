"""What a flow is given: one unit of work, the pool's settings, and the ports."""

from __future__ import annotations

from dataclasses import dataclass, field

from userpool.core.config import PoolConfig
from userpool.core.model import Message
from userpool.core.ports import Clock, Keyed, PasswordHasher, Random, TokenSigner, TriggerRunner
from userpool.core.store import Tx


@dataclass(frozen=True)
class Origin:
    """Where the request came from, as the adapter saw it (empty from the CLI): for the audit log and the
    users' sign-in events, never for a decision."""

    ip: str = ""
    user_agent: str = ""


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
