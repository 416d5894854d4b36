"""AdminCreateUser: an administrator invites a user (the rest of what administrators do to users is in
admin_users.py, groups.py and listing.py).

    create_user ─pre_sign_up (PreSignUp_AdminCreateUser: raising refuses; its answer changes nothing)─▶
                   FORCE_CHANGE_PASSWORD, a temporary password (given, or generated to meet the policy)
                   sent in the invitation email/SMS unless suppressed (the custom message trigger may write it,
                   CustomMessage_AdminCreateUser) ─▶ the user signs in with it ─▶
                   NEW_PASSWORD_REQUIRED (new_password.py) ─▶ CONFIRMED
    after temporary_password_validity_days unused ─▶ the temporary password no longer signs in
    MessageAction RESEND (a FORCE_CHANGE_PASSWORD user) ─▶ a new temporary password, sent again
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Literal

from userpool.core import attributes as attrs
from userpool.core import triggers
from userpool.core.context import Ctx
from userpool.core.credentials import set_password
from userpool.core.delivery import compose
from userpool.core.errors import InvalidParameterException, UnsupportedUserStateException, UserNotFoundException
from userpool.core.flows.admin_users import check_pool
from userpool.core.identities import check_not_reserved
from userpool.core.identity import find_user, insert_user, save_user
from userpool.core.model import User, UserStatus
from userpool.core.policy import SYMBOLS, check_password

_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#$%&*+-=?@^_")
_FLAGS = ("true", "false")
GENERATED_LENGTH = 16


def generate_temporary_password(ctx: Ctx) -> str:
    """A random password that meets any policy the pool can have: every character class, at least the
    minimum length (16 characters, about 100 bits, when the policy asks for less)."""
    policy = ctx.pool.password_policy
    length = max(policy.min_length, GENERATED_LENGTH)
    chars = [c[ctx.random.below(len(c))] for c in _CLASSES]
    alphabet = "".join(_CLASSES)
    chars += [alphabet[ctx.random.below(len(alphabet))] for _ in range(length - len(chars))]
    for i in range(len(chars) - 1, 0, -1):  # Fisher-Yates, so the classes are not always first
        j = ctx.random.below(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    password = "".join(chars)
    assert any(c in SYMBOLS for c in password)
    return password


def _username(ctx: Ctx, username: str, values: dict[str, str]) -> str:
    """With email/phone as the user name, the name given must be one, becomes that attribute, and the real
    user name is the `sub` (as sign-up does)."""
    kinds = ctx.pool.username_attributes
    if not kinds:
        check_not_reserved(ctx.pool, username)
        return username
    attr = "email" if "@" in username else "phone_number" if username.startswith("+") else ""
    if attr not in kinds:
        wanted = " or ".join("an email" if k == "email" else "a phone number" for k in kinds)
        raise InvalidParameterException(f"Username should be {wanted}.")
    if values.get(attr, username) != username:
        raise InvalidParameterException(f"The {attr} attribute must match the username when {attr} is the username.")
    values[attr] = username
    return ""


def create_user(
    ctx: Ctx,
    *,
    username: str,
    attributes: dict[str, str],
    temporary_password: str | None = None,
    message_action: str | None = None,
    desired_delivery: Sequence[str] = ("EMAIL",),
    validation_data: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
    user_pool_id: str | None = None,
) -> User:
    """AdminCreateUser: a FORCE_CHANGE_PASSWORD user with a temporary password, invited unless
    `message_action` is "SUPPRESS"; "RESEND" invites an existing FORCE_CHANGE_PASSWORD user again, with a new
    temporary password. Administrators may set the `*_verified` flags (clients never can). The pre sign-up
    trigger may refuse the user; its autoConfirm/autoVerify answers are ignored, as Cognito ignores them for
    an administrator's user. `user_pool_id`, when given (the admin API), must name this pool.
    ValidationData goes to the pre sign-up trigger only."""
    if user_pool_id is not None:
        check_pool(ctx, user_pool_id)
    if message_action not in (None, "SUPPRESS", "RESEND"):
        raise InvalidParameterException("MessageAction must be RESEND, SUPPRESS or absent")
    if not desired_delivery or any(d not in ("EMAIL", "SMS") for d in desired_delivery):
        raise InvalidParameterException("DesiredDeliveryMediums must be EMAIL and/or SMS")
    if message_action == "RESEND":
        return _resend(ctx, username, temporary_password, desired_delivery, client_metadata)
    values = dict(attributes)
    flags: dict[str, str] = {k: values.pop(k) for k in ("email_verified", "phone_number_verified") if k in values}
    if any(v not in _FLAGS for v in flags.values()):
        raise InvalidParameterException("email_verified and phone_number_verified must be true or false")
    values.pop("sub", None)
    name = _username(ctx, username, values) or None
    if "email" in values:
        values["email"] = values["email"].strip()
    attrs.check_client_write(ctx.pool, values, existing=None)
    attrs.check_required(ctx.pool, values)
    password = temporary_password if temporary_password is not None else generate_temporary_password(ctx)
    check_password(ctx.pool.password_policy, password)
    sub = ctx.random.uuid4()
    triggers.pre_sign_up(
        ctx,
        source="PreSignUp_AdminCreateUser",
        client_id=None,
        username=name or sub,
        attributes=values,
        validation_data=validation_data,
        client_metadata=client_metadata,
    )
    for attribute in attrs.VERIFIABLE:
        if attribute in values:
            values[attrs.verified_flag(attribute)] = flags.get(attrs.verified_flag(attribute), "false")
    now = ctx.now()
    user = User(
        pool_id=ctx.pool.pool_id,
        username=name or sub,
        sub=sub,
        status=UserStatus.FORCE_CHANGE_PASSWORD,
        attributes={"sub": sub, **values},
        created_at=now,
        updated_at=now,
        temporary_password_expires_at=now + ctx.pool.password_policy.temporary_password_validity_days * 86400,
    )
    set_password(ctx, user, password)
    insert_user(ctx, user)
    if message_action is None:
        _invite(ctx, user, username, password, desired_delivery, client_metadata)
    return user


def _resend(
    ctx: Ctx,
    username: str,
    temporary_password: str | None,
    mediums: Sequence[str],
    client_metadata: Mapping[str, str] | None,
) -> User:
    user = find_user(ctx, username)
    if user is None:
        raise UserNotFoundException("User does not exist.")
    if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
        raise UnsupportedUserStateException(f"Resend not possible. {username} status is not FORCE_CHANGE_PASSWORD.")
    password = temporary_password if temporary_password is not None else generate_temporary_password(ctx)
    set_password(ctx, user, password)
    validity = ctx.pool.password_policy.temporary_password_validity_days
    user.temporary_password_expires_at = ctx.now() + validity * 86400
    save_user(ctx, user)
    _invite(ctx, user, username, password, mediums, client_metadata)
    return user


def _invite(
    ctx: Ctx,
    user: User,
    login: str,
    password: str,
    mediums: Sequence[str],
    client_metadata: Mapping[str, str] | None,
) -> None:
    """The invitation: the user name to sign in with and the temporary password, by each medium the user
    has an address for (Cognito's invitation_email / invitation_sms templates, or the custom message
    trigger's text)."""
    templates = ctx.pool.templates
    for medium, attribute, template in (
        ("EMAIL", "email", templates.invitation_email),
        ("SMS", "phone_number", templates.invitation_sms),
    ):
        to = user.attributes.get(attribute)
        if medium not in mediums or not to:
            continue
        channel: Literal["EMAIL", "SMS"] = "EMAIL" if medium == "EMAIL" else "SMS"
        subject, body = compose(
            ctx,
            user,
            source="CustomMessage_AdminCreateUser",
            channel=channel,
            template=template,
            code=password,
            username=login,
            client_metadata=client_metadata,
        )
        subject = subject if channel == "EMAIL" else ""
        ctx.send(to=to, channel=channel, subject=subject, body=body, purpose="invitation", code=password)
