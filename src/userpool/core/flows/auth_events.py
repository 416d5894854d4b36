"""Auth events and their feedback (Cognito's threat protection, a Plus-plan add-on).

userpool records no risk-scored auth events, so, like a Cognito pool without threat protection, it answers
UpdateAuthEventFeedback with UserPoolAddOnNotEnabledException: there is no event a feedback token could
name. The pool is checked first, as Cognito does, so a wrong pool id says so.
"""

from __future__ import annotations

from userpool.core.context import Ctx
from userpool.core.errors import ResourceNotFoundException, UserPoolAddOnNotEnabledException

NOT_ENABLED = (
    "Threat protection (advanced security) is not enabled for this user pool, so it has no auth events to "
    "take feedback on."
)


def update_auth_event_feedback(ctx: Ctx, *, user_pool_id: str) -> None:
    if user_pool_id != ctx.pool.pool_id:
        raise ResourceNotFoundException(f"User pool {user_pool_id} does not exist.")
    raise UserPoolAddOnNotEnabledException(NOT_ENABLED)
