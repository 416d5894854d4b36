"""Finding users by what they sign in with, and writing them back with their login keys."""

from __future__ import annotations

from userpool.core.attributes import normalize_email
from userpool.core.context import Ctx
from userpool.core.errors import (
    AliasExistsException,
    ConcurrentModificationException,
    StoreConflict,
    UsernameExistsException,
)
from userpool.core.identities import identity_keys
from userpool.core.model import User, UserStatus


def _key(ctx: Ctx, kind: str, value: str) -> str:
    if kind == "email":
        return f"email:{normalize_email(value)}"
    if kind == "username" and not ctx.pool.case_sensitive:
        return f"username:{value.lower()}"
    return f"{kind}:{value}"


def login_keys(ctx: Ctx, user: User) -> frozenset[str]:
    """Username always; email/phone when they are the username (any status) or a verified alias; each linked
    external identity. A federated user's email signs nobody in (Cognito: it belongs to the provider), so
    it claims no key and never collides with a native user's."""
    keys = {_key(ctx, "username", user.username)} | identity_keys(user)
    if user.status is UserStatus.EXTERNAL_PROVIDER:
        return frozenset(keys)
    for attr in ctx.pool.username_attributes:
        if user.attributes.get(attr):
            keys.add(_key(ctx, attr, user.attributes[attr]))
    for attr in ctx.pool.alias_attributes:
        if user.attributes.get(attr) and user.attributes.get(f"{attr}_verified") == "true":
            keys.add(_key(ctx, attr, user.attributes[attr]))
    return frozenset(keys)


def find_user(ctx: Ctx, login: str) -> User | None:
    """The user a sign-in name refers to: the user name, or an email/phone that signs in."""
    user = _lookup(ctx, login)
    if user is not None:
        ctx.found_named_user = True
    return user


def _lookup(ctx: Ctx, login: str) -> User | None:
    if not login:
        return None
    user = ctx.tx.find_user(ctx.pool.pool_id, _key(ctx, "username", login))
    if user is not None:
        return user
    kinds = set(ctx.pool.username_attributes) | set(ctx.pool.alias_attributes)
    if "@" in login and "email" in kinds:
        return ctx.tx.find_user(ctx.pool.pool_id, _key(ctx, "email", login))
    if login.startswith("+") and "phone_number" in kinds:
        return ctx.tx.find_user(ctx.pool.pool_id, _key(ctx, "phone_number", login))
    return None


def insert_user(ctx: Ctx, user: User) -> None:
    user.login_keys = login_keys(ctx, user)
    try:
        ctx.tx.insert_user(user)
    except StoreConflict:
        if "email" in ctx.pool.username_attributes and "@" in user.attributes.get("email", ""):
            raise UsernameExistsException("An account with the given email already exists.") from None
        if "phone_number" in ctx.pool.username_attributes and user.attributes.get("phone_number"):
            raise UsernameExistsException("An account with the given phone_number already exists.") from None
        raise UsernameExistsException("User already exists") from None


def save_user(ctx: Ctx, user: User) -> None:
    """Write a changed user; a login key now held by someone else is AliasExistsException."""
    old_keys = user.login_keys
    user.login_keys = login_keys(ctx, user)
    user.updated_at = ctx.now()
    try:
        ctx.tx.update_user(user)
    except StoreConflict:
        for key in user.login_keys - old_keys:
            other = ctx.tx.find_user(ctx.pool.pool_id, key)
            if other is not None and other.sub != user.sub:
                kind = key.split(":", 1)[0]
                raise AliasExistsException(f"An account with the given {kind} already exists.") from None
        raise ConcurrentModificationException(
            "The user was changed by another request at the same time; retry the request."
        ) from None
