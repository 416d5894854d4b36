"""Per-client-address rate limits: one token bucket per (class of action, address), shared by every process.

    request ─▶ bucket (class, address) refilled at count/per ─ has a token ─▶ taken; the action runs
                                                              └ empty ──────▶ TooManyRequestsException
                                                                              (sign-in, sign-up) or
                                                                              LimitExceededException
                                                                              (code sending, reset)

The classes and their limits come from the definition (`security.rate_limits`, `core.config`). The bucket
is taken in a unit of work of its own, before the action's (the adapters call `take` first), so a refused
action still spent its token and a request refused for its content cannot be replayed for free. The
address is the adapter's to decide (the socket's peer, or X-Forwarded-For behind a trusted proxy).
"""

from __future__ import annotations

from userpool.core.config import RateLimit
from userpool.core.context import Ctx
from userpool.core.errors import CognitoError, LimitExceededException, TooManyRequestsException
from userpool.core.model import Throttle

SIGN_IN = "sign_in"
SIGN_UP = "sign_up"
CODE_SEND = "code_send"
PASSWORD_RESET = "password_reset"


def refusal(action: str, retry_after: float | None = None) -> CognitoError:
    """Cognito's answer: throttling for sign-in and sign-up, the attempt limit for codes and resets.
    `retry_after`: seconds until the bucket has a token again."""
    err: CognitoError
    if action in (SIGN_IN, SIGN_UP):
        err = TooManyRequestsException("Too many requests from this address; retry after some time.")
    else:
        err = LimitExceededException("Attempt limit exceeded, please try after some time.")
    err.retry_after = retry_after
    return err


def _leaked(limit: RateLimit, current: Throttle | None, now: float) -> float:
    """Tokens spent and not yet refilled at `now` (0: a full bucket). A clock behind refills nothing."""
    if current is None:
        return 0.0
    return max(0.0, current.count - max(0.0, now - current.stamp) / limit.interval)


def take(ctx: Ctx, *, action: str, address: str) -> None:
    """Spend one token of `address`'s bucket for `action`, or refuse. No limit set, or no address: allowed."""
    limit = ctx.pool.security.rate_limits.get(action)
    if limit is None or not address:
        return
    key = f"rate:{action}|{address}"
    now = ctx.now()
    wait: float | None = None

    def spend(current: Throttle | None) -> Throttle | None:
        nonlocal wait
        wait = None  # the store may call this again on a retry: only the last call counts
        spent = _leaked(limit, current, now)
        if spent + 1 > limit.count:
            wait = (spent + 1 - limit.count) * limit.interval  # until one token has leaked out
            return current
        spent += 1
        return Throttle(
            pool_id=ctx.pool.pool_id,
            key=key,
            count=spent,
            stamp=now,
            until=0.0,
            expires_at=now + spent * limit.interval,  # full again by then: the row may go
        )

    ctx.counters.update(ctx.pool.pool_id, key, spend)
    if wait is not None:
        raise refusal(action, wait)
