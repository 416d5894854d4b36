"""Sign-up, its confirmation code, and resending the code.

SignUp ──pre_sign_up──▶ UNCONFIRMED ──ConfirmSignUp(code)──post_confirmation──▶ CONFIRMED
   │                      ▲   │
   │                      └───┘ ResendConfirmationCode (the old code stops working)
   └──pre_sign_up: autoConfirmUser──▶ CONFIRMED (no code sent; autoVerifyEmail/Phone mark those verified)

A trigger that refuses (raises, times out, answers badly) fails the action and nothing is written: no
user, no code, no message; a refused post confirmation leaves the user UNCONFIRMED and the code usable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from userpool.core import attributes as attrs
from userpool.core import codes, triggers
from userpool.core.clients import check_secret_hash, check_writable, get_client
from userpool.core.context import Ctx
from userpool.core.credentials import set_password
from userpool.core.delivery import CodeDelivery, send_code, simulated
from userpool.core.errors import (
    InvalidLambdaResponseException,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from userpool.core.identities import check_not_reserved
from userpool.core.identity import find_user, insert_user, save_user
from userpool.core.model import User, UserStatus
from userpool.core.policy import check_password, personal_values

PURPOSE = "sign_up"
# botocore's UsernameType: letters, marks, symbols, numbers, punctuation; no spaces or control characters.
_USERNAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,128}")


@dataclass(frozen=True)
class SignUpResult:
    user_sub: str
    confirmed: bool
    delivery: CodeDelivery | None


def _place_username(ctx: Ctx, username: str, values: dict[str, str]) -> None:
    """With email/phone as the user name, the name given *is* that attribute (Cognito stores it there)."""
    kinds = ctx.pool.username_attributes
    if not kinds:
        return
    if "@" in username and "email" in kinds:
        attr = "email"
    elif username.startswith("+") and "phone_number" in kinds:
        attr = "phone_number"
    else:
        wanted = " or ".join("an email" if k == "email" else "a phone number" for k in kinds)
        raise InvalidParameterException(f"Username should be {wanted}.")
    if values.get(attr, username) != username:
        raise InvalidParameterException(f"The {attr} attribute must match the username when {attr} is the username.")
    values[attr] = username


def _confirm_link(ctx: Ctx, client_id: str, user: User) -> Callable[[str], str]:
    """Cognito's verification link: GET <endpoint>/confirmUser?client_id&user_name&confirmation_code."""

    def link(code: str) -> str:
        query = urlencode({"client_id": client_id, "user_name": user.username, "confirmation_code": code})
        return f"{ctx.pool.endpoint}/confirmUser?{query}"

    return link


def _send_confirmation(
    ctx: Ctx,
    client_id: str,
    user: User,
    source: triggers.CustomMessageSource,
    client_metadata: Mapping[str, str] | None,
) -> CodeDelivery | None:
    for attribute in ctx.pool.auto_verified_attributes:
        value = user.attributes.get(attribute)
        if value:
            t = ctx.pool.templates
            link = _confirm_link(ctx, client_id, user) if ctx.pool.verification_style == "LINK" else None
            return send_code(
                ctx,
                user,
                purpose=PURPOSE,
                ttl=ctx.pool.signup_code_ttl,
                attribute=attribute,
                value=value,
                email=t.verification_email,
                sms=t.verification_sms,
                link=link,
                source=source,
                client_id=client_id,
                client_metadata=client_metadata,
            )
    return None


def _auto_verify(values: dict[str, str], answer: triggers.PreSignUp) -> None:
    """autoVerifyEmail / autoVerifyPhone: the attribute is verified without a code. Honoured with
    autoConfirmUser only (alone, the user still confirms by code, which verifies the address anyway)."""
    if not answer.auto_confirm_user:
        return
    for attribute, wanted, member in (
        ("email", answer.auto_verify_email, "autoVerifyEmail"),
        ("phone_number", answer.auto_verify_phone, "autoVerifyPhone"),
    ):
        if not wanted:
            continue
        if not values.get(attribute):
            raise InvalidLambdaResponseException(
                f"Unrecognizable lambda output: PreSignUp response.{member} is true but the user has no {attribute}"
            )
        values[attrs.verified_flag(attribute)] = "true"


def sign_up(
    ctx: Ctx,
    *,
    client_id: str,
    username: str,
    password: str | None,
    attributes: dict[str, str],
    secret_hash: str | None = None,
    validation_data: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> SignUpResult:
    """SignUp. `validation_data` and `client_metadata` go to the triggers only (never stored)."""
    client = get_client(ctx, client_id)
    check_secret_hash(client, username, secret_hash)
    if not _USERNAME.fullmatch(username):
        raise InvalidParameterException("Username must be 1 to 128 characters with no spaces or control characters.")
    if not ctx.pool.username_attributes:
        check_not_reserved(ctx.pool, username)
    if password is None:
        raise InvalidParameterException("Password is required to sign up.")
    values = dict(attributes)
    _place_username(ctx, username, values)
    if "email" in values:
        values["email"] = values["email"].strip()
    check_writable(client, attributes)  # what the client wrote, not the username it gave
    attrs.check_client_write(ctx.pool, values, existing=None)
    attrs.check_required(ctx.pool, values)
    personal = personal_values(username, values)
    check_password(ctx.pool.password_policy, password, personal)  # policy first: a weak password reaches no trigger
    sub = ctx.random.uuid4()
    name = sub if ctx.pool.username_attributes else username
    answer = triggers.pre_sign_up(
        ctx,
        client_id=client.id,
        username=name,
        attributes=values,
        validation_data=validation_data,
        client_metadata=client_metadata,
    )
    for attribute in attrs.VERIFIABLE:
        if attribute in values:
            values[attrs.verified_flag(attribute)] = "false"
    _auto_verify(values, answer)
    now = ctx.now()
    user = User(
        pool_id=ctx.pool.pool_id,
        username=name,
        sub=sub,
        status=UserStatus.CONFIRMED if answer.auto_confirm_user else UserStatus.UNCONFIRMED,
        attributes={"sub": sub, **values},
        created_at=now,
        updated_at=now,
    )
    set_password(ctx, user, password)
    insert_user(ctx, user)
    if answer.auto_confirm_user:  # confirmed by the trigger: no code to send
        return SignUpResult(user_sub=sub, confirmed=True, delivery=None)
    delivery = _send_confirmation(ctx, client.id, user, "CustomMessage_SignUp", client_metadata)
    return SignUpResult(user_sub=sub, confirmed=False, delivery=delivery)


def _unknown(ctx: Ctx, client_hides_users: bool, login: str) -> Exception:
    if client_hides_users:
        return codes.refuse_unknown(ctx, login)
    return UserNotFoundException("Username/client id combination not found.")


def confirm_sign_up(
    ctx: Ctx,
    *,
    client_id: str,
    username: str,
    code: str,
    secret_hash: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> User:
    client = get_client(ctx, client_id)
    check_secret_hash(client, username, secret_hash)
    user = find_user(ctx, username)
    if user is None:
        raise _unknown(ctx, client.prevent_user_existence_errors, username)
    if user.status != UserStatus.UNCONFIRMED:
        raise NotAuthorizedException(f"User cannot be confirmed. Current status is {user.status.value}")
    stored = codes.consume(ctx, user, PURPOSE, code)
    user.status = UserStatus.CONFIRMED
    attribute, _, value = stored.destination.partition(":")
    # The code proves the address it went to, so that address (if unchanged since) is now verified.
    if attribute in attrs.VERIFIABLE and user.attributes.get(attribute) == value:
        user.attributes[attrs.verified_flag(attribute)] = "true"
    save_user(ctx, user)
    # After the confirmation is written, in the same unit of work: a refusal rolls it back (see module doc).
    triggers.post_confirmation(
        ctx,
        source="PostConfirmation_ConfirmSignUp",
        client_id=client.id,
        user=user,
        client_metadata=client_metadata,
    )
    return user


def resend_confirmation_code(
    ctx: Ctx,
    *,
    client_id: str,
    username: str,
    secret_hash: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> CodeDelivery:
    client = get_client(ctx, client_id)
    check_secret_hash(client, username, secret_hash)
    user = find_user(ctx, username)
    if user is None:
        if client.prevent_user_existence_errors:
            return simulated(ctx, username, purpose=PURPOSE)
        raise UserNotFoundException("Username/client id combination not found.")
    if user.status != UserStatus.UNCONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    delivery = _send_confirmation(ctx, client.id, user, "CustomMessage_ResendCode", client_metadata)
    if delivery is None:
        raise InvalidParameterException(
            "Cannot send a confirmation code: the user has no email or phone number that the pool verifies."
        )
    return delivery
