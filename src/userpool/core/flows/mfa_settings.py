"""A user's second factors: what they may turn on, what they turned on, and how GetUser shows it.

Names: the pool and the store say SMS, TOTP, EMAIL; the wire says SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP
(GetUser's UserMFASettingList and PreferredMfaSetting, the challenges, MFAS_CAN_CHOOSE / MFAS_CAN_SETUP).

Cognito's rules, as SetUserMFAPreference applies them: a setting left out changes nothing; `Enabled: false`
turns a factor off (and un-prefers it); `PreferredMfa: true` makes it the one asked for (only one may be);
`PreferredMfa: false` un-prefers it. A factor can be turned on only when the pool offers it and the user can
use it: SMS needs a verified phone_number, EMAIL a verified email, TOTP an authenticator app verified with
VerifySoftwareToken. With several on and none preferred, sign-in asks which (SELECT_MFA_TYPE).
Recovery codes only stand in for a factor: when the last factor goes off, they go too.
"""

from __future__ import annotations

from dataclasses import dataclass

from userpool.core import tokens
from userpool.core.attributes import verified_flag
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException
from userpool.core.model import MFA_FACTORS, MfaSettings, User

WIRE = {"SMS": "SMS_MFA", "TOTP": "SOFTWARE_TOKEN_MFA", "EMAIL": "EMAIL_OTP"}
FROM_WIRE = {wire: factor for factor, wire in WIRE.items()} | {"EMAIL_MFA": "EMAIL"}  # Cognito's doc spelling
ATTRIBUTE = {"SMS": "phone_number", "EMAIL": "email"}
_CANNOT = {
    "SMS": "SMS MFA needs a verified phone_number",
    "EMAIL": "Email MFA needs a verified email",
    "TOTP": "Software token MFA needs an authenticator app set up with AssociateSoftwareToken and VerifySoftwareToken",
}


@dataclass(frozen=True)
class FactorSetting:
    """One of SetUserMFAPreference's SMSMfaSettings / SoftwareTokenMfaSettings / EmailMfaSettings."""

    enabled: bool | None = None
    preferred: bool | None = None


@dataclass(frozen=True)
class MfaSummary:
    """What GetUser and GetUserAuthFactors report, in wire names."""

    preferred: str | None
    enabled: tuple[str, ...]
    sms_option: bool  # the legacy MFAOptions entry {DeliveryMedium: SMS, AttributeName: phone_number}


def load(ctx: Ctx, user: User) -> MfaSettings:
    found = ctx.tx.get_mfa(ctx.pool.pool_id, user.sub)
    if found is not None:
        return found
    now = ctx.now()
    return MfaSettings(pool_id=ctx.pool.pool_id, user_sub=user.sub, created_at=now, updated_at=now)


def save(ctx: Ctx, settings: MfaSettings) -> None:
    settings.updated_at = ctx.now()
    ctx.tx.put_mfa(settings)
    if not settings.enabled():
        ctx.tx.replace_recovery_codes(settings.pool_id, settings.user_sub, (), ctx.now())


def can_use(ctx: Ctx, user: User, settings: MfaSettings, factor: str) -> bool:
    """The pool offers `factor` and this user has what it needs (a verified address, a verified app)."""
    if factor not in ctx.pool.mfa_factors or ctx.pool.mfa_mode == "OFF":
        return False
    if factor == "TOTP":
        return settings.totp_secret is not None
    attribute = ATTRIBUTE[factor]
    return bool(user.attributes.get(attribute)) and user.attributes.get(verified_flag(attribute)) == "true"


def active(ctx: Ctx, user: User, settings: MfaSettings) -> tuple[str, ...]:
    """The factors a sign-in asks for: turned on and still usable (a removed phone number cannot get a code)."""
    return tuple(f for f in settings.enabled() if can_use(ctx, user, settings, f))


def summary(ctx: Ctx, user: User) -> MfaSummary:
    settings = load(ctx, user)
    on = tuple(f for f in settings.enabled() if f in ctx.pool.mfa_factors)
    preferred = settings.preferred if settings.preferred in on else None
    return MfaSummary(
        preferred=WIRE[preferred] if preferred else None,
        enabled=tuple(WIRE[f] for f in on),
        sms_option="SMS" in on,
    )


def turn_on(ctx: Ctx, user: User, settings: MfaSettings, factor: str, *, preferred: bool | None = None) -> None:
    """Turn `factor` on (refused when the pool lacks it or the user cannot use it), preferring it if asked."""
    if ctx.pool.mfa_mode == "OFF" or factor not in ctx.pool.mfa_factors:
        raise InvalidParameterException(f"{WIRE[factor]} is not enabled for this user pool")
    if not can_use(ctx, user, settings, factor):
        raise InvalidParameterException(_CANNOT[factor])
    setattr(settings, factor.lower(), True)
    if preferred:
        settings.preferred = factor
    elif preferred is False and settings.preferred == factor:
        settings.preferred = None


def turn_off(settings: MfaSettings, factor: str) -> None:
    setattr(settings, factor.lower(), False)
    if settings.preferred == factor:
        settings.preferred = None


def set_user_mfa_preference(
    ctx: Ctx,
    *,
    access_token: str,
    sms: FactorSetting | None = None,
    totp: FactorSetting | None = None,
    email: FactorSetting | None = None,
) -> None:
    """SetUserMFAPreference: all of it applies, or none of it."""
    apply_preference(ctx, tokens.authenticate(ctx, access_token).user, sms=sms, totp=totp, email=email)


def apply_preference(
    ctx: Ctx,
    user: User,
    *,
    sms: FactorSetting | None = None,
    totp: FactorSetting | None = None,
    email: FactorSetting | None = None,
) -> None:
    """SetUserMFAPreference and AdminSetUserMFAPreference, for `user`."""
    given = {"SMS": sms, "TOTP": totp, "EMAIL": email}
    preferring = [f for f, s in given.items() if s is not None and s.preferred]
    if len(preferring) > 1:
        raise InvalidParameterException("Only one MFA method can be set as preferred")
    for factor, setting in given.items():
        if setting is not None and setting.preferred and setting.enabled is False:
            raise InvalidParameterException(f"{WIRE[factor]} cannot be preferred while it is being disabled")
    settings = load(ctx, user)
    for factor in MFA_FACTORS:
        setting = given[factor]
        if setting is None:
            continue
        if setting.enabled is False:
            turn_off(settings, factor)
        elif setting.enabled or setting.preferred is not None:
            if not getattr(settings, factor.lower()) or setting.preferred:
                turn_on(ctx, user, settings, factor, preferred=setting.preferred)
            elif setting.preferred is False and settings.preferred == factor:
                settings.preferred = None
    save(ctx, settings)


def set_user_settings(ctx: Ctx, *, access_token: str, mfa_options: list[tuple[str, str]]) -> None:
    """SetUserSettings, Cognito's legacy SMS switch: [{DeliveryMedium: SMS, AttributeName: phone_number}]
    turns SMS MFA on, [] turns it off."""
    user = tokens.authenticate(ctx, access_token).user
    for medium, attribute in mfa_options:
        if (medium, attribute) != ("SMS", "phone_number"):
            raise InvalidParameterException(
                "MFAOptions can only turn on SMS MFA: DeliveryMedium SMS, AttributeName phone_number"
            )
    settings = load(ctx, user)
    if mfa_options:
        turn_on(ctx, user, settings, "SMS")
    else:
        turn_off(settings, "SMS")
    save(ctx, settings)
