"""A user's password, kept two ways: an argon2id hash (password sign-in) and an SRP verifier (SRP sign-in)."""

from __future__ import annotations

from userpool.core import srp
from userpool.core.context import Ctx
from userpool.core.model import User
from userpool.core.policy import check_password, personal_values


def set_password(ctx: Ctx, user: User, password: str, *, check_policy: bool = True) -> None:
    """Check the policy, then replace both forms. The verifier binds the pool name and the real user name,
    as Cognito's clients compute x = H(salt | H(poolName | userIdForSrp | ":" | password)).
    `check_policy=False` only for a password another directory vouched for (user migration, which Cognito
    lets through whatever the pool's policy)."""
    if check_policy:
        check_password(ctx.pool.password_policy, password, personal_values(user.username, user.attributes))
    user.password_hash = ctx.hasher.hash(password)
    salt = srp.canonical_salt(ctx.random.token_bytes(16))
    user.srp_salt = salt
    user.srp_verifier = format(srp.make_verifier(ctx.pool.pool_name, user.username, password, salt), "x")


def verify_password(ctx: Ctx, user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists or has a password."""
    if user is None or user.password_hash is None:
        ctx.hasher.burn(password)
        return False
    ok = ctx.hasher.verify(user.password_hash, password)
    if ok and ctx.hasher.needs_rehash(user.password_hash):
        user.password_hash = ctx.hasher.hash(password)  # stronger parameters take effect at next sign-in
    return ok
