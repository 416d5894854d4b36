"""Lazy user migration: a sign-in or a password reset for a name the pool does not have asks the
user_migration trigger, which may bring the user in from another directory.

    password sign-in (USER_PASSWORD_AUTH, the hosted sign-in page), unknown name
        ─▶ user_migration(UserMigration_Authentication, with the password typed)
    ForgotPassword, unknown name ─▶ user_migration(UserMigration_ForgotPassword, no password)
        declined (raised, or no userAttributes) ─▶ nothing created; the usual answer for an unknown user
        userAttributes ─▶ the user is created: with the password typed (argon2id + SRP verifier; the pool's
            password policy is not applied, as in Cognito), CONFIRMED or RESET_REQUIRED as the trigger says
            (always RESET_REQUIRED from ForgotPassword: there is no password yet) ─▶ the sign-in goes on as
            any other (pre authentication, NEW_PASSWORD_REQUIRED, MFA, devices), or the reset code goes out

USER_SRP_AUTH and CUSTOM_AUTH never migrate: the server never sees the password (Cognito's advice is the
same: migrate with USER_PASSWORD_AUTH, then switch to SRP). The response's `userAttributes` are checked
like an administrator's (the `*_verified` flags may be set); with email or phone as the user name, the name
typed is that attribute. `forceAliasCreation` moves a verified email or phone alias from the user who holds
it (their flag goes to false); without it the alias conflict is AliasExistsException. `enableSMSMFA` turns
SMS MFA on. `messageAction` and `desiredDeliveryMediums` are checked and carried, but no welcome message
is sent: Cognito's would be the invitation, which carries a temporary password a migrated user does not have.
"""

from __future__ import annotations

from collections.abc import Mapping

from userpool.core import attributes as attrs
from userpool.core import triggers
from userpool.core.context import Ctx
from userpool.core.credentials import set_password
from userpool.core.errors import (
    AliasExistsException,
    InvalidLambdaResponseException,
    InvalidParameterException,
)
from userpool.core.flows import mfa_settings
from userpool.core.identity import insert_user, login_keys, save_user
from userpool.core.model import Client, User, UserStatus

_FLAGS = ("true", "false")
_BAD_OUTPUT = "Unrecognizable lambda output: UserMigration response.userAttributes"


def migrate(
    ctx: Ctx,
    client: Client,
    *,
    source: triggers.UserMigrationSource,
    login: str,
    password: str | None,
    client_metadata: Mapping[str, str] | None = None,
) -> User | None:
    """The user the trigger brings in for `login` (created in this unit of work), or None when there is no
    trigger or it declined. Cognito hands InitiateAuth's ClientMetadata to the trigger as `validationData`,
    and ForgotPassword's as `clientMetadata`."""
    at_sign_in = source == "UserMigration_Authentication"
    answer = triggers.user_migration(
        ctx,
        source=source,
        client_id=client.id,
        username=login,
        password=password if at_sign_in else None,
        validation_data=client_metadata if at_sign_in else None,
        client_metadata=None if at_sign_in else client_metadata,
    )
    if answer is None:
        return None
    user = _new_user(ctx, login, answer)
    if password is not None and at_sign_in:
        set_password(ctx, user, password, check_policy=False)
    _claim_aliases(ctx, user, force=answer.force_alias_creation)
    insert_user(ctx, user)
    if answer.enable_sms_mfa:
        settings = mfa_settings.load(ctx, user)
        try:
            mfa_settings.turn_on(ctx, user, settings, "SMS")
        except InvalidParameterException as refused:
            raise InvalidLambdaResponseException(f"{_BAD_OUTPUT}: enableSMSMFA: {refused.message}") from None
        mfa_settings.save(ctx, settings)
    return user


def _new_user(ctx: Ctx, login: str, answer: triggers.UserMigration) -> User:
    values = {k: v for k, v in answer.user_attributes.items() if k != "sub" and not k.startswith("cognito:")}
    flags: dict[str, str] = {k: values.pop(k) for k in ("email_verified", "phone_number_verified") if k in values}
    if any(v not in _FLAGS for v in flags.values()):
        raise InvalidLambdaResponseException(f"{_BAD_OUTPUT}: the *_verified flags must be true or false")
    name = _place_login(ctx, login, values)
    if "email" in values:
        values["email"] = values["email"].strip()
    try:
        attrs.check_client_write(ctx.pool, values, existing=None)
        attrs.check_required(ctx.pool, values)
    except InvalidParameterException as refused:
        raise InvalidLambdaResponseException(f"{_BAD_OUTPUT}: {refused.message}") from None
    for attribute in attrs.VERIFIABLE:
        if attribute in values:
            flag = attrs.verified_flag(attribute)
            values[flag] = flags.get(flag, "false")
    sub = ctx.random.uuid4()
    now = ctx.now()
    final = UserStatus.CONFIRMED if answer.final_user_status == "CONFIRMED" else UserStatus.RESET_REQUIRED
    return User(
        pool_id=ctx.pool.pool_id,
        username=name or sub,
        sub=sub,
        status=final,
        attributes={"sub": sub, **values},
        created_at=now,
        updated_at=now,
    )


def _place_login(ctx: Ctx, login: str, values: dict[str, str]) -> str:
    """The new user's name: what was typed, or — with email or phone as the user name — "" (the `sub` will
    be), the typed email or phone then being that attribute."""
    kinds = ctx.pool.username_attributes
    if not kinds:
        return login
    attribute = "email" if "@" in login else "phone_number" if login.startswith("+") else ""
    if attribute not in kinds:
        raise InvalidLambdaResponseException(f"{_BAD_OUTPUT}: the name signed in with is not an email or phone")
    if values.get(attribute, login) != login:
        raise InvalidLambdaResponseException(f"{_BAD_OUTPUT}: {attribute} must be the name signed in with")
    values[attribute] = login
    return ""


def _claim_aliases(ctx: Ctx, user: User, *, force: bool) -> None:
    """A verified email or phone alias another user signs in with: moved to the new user with
    forceAliasCreation (the other user's flag goes to false), refused without."""
    for key in sorted(k for k in login_keys(ctx, user) if not k.startswith("username:")):
        other = ctx.tx.find_user(ctx.pool.pool_id, key)
        if other is None:
            continue
        attribute = key.split(":", 1)[0]
        if not force or attribute not in ctx.pool.alias_attributes:
            raise AliasExistsException(f"An account with the given {attribute} already exists.")
        other.attributes[attrs.verified_flag(attribute)] = "false"
        save_user(ctx, other)
