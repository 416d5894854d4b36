"""Recovery codes (an extension; Cognito has none): ten single-use codes that stand in for any MFA code.

    user with an MFA factor on ─generate─▶ 10 codes, shown once ─one used at sign-in─▶ 9 left … ─regenerate─▶ 10 new
    last MFA factor turned off ─▶ all gone

A code is 24 characters of Crockford's base32 (120 random bits), shown as four groups of six. It is kept
only as an HMAC-SHA256 under a key derived from the master key (never in the database) and bound to the
pool and user. ASVS 6.5.2 asks for a password hash only for lookup secrets under 112 bits of entropy; at
120 bits a keyed hash is enough, and being fast it lets a sign-in compare one answer against the stored
codes without making every wrong answer cost ten argon2 runs. Typing is forgiving: case, dashes and spaces
do not matter, and i/l/o read as 1/1/0. A code is spent by one DELETE, so it works exactly once even when
two sign-ins race with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from userpool.core import tokens
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException
from userpool.core.flows import mfa_settings
from userpool.core.model import User

COUNT = 10
LENGTH = 24
GROUP = 6
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
_READS_AS = str.maketrans({"i": "1", "l": "1", "o": "0", "-": None, " ": None})


@dataclass(frozen=True)
class RecoveryCodeStatus:
    remaining: int


def normalize(code: str) -> str | None:
    """The code as stored (24 lowercase base32 characters), or None when it cannot be a recovery code."""
    text = code.strip().lower().translate(_READS_AS)
    if len(text) != LENGTH or any(c not in ALPHABET for c in text):
        return None
    return text


def looks_like(code: str) -> bool:
    return normalize(code) is not None


def _hash(ctx: Ctx, user: User, normalized: str) -> str:
    return ctx.keyed.digest("recovery-code", f"{ctx.pool.pool_id}|{user.sub}|{normalized}")


def _new_code(ctx: Ctx) -> str:
    raw = "".join(ALPHABET[ctx.random.below(len(ALPHABET))] for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def generate_for(ctx: Ctx, user: User) -> list[str]:
    """Ten new codes for the user, replacing any they had; only for a user with an MFA factor on."""
    settings = mfa_settings.load(ctx, user)
    if not mfa_settings.active(ctx, user, settings):
        raise InvalidParameterException("Recovery codes need an MFA factor: turn one on first")
    fresh = [_new_code(ctx) for _ in range(COUNT)]
    hashes = [_hash(ctx, user, normalize(code) or "") for code in fresh]
    ctx.tx.replace_recovery_codes(ctx.pool.pool_id, user.sub, hashes, ctx.now())
    return fresh


def remaining(ctx: Ctx, user: User) -> int:
    return ctx.tx.count_recovery_codes(ctx.pool.pool_id, user.sub)


def use(ctx: Ctx, user: User, code: str) -> bool:
    """Spend one of the user's codes; False if it is not one (any more)."""
    normalized = normalize(code)
    if normalized is None:
        return False
    return ctx.tx.take_recovery_code(ctx.pool.pool_id, user.sub, _hash(ctx, user, normalized))


# -- the extension actions (UserpoolExtensions.*), authorised by an access token ---------------------------


def generate(ctx: Ctx, *, access_token: str) -> list[str]:
    return generate_for(ctx, tokens.authenticate(ctx, access_token).user)


def status(ctx: Ctx, *, access_token: str) -> RecoveryCodeStatus:
    return RecoveryCodeStatus(remaining(ctx, tokens.authenticate(ctx, access_token).user))
