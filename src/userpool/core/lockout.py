"""Per-user lockout after failed attempts, as Cognito's: growing delays, not a permanent lock.

    failure n (n < max_attempts) ──▶ counted
    failure n (n ≥ max_attempts) ──▶ locked for base_delay · 2^(n - max_attempts) s, at most max_delay
    attempt while locked ─────────▶ refused before any check ("Password attempts exceeded"), not counted
    success ──────────────────────▶ count forgotten; so is a quiet `reset_after` after the last failure

Two counts per subject: `SIGN_IN` (passwords, SRP proofs, MFA and recovery codes, ChangePassword's
previous password) and `CODES` (sign-up confirmation, password reset and attribute verification codes),
so guessing codes by mail does not lock a user out of signing in, nor the reverse. A subject is a user's
`sub`, or for a login name no user has `codes.unknown_subject(name)`: strangers are counted and locked
exactly like users, so a lockout says nothing about who exists. The counts live in `ctx.counters`, shared
by every server process; a refusal that counted raises with `keep_writes`, so the count survives it.

Other counts use the same machinery with a policy of their own (`settings`): the console's operators
(`flows/console_sign_in.py`), whose lockout the pool's definition cannot turn off.

A lock delays rather than blocks, so an attacker cannot lock someone out for long (at most `max_delay`
per failure), and a locked account is still refused in constant time: no password is hashed for it.
"""

from __future__ import annotations

from userpool.core.config import LockoutSettings
from userpool.core.context import Ctx
from userpool.core.errors import CognitoError, LimitExceededException, NotAuthorizedException
from userpool.core.model import Throttle, User

SIGN_IN = "sign-in"
CODES = "codes"
LOCKED_MESSAGE = "Password attempts exceeded"
CODES_LOCKED_MESSAGE = "Attempt limit exceeded, please try after some time."


def subject(ctx: Ctx, user: User | None, login: str) -> str:
    """Whose count: the user's, or the login name's when no user has it."""
    from userpool.core.codes import unknown_subject  # codes counts its own failures through this module

    return user.sub if user is not None else unknown_subject(ctx, login)


def _key(kind: str, who: str) -> str:
    return f"lockout:{kind}|{who}"


def _policy(ctx: Ctx, settings: LockoutSettings | None) -> LockoutSettings:
    return ctx.pool.security.lockout if settings is None else settings


def delay(ctx: Ctx, failures: int, settings: LockoutSettings | None = None) -> float:
    """How long the `failures`-th failure in a row locks the account (0: not at all)."""
    settings = _policy(ctx, settings)
    if failures < settings.max_attempts:
        return 0.0
    exponent = min(failures - settings.max_attempts, 62)  # 2^62 s is far past any cap
    return float(min(settings.max_delay, settings.base_delay * 2.0**exponent))


def locked_error(kind: str) -> CognitoError:
    if kind == CODES:
        return LimitExceededException(CODES_LOCKED_MESSAGE)
    return NotAuthorizedException(LOCKED_MESSAGE)


def remaining(ctx: Ctx, kind: str, who: str, settings: LockoutSettings | None = None) -> float:
    """Seconds until `who` may try again (0: not locked)."""
    if not _policy(ctx, settings).enabled:
        return 0.0
    found = ctx.counters.get(ctx.pool.pool_id, _key(kind, who))
    now = ctx.now()
    if found is None or found.expires_at <= now:
        return 0.0
    return max(0.0, found.until - now)


def check(
    ctx: Ctx, kind: str, who: str, error: CognitoError | None = None, settings: LockoutSettings | None = None
) -> None:
    """Refuse at once while `who` is locked (before any password or code is looked at)."""
    if remaining(ctx, kind, who, settings) > 0:
        raise error if error is not None else locked_error(kind)


def failed(ctx: Ctx, kind: str, who: str, settings: LockoutSettings | None = None) -> None:
    """Count one failure (the caller then raises its refusal with `keep_writes`)."""
    settings = _policy(ctx, settings)
    if not settings.enabled:
        return
    now = ctx.now()

    def count(current: Throttle | None) -> Throttle:
        failures = 1 if current is None or current.expires_at <= now else int(current.count) + 1
        until = now + delay(ctx, failures, settings)
        return Throttle(
            pool_id=ctx.pool.pool_id,
            key=_key(kind, who),
            count=float(failures),
            stamp=now,
            until=until,
            expires_at=until + settings.reset_after,
        )

    ctx.counters.update(ctx.pool.pool_id, _key(kind, who), count)


def succeeded(ctx: Ctx, kind: str, who: str, settings: LockoutSettings | None = None) -> None:
    """Forget the count. Reads first, so a success with nothing counted writes nothing."""
    if not _policy(ctx, settings).enabled:
        return
    if ctx.counters.get(ctx.pool.pool_id, _key(kind, who)) is not None:
        ctx.counters.update(ctx.pool.pool_id, _key(kind, who), lambda _current: None)


def failures(ctx: Ctx, kind: str, who: str) -> int:
    """Failures counted and not yet forgotten (for tests and the CLI)."""
    found = ctx.counters.get(ctx.pool.pool_id, _key(kind, who))
    return 0 if found is None or found.expires_at <= ctx.now() else int(found.count)
