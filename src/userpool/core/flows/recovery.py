"""Forgot password: a code to a verified email or phone, then a new password with that code.

ForgotPassword ──code (1 h)──▶ ConfirmForgotPassword(code, new password) ──post_confirmation──▶ CONFIRMED,
                                                                                signed out everywhere
ForgotPassword for a name the pool lacks ─user_migration (UserMigration_ForgotPassword)─▶ a RESET_REQUIRED
    user from the other directory, then the code as above (`migration.py`; declined: the unknown-user answer)

A post confirmation trigger that refuses fails the reset and rolls it back: the old password and the
sessions stay, and the code can be used again.
"""

from __future__ import annotations

from collections.abc import Mapping

from userpool.core import codes, lockout, tokens, triggers
from userpool.core.clients import check_secret_hash, get_client
from userpool.core.context import Ctx
from userpool.core.credentials import set_password
from userpool.core.delivery import CodeDelivery, send_code, simulated
from userpool.core.errors import (
    CodeMismatchException,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from userpool.core.flows import migration
from userpool.core.identity import find_user, save_user
from userpool.core.model import User, UserStatus
from userpool.core.policy import check_password, personal_values

PURPOSE = "forgot_password"


def _recovery_channel(ctx: Ctx, user: User) -> tuple[str, str] | None:
    for attribute in ctx.pool.recovery_mechanisms:
        value = user.attributes.get(attribute)
        if value and user.attributes.get(f"{attribute}_verified") == "true":
            return attribute, value
    return None


def forgot_password(
    ctx: Ctx,
    *,
    client_id: str,
    username: str,
    secret_hash: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> CodeDelivery:
    client = get_client(ctx, client_id)
    hide = client.prevent_user_existence_errors
    check_secret_hash(client, username, secret_hash)  # over the name as given: before it is looked up
    user = find_user(ctx, username)
    if user is None and triggers.configured(ctx, "user_migration"):
        user = migration.migrate(
            ctx,
            client,
            source="UserMigration_ForgotPassword",
            login=username,
            password=None,
            client_metadata=client_metadata,
        )
    if user is None:
        if hide:
            return simulated(ctx, username, purpose=PURPOSE)
        raise UserNotFoundException("Username/client id combination not found.")
    # A federated user has no password here: their provider's sign-in is theirs to recover.
    external = user.status is UserStatus.EXTERNAL_PROVIDER
    channel = None if external else _recovery_channel(ctx, user)
    if not user.enabled or channel is None:
        if hide:  # Cognito answers as if a code went out, so the answer reveals nothing about the account
            return simulated(ctx, username, purpose=PURPOSE, user=user)
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        if external:
            raise NotAuthorizedException("The user signs in with an external identity provider: no password to reset.")
        raise InvalidParameterException(
            "Cannot reset password for the user as there is no registered/verified email or phone_number"
        )
    attribute, value = channel
    t = ctx.pool.templates
    return send_code(
        ctx,
        user,
        purpose=PURPOSE,
        ttl=ctx.pool.reset_code_ttl,
        attribute=attribute,
        value=value,
        email=t.reset_email,
        sms=t.reset_sms,
        source="CustomMessage_ForgotPassword",
        client_id=client.id,
        client_metadata=client_metadata,
    )


def _refuse_disabled(ctx: Ctx, user: User) -> CodeMismatchException:
    """A disabled user's code, when the client hides which users exist: refused and counted as a wrong one."""
    lockout.check(ctx, lockout.CODES, user.sub)
    lockout.failed(ctx, lockout.CODES, user.sub)
    return CodeMismatchException("Invalid verification code provided, please try again.", keep_writes=True)


def confirm_forgot_password(
    ctx: Ctx,
    *,
    client_id: str,
    username: str,
    code: str,
    password: str,
    secret_hash: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> None:
    client = get_client(ctx, client_id)
    check_secret_hash(client, username, secret_hash)  # over the name as given: before it is looked up
    user = find_user(ctx, username)
    if user is None or not user.enabled:
        if client.prevent_user_existence_errors:
            raise codes.refuse_unknown(ctx, username) if user is None else _refuse_disabled(ctx, user)
        if user is None:
            raise UserNotFoundException("Username/client id combination not found.")
        raise NotAuthorizedException("User is disabled.")
    policy, personal = ctx.pool.password_policy, personal_values(user.username, user.attributes)
    check_password(policy, password, personal)  # before the code is spent
    codes.consume(ctx, user, PURPOSE, code)
    set_password(ctx, user, password)
    lockout.succeeded(ctx, lockout.SIGN_IN, user.sub)  # whoever guessed at the old password lost the race
    if user.status in (UserStatus.RESET_REQUIRED, UserStatus.FORCE_CHANGE_PASSWORD):
        user.status = UserStatus.CONFIRMED
    save_user(ctx, user)
    # A reset is what people do when they think someone else has their password: end every session.
    tokens.sign_out_everywhere(ctx, user)
    triggers.post_confirmation(
        ctx,
        source="PostConfirmation_ConfirmForgotPassword",
        client_id=client.id,
        user=user,
        client_metadata=client_metadata,
    )
