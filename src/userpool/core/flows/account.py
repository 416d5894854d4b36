"""What a signed-in user does with their access token: read, change and delete attributes, verify an
email or phone, list their sign-in factors, change the password, sign out everywhere, delete the account.

Changing a verified email or phone keeps the old value active until the new one is verified with a code
(Cognito's "keep original attribute value active when an update is pending", which Amplify turns on).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

from userpool.core import attributes as attrs
from userpool.core import codes, lockout, tokens, triggers
from userpool.core.clients import check_client_secret, check_writable, get_client, readable
from userpool.core.context import Ctx
from userpool.core.credentials import set_password, verify_password
from userpool.core.delivery import CodeDelivery, send_code
from userpool.core.errors import (
    CodeMismatchException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
)
from userpool.core.flows import mfa_settings
from userpool.core.flows.mfa_settings import MfaSummary
from userpool.core.identity import save_user
from userpool.core.model import Client, User


def get_user(ctx: Ctx, *, access_token: str) -> User:
    """The user as the calling client may see them (its ReadAttributes)."""
    caller = tokens.authenticate(ctx, access_token)
    return replace(caller.user, attributes=readable(caller.client, caller.user.attributes))


def get_user_with_mfa(ctx: Ctx, *, access_token: str) -> tuple[User, MfaSummary]:
    """GetUser: the user as the client may see them, and their second factors (as fetchMFAPreference reads them)."""
    caller = tokens.authenticate(ctx, access_token)
    user = replace(caller.user, attributes=readable(caller.client, caller.user.attributes))
    return user, mfa_settings.summary(ctx, caller.user)


def send_verification(
    ctx: Ctx,
    user: User,
    attribute: str,
    value: str,
    *,
    source: triggers.CustomMessageSource = "CustomMessage_VerifyUserAttribute",
    client_id: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> CodeDelivery:
    """Send a code that verifies `attribute` = `value` (purpose verify:<attribute>, the pool's verification
    templates); the API's actions and the hosted verifyUser page both send through here."""
    t = ctx.pool.templates
    return send_code(
        ctx,
        user,
        purpose=f"verify:{attribute}",
        ttl=ctx.pool.verify_code_ttl,
        attribute=attribute,
        value=value,
        email=t.verification_email,
        sms=t.verification_sms,
        source=source,
        client_id=client_id,
        client_metadata=client_metadata,
    )


def update_user_attributes(
    ctx: Ctx, *, access_token: str, attributes: dict[str, str], client_metadata: Mapping[str, str] | None = None
) -> list[CodeDelivery]:
    """UpdateUserAttributes; a changed email or phone the pool verifies gets a code
    (CustomMessage_UpdateUserAttribute). `client_metadata` goes to the custom message trigger."""
    caller = tokens.authenticate(ctx, access_token)
    user = caller.user
    check_writable(caller.client, attributes)
    values = dict(attributes)
    if "email" in values:
        values["email"] = values["email"].strip()
    attrs.check_client_write(ctx.pool, values, existing=user.attributes)
    deliveries: list[CodeDelivery] = []
    for name, value in values.items():
        if name not in attrs.VERIFIABLE:
            user.attributes[name] = value
            continue
        if user.attributes.get(name) == value:
            user.pending_attributes.pop(name, None)  # changed back: nothing left to verify
            continue
        verified = user.attributes.get(attrs.verified_flag(name)) == "true"
        if verified and name in ctx.pool.auto_verified_attributes:
            user.pending_attributes[name] = value  # the verified value keeps working meanwhile
        else:
            user.attributes[name] = value
            user.attributes[attrs.verified_flag(name)] = "false"
        if name in ctx.pool.auto_verified_attributes:
            sent = send_verification(
                ctx,
                user,
                name,
                value,
                source="CustomMessage_UpdateUserAttribute",
                client_id=caller.client.id,
                client_metadata=client_metadata,
            )
            deliveries.append(sent)
    save_user(ctx, user)
    return deliveries


def _value_to_verify(user: User, attribute: str) -> str:
    if attribute not in attrs.VERIFIABLE:
        raise InvalidParameterException(f"Only email and phone_number can be verified, not {attribute}")
    value = user.pending_attributes.get(attribute) or user.attributes.get(attribute)
    if not value:
        raise InvalidParameterException(f"The user has no {attribute} to verify")
    return value


def get_user_attribute_verification_code(
    ctx: Ctx, *, access_token: str, attribute: str, client_metadata: Mapping[str, str] | None = None
) -> CodeDelivery:
    caller = tokens.authenticate(ctx, access_token)
    user = caller.user
    return send_verification(
        ctx,
        user,
        attribute,
        _value_to_verify(user, attribute),
        source="CustomMessage_VerifyUserAttribute",
        client_id=caller.client.id,
        client_metadata=client_metadata,
    )


def verify_user_attribute(ctx: Ctx, *, access_token: str, attribute: str, code: str) -> None:
    user = tokens.authenticate(ctx, access_token).user
    value = _value_to_verify(user, attribute)
    confirm_verification(ctx, user, attribute, value, code)


def confirm_verification(ctx: Ctx, user: User, attribute: str, value: str, code: str) -> None:
    """Spend a verify:<attribute> code; right and still for `value`, the attribute becomes `value`, verified."""
    stored = codes.consume(ctx, user, f"verify:{attribute}", code)
    if stored.destination != f"{attribute}:{value}":  # the code went to an address since replaced
        raise CodeMismatchException("Invalid verification code provided, please try again.", keep_writes=True)
    user.attributes[attribute] = value
    user.attributes[attrs.verified_flag(attribute)] = "true"
    user.pending_attributes.pop(attribute, None)
    save_user(ctx, user)


def _keep_a_sign_in(ctx: Ctx, user: User, names: Collection[str]) -> None:
    """With email/phone as the username the user signs in with those alone (their real user name is a
    UUID nobody types), so deleting the last one they have would lock them out: refused, as the schema
    refuses deleting a required attribute."""
    kinds = ctx.pool.username_attributes
    if any(user.attributes.get(kind) and kind not in names for kind in kinds):
        return
    for name in names:
        if name in kinds and user.attributes.get(name):
            raise InvalidParameterException(f"User {name} cannot be deleted, since username attribute is {name}")


def delete_user_attributes(ctx: Ctx, *, access_token: str, names: list[str]) -> None:
    """DeleteUserAttributes. All or nothing: unknown names, read-only ones (`sub`, the `*_verified` flags),
    required ones, ones the client may not write, and the user's last sign-in attribute are refused before
    anything changes. Deleting an email or phone number deletes its verified flag, any new value waiting
    for its code, and that code. A name the user has no value for is no error (as in Cognito)."""
    caller = tokens.authenticate(ctx, access_token)
    remove_attributes(ctx, caller.user, names, caller.client)


def remove_attributes(ctx: Ctx, user: User, names: list[str], client: Client | None) -> None:
    """DeleteUserAttributes (`client`: the caller's, whose write list applies) and
    AdminDeleteUserAttributes (None: an administrator, bound by the schema only)."""
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in attrs.READ_ONLY and attrs.spec_for(ctx.pool, n) is None]
    if unknown:
        detail = ", ".join(f"Type for attribute {{{n}}} could not be determined" for n in unknown)
        raise InvalidParameterException(f"Attributes did not conform to the schema: {detail}")
    attrs.check_removable(ctx.pool, wanted)
    if client is not None:
        check_writable(client, wanted)
    _keep_a_sign_in(ctx, user, wanted)
    present = [n for n in wanted if n in user.attributes or n in user.pending_attributes]
    for name in present:
        user.attributes.pop(name, None)
        if name in attrs.VERIFIABLE:
            user.attributes.pop(attrs.verified_flag(name), None)
            user.pending_attributes.pop(name, None)
            codes.revoke(ctx, user, f"verify:{name}")
    if present:
        save_user(ctx, user)


@dataclass(frozen=True)
class AuthFactors:
    username: str
    configured: tuple[str, ...]  # ConfiguredUserAuthFactors: PASSWORD, EMAIL_OTP, SMS_OTP
    mfa: MfaSummary = field(default_factory=lambda: MfaSummary(preferred=None, enabled=(), sms_option=False))


_OTP_FACTORS = (("EMAIL_OTP", "email"), ("SMS_OTP", "phone_number"))


def get_user_auth_factors(ctx: Ctx, *, access_token: str) -> AuthFactors:
    """GetUserAuthFactors: what this user can choose from in a choice-based (USER_AUTH) sign-in — their
    password, and a one-time code to a verified email or phone when the pool allows that factor — and their
    MFA settings, as GetUser reports them."""
    user = tokens.authenticate(ctx, access_token).user
    factors = ["PASSWORD"] if user.password_hash else []
    for factor, attribute in _OTP_FACTORS:
        verified = user.attributes.get(attrs.verified_flag(attribute)) == "true"
        if factor in ctx.pool.allowed_first_auth_factors and user.attributes.get(attribute) and verified:
            factors.append(factor)
    return AuthFactors(username=user.username, configured=tuple(factors), mfa=mfa_settings.summary(ctx, user))


def change_password(ctx: Ctx, *, access_token: str, previous: str | None, proposed: str) -> None:
    user = tokens.authenticate(ctx, access_token).user
    lockout.check(ctx, lockout.SIGN_IN, user.sub, LimitExceededException(lockout.CODES_LOCKED_MESSAGE))
    if previous is None or not verify_password(ctx, user, previous):
        lockout.failed(ctx, lockout.SIGN_IN, user.sub)
        raise NotAuthorizedException("Incorrect username or password.", keep_writes=True)
    set_password(ctx, user, proposed)
    save_user(ctx, user)


def global_sign_out(ctx: Ctx, *, access_token: str) -> None:
    tokens.sign_out_everywhere(ctx, tokens.authenticate(ctx, access_token).user)


def revoke_token(ctx: Ctx, *, client_id: str, token: str, client_secret: str | None) -> None:
    client = get_client(ctx, client_id)
    check_client_secret(client, client_secret)
    tokens.revoke_refresh_token(ctx, client, token)


def delete_user(ctx: Ctx, *, access_token: str) -> None:
    user = tokens.authenticate(ctx, access_token).user
    ctx.tx.delete_user(ctx.pool.pool_id, user.sub)
