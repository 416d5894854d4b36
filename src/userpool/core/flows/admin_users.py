"""What an administrator does to one user, by user name (the signed admin API, the CLI, the console).

    AdminGetUser, AdminDeleteUser
    AdminDisableUser ─▶ enabled false, every session ends now (token families revoked, web sessions gone);
                        sign-in, refresh and every access token answer NotAuthorizedException "User is disabled."
    AdminEnableUser  ─▶ signs in again (with a fresh sign-in: the ended sessions stay ended)
    AdminSetUserPassword(Permanent) ─▶ CONFIRMED; (temporary) ─▶ FORCE_CHANGE_PASSWORD, NEW_PASSWORD_REQUIRED next
    AdminResetUserPassword ─▶ RESET_REQUIRED and a reset code; ConfirmForgotPassword(code) ─▶ CONFIRMED
    AdminConfirmSignUp ─▶ UNCONFIRMED becomes CONFIRMED (post confirmation trigger)
    AdminUpdateUserAttributes / AdminDeleteUserAttributes, AdminUserGlobalSignOut,
    AdminSetUserMFAPreference, AdminListDevices / AdminGetDevice / AdminForgetDevice / AdminUpdateDeviceStatus

Every flow takes the `UserPoolId` the caller named and refuses any pool but this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from userpool.core import attributes as attrs
from userpool.core import codes, tokens, triggers
from userpool.core.context import Ctx
from userpool.core.credentials import set_password
from userpool.core.delivery import send_code
from userpool.core.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from userpool.core.flows import account, devices, mfa_settings, recovery
from userpool.core.flows.mfa_settings import FactorSetting, MfaSummary
from userpool.core.identity import find_user, save_user
from userpool.core.model import Device, User, UserStatus

_FLAGS = ("true", "false")


def check_pool(ctx: Ctx, user_pool_id: str) -> None:
    """The admin actions name their pool; this server answers for one."""
    if user_pool_id != ctx.pool.pool_id:
        raise ResourceNotFoundException(f"User pool {user_pool_id} does not exist.")


def get(ctx: Ctx, user_pool_id: str, username: str) -> User:
    """The user an administrator names: by user name, or by an email/phone that signs in."""
    check_pool(ctx, user_pool_id)
    user = find_user(ctx, username)
    if user is None:
        raise UserNotFoundException("User does not exist.")
    return user


@dataclass(frozen=True)
class UserView:
    """AdminGetUser's answer: the user and their second factors."""

    user: User
    mfa: MfaSummary


def get_user(ctx: Ctx, *, user_pool_id: str, username: str) -> UserView:
    user = get(ctx, user_pool_id, username)
    return UserView(user, mfa_settings.summary(ctx, user))


def delete_user(ctx: Ctx, *, user_pool_id: str, username: str) -> None:
    """The user and everything of theirs: login keys, codes, sessions, devices, MFA, group memberships."""
    ctx.tx.delete_user(ctx.pool.pool_id, get(ctx, user_pool_id, username).sub)


def set_enabled(ctx: Ctx, *, user_pool_id: str, username: str, enabled: bool) -> User:
    """AdminEnableUser / AdminDisableUser. Disabling ends every session at once."""
    user = get(ctx, user_pool_id, username)
    if user.enabled != enabled:
        user.enabled = enabled
        save_user(ctx, user)
    if not enabled:
        tokens.sign_out_everywhere(ctx, user)
    return user


def global_sign_out(ctx: Ctx, *, user_pool_id: str, username: str) -> None:
    """AdminUserGlobalSignOut: every token family and hosted-UI session of the user ends now."""
    tokens.sign_out_everywhere(ctx, get(ctx, user_pool_id, username))


def set_user_password(ctx: Ctx, *, user_pool_id: str, username: str, password: str, permanent: bool) -> User:
    """AdminSetUserPassword. Permanent: the user signs in with it (CONFIRMED). Temporary: the user must
    choose a new one at the next sign-in (FORCE_CHANGE_PASSWORD, expiring like an invitation's)."""
    user = get(ctx, user_pool_id, username)
    set_password(ctx, user, password)
    now = ctx.now()
    if permanent:
        user.status = UserStatus.CONFIRMED
        user.temporary_password_expires_at = None
    else:
        user.status = UserStatus.FORCE_CHANGE_PASSWORD
        validity = ctx.pool.password_policy.temporary_password_validity_days
        user.temporary_password_expires_at = now + validity * 86400
    codes.revoke(ctx, user, recovery.PURPOSE)  # a reset code sent before no longer sets a password
    save_user(ctx, user)
    return user


def reset_user_password(
    ctx: Ctx, *, user_pool_id: str, username: str, client_metadata: Mapping[str, str] | None = None
) -> User:
    """AdminResetUserPassword: the password stops working (sign-in answers PasswordResetRequiredException)
    and a reset code goes to the verified email or phone; ConfirmForgotPassword with it sets a new one."""
    user = get(ctx, user_pool_id, username)
    channel = next(
        (
            (a, user.attributes[a])
            for a in ctx.pool.recovery_mechanisms
            if user.attributes.get(a) and user.attributes.get(attrs.verified_flag(a)) == "true"
        ),
        None,
    )
    if channel is None:
        raise InvalidParameterException(
            "Cannot reset password for the user as there is no registered/verified email or phone_number"
        )
    if user.status == UserStatus.UNCONFIRMED:
        raise NotAuthorizedException("User password cannot be reset in the current state.")
    user.status = UserStatus.RESET_REQUIRED
    save_user(ctx, user)
    t = ctx.pool.templates
    send_code(
        ctx,
        user,
        purpose=recovery.PURPOSE,
        ttl=ctx.pool.reset_code_ttl,
        attribute=channel[0],
        value=channel[1],
        email=t.reset_email,
        sms=t.reset_sms,
        source="CustomMessage_ForgotPassword",
        client_metadata=client_metadata,
    )
    return user


def confirm_sign_up(
    ctx: Ctx, *, user_pool_id: str, username: str, client_metadata: Mapping[str, str] | None = None
) -> User:
    """AdminConfirmSignUp: no code; the user's addresses stay as verified (or not) as they were."""
    user = get(ctx, user_pool_id, username)
    if user.status != UserStatus.UNCONFIRMED:
        raise NotAuthorizedException(f"User cannot be confirmed. Current status is {user.status.value}")
    user.status = UserStatus.CONFIRMED
    codes.revoke(ctx, user, "sign_up")
    save_user(ctx, user)
    triggers.post_confirmation(
        ctx, source="PostConfirmation_ConfirmSignUp", client_id=None, user=user, client_metadata=client_metadata
    )
    return user


def update_user_attributes(
    ctx: Ctx,
    *,
    user_pool_id: str,
    username: str,
    attributes: dict[str, str],
    client_metadata: Mapping[str, str] | None = None,
) -> User:
    """AdminUpdateUserAttributes. Administrators may set `email_verified` / `phone_number_verified`. A new
    email or phone given without its flag becomes the (unverified) value at once, and gets a verification
    code when the pool verifies that attribute."""
    user = get(ctx, user_pool_id, username)
    values = dict(attributes)
    flags: dict[str, str] = {k: values.pop(k) for k in ("email_verified", "phone_number_verified") if k in values}
    if any(v not in _FLAGS for v in flags.values()):
        raise InvalidParameterException("email_verified and phone_number_verified must be true or false")
    if "email" in values:
        values["email"] = values["email"].strip()
    attrs.check_client_write(ctx.pool, values, existing=user.attributes)
    to_verify = []
    for name, value in values.items():
        changed = user.attributes.get(name) != value
        user.attributes[name] = value
        if name in attrs.VERIFIABLE and changed:
            user.pending_attributes.pop(name, None)
            flag = attrs.verified_flag(name)
            user.attributes[flag] = flags.get(flag, "false")
            if user.attributes[flag] == "false" and name in ctx.pool.auto_verified_attributes:
                to_verify.append((name, value))
    for flag, value in flags.items():
        attribute = flag.removesuffix("_verified")
        if attribute not in values and user.attributes.get(attribute):
            user.attributes[flag] = value
    save_user(ctx, user)
    t = ctx.pool.templates
    for name, value in to_verify:
        send_code(
            ctx,
            user,
            purpose=f"verify:{name}",
            ttl=ctx.pool.verify_code_ttl,
            attribute=name,
            value=value,
            email=t.verification_email,
            sms=t.verification_sms,
            source="CustomMessage_UpdateUserAttribute",
            client_metadata=client_metadata,
        )
    return user


def delete_user_attributes(ctx: Ctx, *, user_pool_id: str, username: str, names: list[str]) -> None:
    """AdminDeleteUserAttributes: DeleteUserAttributes' rules, without a client's write list."""
    account.remove_attributes(ctx, get(ctx, user_pool_id, username), names, None)


def set_user_mfa_preference(
    ctx: Ctx,
    *,
    user_pool_id: str,
    username: str,
    sms: FactorSetting | None = None,
    totp: FactorSetting | None = None,
    email: FactorSetting | None = None,
) -> None:
    mfa_settings.apply_preference(ctx, get(ctx, user_pool_id, username), sms=sms, totp=totp, email=email)


def list_devices(
    ctx: Ctx, *, user_pool_id: str, username: str, limit: int | None, pagination_token: str | None
) -> tuple[list[Device], str | None]:
    return devices.list_user_devices(ctx, get(ctx, user_pool_id, username), limit, pagination_token)


def get_device(ctx: Ctx, *, user_pool_id: str, username: str, device_key: str) -> Device:
    return devices.confirmed_device(ctx, get(ctx, user_pool_id, username).sub, device_key)


def forget_device(ctx: Ctx, *, user_pool_id: str, username: str, device_key: str) -> None:
    devices.forget_user_device(ctx, get(ctx, user_pool_id, username), device_key)


def update_device_status(ctx: Ctx, *, user_pool_id: str, username: str, device_key: str, status: str | None) -> None:
    devices.set_device_status(ctx, get(ctx, user_pool_id, username), device_key, status)
