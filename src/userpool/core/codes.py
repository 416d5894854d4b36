"""One-time codes: random, stored only as a keyed hash, expiring, single use, attempt-limited — and sent
no faster than the resend cooldown allows.

The cooldown is a token bucket per (user, purpose), kept in the code's own row so it holds across server
processes and restarts: `SEND_BURST` codes may go out back to back, then one more each `SEND_INTERVAL`.
A send the bucket refuses is `LimitExceededException` (Cognito's words) and nothing is sent or written.

    send ──▶ row {code, send_count+1} ──consume / burn / expire──▶ row {no code, send_count} ──refilled──▶ gone

A spent code leaves its row behind (`code_hash` "") until the bucket is full again, so burning a code with
wrong guesses or letting it expire never buys fresh sends. Answers that pretend to send (an unknown user
when the client hides which users exist) count against a bucket too — one per login name — so the
cooldown cannot tell a real account from a missing one.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import replace

from userpool.core import lockout
from userpool.core.context import Ctx
from userpool.core.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    LimitExceededException,
)
from userpool.core.model import OneTimeCode, User

CODE_DIGITS = 6
_CODE_SHAPE = re.compile(r"\S{1,2048}")  # botocore's ConfirmationCodeType

# Five sends cover every honest journey with room to spare (sign-up, a resend, "it went to spam", a
# resend, one more); after that one code each 5 minutes — a code lives an hour or a day, mail arrives in
# seconds, so waiting costs a real user little. At most 17 codes in any hour (5 + 12), inside the "5 to
# 20 attempts an hour" Cognito documents for password-reset codes, and a cap on what one address or phone
# number can be sent. The bucket is full again at most SEND_BURST * SEND_INTERVAL (25 min) after a send,
# well within every code's lifetime, so a row never expires while its counts still matter.
SEND_BURST = 5
SEND_INTERVAL = 300.0
LIMIT_MESSAGE = "Attempt limit exceeded, please try after some time."


def _hash(ctx: Ctx, user: User, purpose: str, code: str) -> str:
    return ctx.keyed.digest("one-time-code", f"{ctx.pool.pool_id}|{user.sub}|{purpose}|{code}")


def _refilled(stored: OneTimeCode | None, now: float) -> tuple[int, float]:
    """The bucket at `now`: (sends still held against the user, the time they are counted from)."""
    if stored is None or stored.send_count <= 0:
        return 0, now
    steps = max(0, int((now - stored.window_started_at) // SEND_INTERVAL))  # a clock behind: no refill
    if steps >= stored.send_count:
        return 0, now
    return stored.send_count - steps, stored.window_started_at + steps * SEND_INTERVAL


def _take_send(stored: OneTimeCode | None, now: float) -> tuple[int, float]:
    count, since = _refilled(stored, now)
    if count >= SEND_BURST:
        raise LimitExceededException(LIMIT_MESSAGE)
    return count + 1, since


def unknown_subject(ctx: Ctx, login: str) -> str:
    """The bucket's owner for a login name no user has: stable per name, never a real `sub` (UUIDs)."""
    name = login.strip() if ctx.pool.case_sensitive and "@" not in login else login.strip().lower()
    return "unknown:" + ctx.keyed.digest("unknown-login", f"{ctx.pool.pool_id}|{name}")


def issue(ctx: Ctx, user: User, purpose: str, ttl: int, destination: str = "", *, for_link: bool = False) -> str:
    """A fresh code for `purpose`, if the cooldown allows one (else LimitExceededException); any earlier code
    for the same purpose stops working. A code that travels in a link is never typed, so it is long (128
    bits) rather than six digits."""
    now = ctx.now()
    send_count, since = _take_send(ctx.tx.get_code(ctx.pool.pool_id, user.sub, purpose), now)
    code = ctx.random.token_bytes(16).hex() if for_link else ctx.random.digits(CODE_DIGITS)
    ctx.tx.put_code(
        OneTimeCode(
            pool_id=ctx.pool.pool_id,
            user_sub=user.sub,
            purpose=purpose,
            code_hash=_hash(ctx, user, purpose, code),
            created_at=now,
            expires_at=now + ttl,
            destination=destination,
            send_count=send_count,
            window_started_at=since,
        )
    )
    return code


def count_send(ctx: Ctx, subject: str, purpose: str) -> None:
    """Count a send that only pretends to happen (the user is unknown or has nowhere to send to), exactly
    as a real one: refused by the same bucket, at the same moment. `subject` is a user's `sub` or
    `unknown_subject(login)`. A live code in the row keeps working."""
    now = ctx.now()
    stored = ctx.tx.get_code(ctx.pool.pool_id, subject, purpose)
    send_count, since = _take_send(stored, now)
    if stored is not None and stored.code_hash:
        ctx.tx.put_code(replace(stored, send_count=send_count, window_started_at=since))
        return
    ctx.tx.put_code(
        OneTimeCode(
            pool_id=ctx.pool.pool_id,
            user_sub=subject,
            purpose=purpose,
            code_hash="",
            created_at=now,
            expires_at=since + send_count * SEND_INTERVAL,  # kept while the count holds anything back
            send_count=send_count,
            window_started_at=since,
        )
    )


def _spend(ctx: Ctx, stored: OneTimeCode) -> None:
    """The code stops working; its row stays, without it, while the sends it counts still matter."""
    count, since = _refilled(stored, ctx.now())
    if count == 0:
        ctx.tx.delete_code(stored.pool_id, stored.user_sub, stored.purpose)
        return
    spent = replace(stored, code_hash="", attempts=0, destination="", send_count=count, window_started_at=since)
    ctx.tx.put_code(replace(spent, expires_at=since + count * SEND_INTERVAL))


def revoke(ctx: Ctx, user: User, purpose: str) -> None:
    """Any live code for `purpose` stops working (its address was removed); the cooldown is unchanged."""
    stored = ctx.tx.get_code(ctx.pool.pool_id, user.sub, purpose)
    if stored is not None and stored.code_hash:
        _spend(ctx, stored)


def consume(ctx: Ctx, user: User, purpose: str, code: str) -> OneTimeCode:
    """Accept the code once. A wrong guess is counted (and kept even though the request fails); the last
    allowed wrong guess burns the code, so guessing on needs a new code each few tries. Wrong guesses also
    count towards the user's lockout (`lockout.CODES`), which outlives any one code."""
    if not _CODE_SHAPE.fullmatch(code):
        raise InvalidParameterException("ConfirmationCode must be 1 to 2048 characters without spaces")
    lockout.check(ctx, lockout.CODES, user.sub)
    stored = ctx.tx.get_code(ctx.pool.pool_id, user.sub, purpose)
    if stored is None or not stored.code_hash:
        raise ExpiredCodeException("Invalid code provided, please request a code again.")
    if stored.expires_at <= ctx.now():
        _spend(ctx, stored)
        raise ExpiredCodeException("Invalid code provided, please request a code again.", keep_writes=True)
    if not hmac.compare_digest(stored.code_hash, _hash(ctx, user, purpose, code)):
        stored.attempts += 1
        if stored.attempts >= ctx.pool.code_attempts:
            _spend(ctx, stored)
        else:
            ctx.tx.put_code(stored)
        lockout.failed(ctx, lockout.CODES, user.sub)
        raise CodeMismatchException("Invalid verification code provided, please try again.", keep_writes=True)
    _spend(ctx, stored)
    lockout.succeeded(ctx, lockout.CODES, user.sub)
    return stored


def refuse_unknown(ctx: Ctx, login: str) -> CodeMismatchException:
    """A code answered for a login name no user has, when the client hides which users exist: refused
    as a wrong code, counted and locked like one, so neither the answer nor the lockout tells."""
    who = unknown_subject(ctx, login)
    lockout.check(ctx, lockout.CODES, who)
    lockout.failed(ctx, lockout.CODES, who)
    return CodeMismatchException("Invalid verification code provided, please try again.", keep_writes=True)
