"""Each user's recent sign-ins, right or refused, for the console's user page: when, from which address,
through which app client, and how it ended. The store keeps the newest `KEEP` per user (deleting the
user deletes them); a refusal is noted only for a user that exists, so nothing grows for made-up names."""

from __future__ import annotations

from userpool.core.console_records import SignInEvent
from userpool.core.context import Ctx

KEEP = 20


def record(ctx: Ctx, user_sub: str, *, success: bool, client_id: str = "", detail: str = "") -> None:
    event = SignInEvent(
        pool_id=ctx.pool.pool_id,
        user_sub=user_sub,
        at=ctx.now(),
        success=success,
        client_id=client_id,
        client_ip=ctx.origin.ip,
        detail=detail,
    )
    ctx.tx.add_sign_in_event(event, keep=KEEP)
