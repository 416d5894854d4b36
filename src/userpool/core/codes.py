"""One-time codes: random, stored only as a keyed hash, expiring, single use, attempt-limited."""

from __future__ import annotations

import hmac
import re

from userpool.core.context import Ctx
from userpool.core.errors import CodeMismatchException, ExpiredCodeException, InvalidParameterException
from userpool.core.model import OneTimeCode, User

CODE_DIGITS = 6
_CODE_SHAPE = re.compile(r"\S{1,2048}")  # botocore's ConfirmationCodeType


def _hash(ctx: Ctx, user: User, purpose: str, code: str) -> str:
    return ctx.keyed.digest("one-time-code", f"{ctx.pool.pool_id}|{user.sub}|{purpose}|{code}")


def issue(ctx: Ctx, user: User, purpose: str, ttl: int, destination: str = "", *, for_link: bool = False) -> str:
    """A fresh code for `purpose`; any earlier code for the same purpose stops working. A code that travels
    in a link is never typed, so it is long (128 bits) rather than six digits."""
    code = ctx.random.token_bytes(16).hex() if for_link else ctx.random.digits(CODE_DIGITS)
    now = ctx.now()
    ctx.tx.put_code(
        OneTimeCode(
            pool_id=ctx.pool.pool_id,
            user_sub=user.sub,
            purpose=purpose,
            code_hash=_hash(ctx, user, purpose, code),
            created_at=now,
            expires_at=now + ttl,
            destination=destination,
        )
    )
    return code


def consume(ctx: Ctx, user: User, purpose: str, code: str) -> OneTimeCode:
    """Accept the code once. A wrong guess is counted (and kept even though the request fails); the last
    allowed wrong guess burns the code, so guessing on needs a new code each few tries."""
    if not _CODE_SHAPE.fullmatch(code):
        raise InvalidParameterException("ConfirmationCode must be 1 to 2048 characters without spaces")
    stored = ctx.tx.get_code(ctx.pool.pool_id, user.sub, purpose)
    if stored is None:
        raise ExpiredCodeException("Invalid code provided, please request a code again.")
    if stored.expires_at <= ctx.now():
        ctx.tx.delete_code(ctx.pool.pool_id, user.sub, purpose)
        raise ExpiredCodeException("Invalid code provided, please request a code again.", keep_writes=True)
    if not hmac.compare_digest(stored.code_hash, _hash(ctx, user, purpose, code)):
        stored.attempts += 1
        if stored.attempts >= ctx.pool.code_attempts:
            ctx.tx.delete_code(ctx.pool.pool_id, user.sub, purpose)
        else:
            ctx.tx.put_code(stored)
        raise CodeMismatchException("Invalid verification code provided, please try again.", keep_writes=True)
    ctx.tx.delete_code(ctx.pool.pool_id, user.sub, purpose)
    return stored
