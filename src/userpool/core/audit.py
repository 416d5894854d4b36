"""The audit log: every change made through the console is written in the same unit of work as the change.

The console never changes anything itself. It runs the admin flow it means (`core/flows/admin*.py`, the
same flows the signed admin API and the CLI run) through `audited`, which runs that flow and then adds the
entry, both inside the one `UserPool.run`: a change that commits has its entry, a refused one has none.

    pool.run(audited, Audit(actor, "user.disable", "user:ada"), admin.disable_user, username="ada")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

from userpool.core.console_records import AuditEntry
from userpool.core.context import Ctx

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Audit:
    """What the entry says: who acts, the action's name, what it acts on, and any details worth keeping
    (never a password or a code)."""

    actor: str
    action: str
    target: str
    details: Mapping[str, object] = field(default_factory=dict)


def write(ctx: Ctx, audit: Audit) -> int:
    return ctx.tx.add_audit(
        AuditEntry(
            pool_id=ctx.pool.pool_id,
            at=ctx.now(),
            actor=audit.actor,
            action=audit.action,
            target=audit.target,
            details=dict(audit.details),
            client_ip=ctx.origin.ip,
            user_agent=ctx.origin.user_agent,
        )
    )


def audited(ctx: Ctx, audit: Audit, flow: Callable[Concatenate[Ctx, P], R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run `flow`, then record `audit` — in the caller's unit of work. If the flow refuses, it raises before
    the entry is written, and its own writes roll back with it."""
    result = flow(ctx, *args, **kwargs)
    write(ctx, audit)
    return result
