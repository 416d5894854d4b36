"""The hosted Authenticator's verifyUser / confirmVerifyUser: right after a sign-in, a user none of whose
contact addresses is verified is offered to verify one (account recovery needs it), as Amplify's
Authenticator does; they may skip.

    signed in (web session) ─ no verified email or phone, and one the pool verifies is set?
        no  ─▶ the app
        yes ─▶ /verifyUser ─pick one─▶ code sent (verify:<attribute>) ─▶ /confirmVerifyUser ─right code─▶ the app
                   └─ skip ─▶ the app                                        └─ skip ─▶ the app

The same code and rules as GetUserAttributeVerificationCode / VerifyUserAttribute (CustomMessage_
VerifyUserAttribute, the verify code lifetime, 5 wrong guesses), for the browser's web session instead of
an access token. Amplify's rule for asking (`shouldVerifyAttribute`): neither email nor phone is verified.
"""

from __future__ import annotations

from userpool.core.attributes import mask, verified_flag
from userpool.core.config import PoolConfig
from userpool.core.context import Ctx
from userpool.core.delivery import CodeDelivery
from userpool.core.errors import InvalidParameterException, NotAuthorizedException
from userpool.core.flows import account
from userpool.core.flows.hosted import signed_in_user
from userpool.core.model import User

CONTACTS = ("email", "phone_number")


def unverified(config: PoolConfig, user: User) -> tuple[str, ...]:
    """The contact attributes to offer: set, not verified, and verified by this pool."""
    return tuple(
        name
        for name in CONTACTS
        if name in config.auto_verified_attributes
        and (user.pending_attributes.get(name) or user.attributes.get(name))
        and user.attributes.get(verified_flag(name)) != "true"
    )


def needs_verification(config: PoolConfig, user: User) -> bool:
    if any(user.attributes.get(verified_flag(name)) == "true" for name in CONTACTS):
        return False
    return bool(unverified(config, user))


def choices(ctx: Ctx, *, session_token: str | None) -> list[tuple[str, str]]:
    """(attribute, masked value) the signed-in browser's user may verify; NotAuthorizedException if signed out."""
    user = _user(ctx, session_token)
    return [(name, mask(_value(user, name))) for name in unverified(ctx.pool, user)]


def _user(ctx: Ctx, session_token: str | None) -> User:
    user = signed_in_user(ctx, session_token)
    if user is None:
        raise NotAuthorizedException("The web session has ended.")
    return user


def _value(user: User, attribute: str) -> str:
    return user.pending_attributes.get(attribute) or user.attributes.get(attribute, "")


def _checked(ctx: Ctx, user: User, attribute: str) -> str:
    if attribute not in unverified(ctx.pool, user):
        raise InvalidParameterException(f"{attribute} is not an attribute this user can verify here")
    return _value(user, attribute)


def send(ctx: Ctx, *, session_token: str | None, attribute: str) -> CodeDelivery:
    """Send a verification code to the chosen address (counted against the code cooldown as any code)."""
    user = _user(ctx, session_token)
    return account.send_verification(ctx, user, attribute, _checked(ctx, user, attribute))


def confirm(ctx: Ctx, *, session_token: str | None, attribute: str, code: str) -> None:
    user = _user(ctx, session_token)
    account.confirm_verification(ctx, user, attribute, _checked(ctx, user, attribute), code)
