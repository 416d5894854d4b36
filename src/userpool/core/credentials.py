"""A user's password, kept two ways: an argon2id hash (password sign-in) and an SRP verifier (SRP sign-in).

A user imported with another system's hash (bcrypt, PBKDF2, Firebase scrypt…: docs/import-export.md) has
that hash and no verifier. Their first password sign-in checks it, then replaces it with argon2id and
derives the verifier from the password just typed: from then on they are like any other user, SRP
included. Until then USER_SRP_AUTH cannot work for them (no verifier), and answers as for a wrong password.
"""

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
    _set_verifier(ctx, user, password)


def _set_verifier(ctx: Ctx, user: User, password: str) -> None:
    salt = srp.canonical_salt(ctx.random.token_bytes(16))
    user.srp_salt = salt
    user.srp_verifier = format(srp.make_verifier(ctx.pool.pool_name, user.username, password, salt), "x")


def verify_password(ctx: Ctx, user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists or has a password (the dummy work is argon2id's).
    A right password upgrades what is stored: a hash in another format or with weaker parameters becomes
    argon2id, a missing SRP verifier is derived. The caller saves the user when `credentials_changed`."""
    if user is None or user.password_hash is None:
        ctx.hasher.burn(password)
        return False
    ok = ctx.hasher.verify(user.password_hash, password)
    if not ok:
        return False
    if ctx.hasher.needs_rehash(user.password_hash):
        user.password_hash = ctx.hasher.hash(password)  # stronger parameters take effect at next sign-in
    if not user.srp_verifier or not user.srp_salt:
        _set_verifier(ctx, user, password)  # imported with a legacy hash: SRP works from now on
    return True


def credentials_snapshot(user: User | None) -> tuple[str | None, str | None]:
    """What `verify_password` may upgrade, to compare before and after and save only on a change."""
    return (None, None) if user is None else (user.password_hash, user.srp_verifier)
