"""From the auth definition to the settings the core runs with (core.config.PoolConfig).

Amplify's message options are callables (`lambda create_code: f"Your code is {create_code()}"`): compiling
calls each once with placeholder makers, so the text keeps Cognito's placeholders (`{####}`, `{username}`,
`{##Verify Email##}`) and a callable that never uses the code is refused here, before anything deploys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from userpool.core.config import (
    CODE_PLACEHOLDER,
    LINK_PLACEHOLDER,
    RATE_LIMIT_CLASSES,
    USERNAME_PLACEHOLDER,
    AttributeSpec,
    AuthenticatorSettings,
    FormFieldSettings,
    LockoutSettings,
    PasswordPolicy,
    PoolConfig,
    RateLimit,
    SecuritySettings,
    Template,
    Templates,
    ThemeSettings,
    UpstreamKind,
    UpstreamSettings,
)
from userpool.data.blocklist import COMMON_PASSWORDS
from userpool.definition.attributes import NAME_TO_COGNITO
from userpool.definition.errors import DefinitionError
from userpool.definition.models import (
    AttributeMapping,
    AuthDefinition,
    CustomAttribute,
    Oidc,
    PreTokenGeneration,
    SignInWithApple,
)
from userpool.definition.secrets import Secret

DEFAULT_LINK_TEXT = "Verify Email"


def _call(defn: AuthDefinition, option: str, fn: Callable[..., Any], *args: Any) -> str:
    try:
        text = fn(*args)
    except Exception as exc:
        raise DefinitionError([f"{option}: calling it failed: {exc!r}"], where=defn.source) from None
    if not isinstance(text, str):
        raise DefinitionError([f"{option}: must return a string, got {type(text).__name__}"], where=defn.source)
    return text


def _with_code(defn: AuthDefinition, option: str, fn: Callable[..., Any]) -> str:
    """`fn(create_code)`: the text must use the code."""
    text = _call(defn, option, fn, lambda: CODE_PLACEHOLDER)
    if CODE_PLACEHOLDER not in text:
        raise DefinitionError(
            [f"{option}: must return a string that uses the code (call create_code() in it), got {text!r}"],
            where=defn.source,
        )
    return text


def _with_link(defn: AuthDefinition, option: str, fn: Callable[..., Any]) -> str:
    """`fn(create_link)` for the LINK style: the text must contain the link."""

    def create_link(text: str = DEFAULT_LINK_TEXT) -> str:
        return "{##" + text + "##}"

    body = _call(defn, option, fn, create_link)
    if not LINK_PLACEHOLDER.search(body):
        raise DefinitionError(
            [f"{option}: with verification_email_style LINK it must use the link (call create_link() in it)"],
            where=defn.source,
        )
    return body


def _invitation(defn: AuthDefinition, option: str, fn: Callable[..., Any]) -> str:
    """`fn(username, code)`, Amplify's invitation callables (each argument a function returning the value)."""
    text = _call(defn, option, fn, lambda: USERNAME_PLACEHOLDER, lambda: CODE_PLACEHOLDER)
    if CODE_PLACEHOLDER not in text or USERNAME_PLACEHOLDER not in text:
        raise DefinitionError(
            [f"{option}: must use both the username and the code (call both functions in it), got {text!r}"],
            where=defn.source,
        )
    return text


def username_attributes(defn: AuthDefinition) -> tuple[str, ...]:
    if defn.login_with.username:
        return ()
    return verified_attributes(defn)


def verified_attributes(defn: AuthDefinition) -> tuple[str, ...]:
    attrs = []
    if defn.login_with.email:
        attrs.append("email")
    if defn.login_with.phone:
        attrs.append("phone_number")
    return tuple(attrs)


def attribute_specs(defn: AuthDefinition) -> dict[str, AttributeSpec]:
    specs: dict[str, AttributeSpec] = {}
    # Amplify makes the sign-in attributes required (defaults.ts IS_REQUIRED_ATTRIBUTE) unless told otherwise.
    for name in username_attributes(defn):
        specs[name] = AttributeSpec(name=name, required=True)
    for name, setting in defn.user_attributes.items():
        if isinstance(setting, CustomAttribute):
            specs[name] = AttributeSpec(
                name=name,
                data_type=setting.data_type,
                mutable=setting.mutable,
                min_length=setting.min_len,
                max_length=setting.max_len,
                min_value=setting.min,
                max_value=setting.max,
            )
        else:
            specs[name] = AttributeSpec(name=name, required=setting.required, mutable=setting.mutable)
    return specs


def templates(defn: AuthDefinition) -> Templates:
    base = Templates()
    email, phone, sms_factor = defn.login_with.email, defn.login_with.phone, defn.multifactor.sms
    verification_email, verification_sms = base.verification_email, base.verification_sms
    invitation_email, invitation_sms, mfa_sms = base.invitation_email, base.invitation_sms, base.mfa_sms
    if email is not None:
        option = "login_with.email.verification_email_body"
        if email.verification_email_style == "LINK":
            body = (
                _with_link(defn, option, email.verification_email_body)
                if email.verification_email_body
                else "Please click the link below to verify your email address. {##Verify Email##}"
            )
        else:
            body = (
                _with_code(defn, option, email.verification_email_body)
                if email.verification_email_body
                else verification_email.body
            )
        verification_email = Template(subject=email.verification_email_subject or verification_email.subject, body=body)
        invite = email.user_invitation
        if invite is not None:
            option = "login_with.email.user_invitation"
            invitation_email = Template(
                subject=invite.email_subject or invitation_email.subject,
                body=_invitation(defn, f"{option}.email_body", invite.email_body)
                if invite.email_body
                else invitation_email.body,
            )
            if invite.sms_message:
                invitation_sms = Template(body=_invitation(defn, f"{option}.sms_message", invite.sms_message))
    if phone is not None and phone.verification_message:
        verification_sms = Template(
            body=_with_code(defn, "login_with.phone.verification_message", phone.verification_message)
        )
    if sms_factor is not None and sms_factor.sms_message:
        mfa_sms = Template(body=_with_code(defn, "multifactor.sms.sms_message", sms_factor.sms_message))
    return Templates(
        verification_email=verification_email,
        verification_sms=verification_sms,
        reset_email=base.reset_email,
        reset_sms=base.reset_sms,
        invitation_email=invitation_email,
        invitation_sms=invitation_sms,
        mfa_sms=mfa_sms,
        mfa_email=base.mfa_email,
    )


_RECOVERY = {
    "EMAIL_ONLY": ("email",),
    "PHONE_ONLY_WITHOUT_MFA": ("phone_number",),
    "EMAIL_AND_PHONE_WITHOUT_MFA": ("email", "phone_number"),
    "PHONE_WITHOUT_MFA_AND_EMAIL": ("phone_number", "email"),
    "PHONE_AND_EMAIL": ("phone_number", "email"),
    "NONE": (),
}


def account_recovery(defn: AuthDefinition) -> str:
    """The setting in force: the definition's, else Amplify's rule (construct.ts getAccountRecoverySetting)."""
    if defn.account_recovery is not None:
        return defn.account_recovery
    return "EMAIL_ONLY" if defn.login_with.email else "PHONE_ONLY_WITHOUT_MFA"


def mfa_factors(defn: AuthDefinition) -> tuple[str, ...]:
    mfa = defn.multifactor
    return tuple(name for name, on in (("SMS", mfa.sms), ("TOTP", mfa.totp), ("EMAIL", mfa.email)) if on)


def first_auth_factors(defn: AuthDefinition) -> tuple[str, ...]:
    """Cognito's AllowedFirstAuthFactors, as Amplify's construct derives them from `login_with`."""
    login = defn.login_with
    optional = (
        ("EMAIL_OTP", bool(login.email and login.email.otp_login)),
        ("SMS_OTP", bool(login.phone and login.phone.otp_login)),
        ("WEB_AUTHN", bool(login.web_authn)),
    )
    return ("PASSWORD", *(name for name, on in optional if on))


def triggers(defn: AuthDefinition) -> dict[str, Callable[..., Any]]:
    return {name: fn.handler if isinstance(fn, PreTokenGeneration) else fn for name, fn in defn.triggers.items()}


def pre_token_generation_version(defn: AuthDefinition) -> Literal["V1_0", "V2_0"]:
    fn = defn.triggers.get("pre_token_generation")
    return fn.version if isinstance(fn, PreTokenGeneration) else "V1_0"


def identity_providers(defn: AuthDefinition) -> tuple[str, ...]:
    """Cognito's provider names for the definition's external providers, in a stable order."""
    found = defn.login_with.external_providers
    if found is None:
        return ()
    builtin = (
        ("Google", found.google),
        ("Facebook", found.facebook),
        ("LoginWithAmazon", found.login_with_amazon),
        ("SignInWithApple", found.sign_in_with_apple),
    )
    names = [name for name, provider in builtin if provider is not None]
    return (*names, *(o.name for o in found.oidc), *((found.saml.name,) if found.saml else ()))


def _mapping(defn: AuthDefinition, mapping: AttributeMapping, *, automatic_email: bool = True) -> dict[str, str]:
    """Cognito attribute → provider attribute. Amplify maps the provider's `email` to `email` by itself when
    email (and not phone) signs in (construct.ts), unless the definition maps it otherwise."""
    result: dict[str, str] = {}
    for name, value in mapping.items():
        if isinstance(value, dict):
            result.update(value)
        else:
            result[NAME_TO_COGNITO[name]] = value
    if automatic_email and defn.login_with.email and not defn.login_with.phone:  # not SAML: Amplify maps none
        result.setdefault("email", "email")
    return result


def upstreams(defn: AuthDefinition, secrets: Mapping[str, str]) -> dict[str, UpstreamSettings]:
    """The external providers with their secrets' values ("" for one not resolved: sign-in then says so)."""
    found = defn.login_with.external_providers
    if found is None:
        return {}

    def value(v: Secret | str) -> str:
        return secrets.get(v.name, "") if isinstance(v, Secret) else v

    builtin: tuple[tuple[str, UpstreamKind, Any], ...] = (
        ("Google", "google", found.google),
        ("Facebook", "facebook", found.facebook),
        ("LoginWithAmazon", "amazon", found.login_with_amazon),
        ("SignInWithApple", "apple", found.sign_in_with_apple),
    )
    providers: list[tuple[str, UpstreamKind, Any]] = [(n, k, p) for n, k, p in builtin if p is not None]
    providers += [(o.name, "oidc", o) for o in found.oidc]
    result: dict[str, UpstreamSettings] = {}
    if found.saml is not None:
        saml = found.saml
        result[saml.name] = UpstreamSettings(
            name=saml.name,
            kind="saml",
            attribute_mapping=_mapping(defn, saml.attribute_mapping, automatic_email=False),
            identifiers=tuple(saml.identifiers),
            saml_metadata=saml.metadata.metadata_content,
            saml_metadata_url=saml.metadata.metadata_type == "URL",
        )
    for name, kind, p in providers:
        ends = p.endpoints
        apple = p if isinstance(p, SignInWithApple) else None
        oidc = p if isinstance(p, Oidc) else None
        result[name] = UpstreamSettings(
            name=name,
            kind=kind,
            client_id=value(p.client_id),
            client_secret="" if apple else value(p.client_secret),
            scopes=tuple(p.scopes),
            attribute_mapping=_mapping(defn, p.attribute_mapping),
            issuer=p.issuer_url or "",
            authorization_endpoint=(ends and ends.authorization) or "",
            token_endpoint=(ends and ends.token) or "",
            userinfo_endpoint=(ends and ends.user_info) or "",
            jwks_uri=(ends and ends.jwks_uri) or "",
            attribute_request_method=oidc.attribute_request_method if oidc else "GET",
            identifiers=tuple(oidc.identifiers) if oidc else (),
            team_id=value(apple.team_id) if apple else "",
            key_id=value(apple.key_id) if apple else "",
            private_key=value(apple.private_key) if apple else "",
            api_version=getattr(p, "api_version", None) or "",
        )
    return result


def authenticator(defn: AuthDefinition) -> AuthenticatorSettings:
    a, theme = defn.authenticator, defn.authenticator.theme
    fields = {
        page: {
            name: FormFieldSettings(
                label=o.label,
                placeholder=o.placeholder,
                order=o.order,
                is_required=o.is_required,
                label_hidden=o.label_hidden,
                totp_issuer=o.totp_issuer,
                totp_username=o.totp_username,
            )
            for name, o in options.items()
        }
        for page, options in a.form_fields.items()
    }
    return AuthenticatorSettings(
        initial_state=a.initial_state,
        hide_sign_up=a.hide_sign_up,
        variation=a.variation,
        form_fields=fields,
        theme=ThemeSettings(
            tokens=dict(theme.tokens),
            dark_tokens=dict(theme.dark_tokens),
            logo=theme.logo or "",
            header=theme.header or "",
            footer=theme.footer or "",
            color_mode=theme.color_mode,
        ),
        language=a.language or "",
        translations={lang: dict(texts) for lang, texts in a.translations.items()},
    )


def security(defn: AuthDefinition) -> SecuritySettings:
    """The definition's `security` option as the core reads it (lockout off: `enabled=False`)."""
    s = defn.security
    lockout = (
        LockoutSettings(enabled=False)
        if s.lockout is None
        else LockoutSettings(
            max_attempts=s.lockout.max_attempts,
            base_delay=s.lockout.base_delay,
            max_delay=s.lockout.max_delay,
            reset_after=s.lockout.reset_after,
        )
    )
    limits: dict[str, RateLimit] = {}
    if s.rate_limits is not None:
        for name in RATE_LIMIT_CLASSES:
            rate = getattr(s.rate_limits, name)
            if rate is not None:
                limits[name] = RateLimit(count=rate[0], per=rate[1])
    return SecuritySettings(lockout=lockout, rate_limits=limits)


def pool_config(
    defn: AuthDefinition, *, pool_id: str, region: str, issuer: str, secrets: Mapping[str, str] | None = None
) -> PoolConfig:
    p = defn.password_policy
    recovery = account_recovery(defn)
    email = defn.login_with.email
    return PoolConfig(
        pool_id=pool_id,
        region=region,
        issuer=issuer,
        username_attributes=username_attributes(defn),
        alias_attributes=verified_attributes(defn) if defn.login_with.username else (),
        auto_verified_attributes=verified_attributes(defn),
        attributes=attribute_specs(defn),
        password_policy=PasswordPolicy(
            min_length=p.min_length,
            require_lowercase=p.require_lowercase,
            require_uppercase=p.require_uppercase,
            require_numbers=p.require_numbers,
            require_symbols=p.require_symbols,
            temporary_password_validity_days=p.temporary_password_validity_days,
            blocklist=COMMON_PASSWORDS if defn.security.password_blocklist else None,
        ),
        templates=templates(defn),
        recovery_mechanisms=_RECOVERY[recovery],
        phone_recovery_without_mfa=recovery.endswith("WITHOUT_MFA") or "WITHOUT_MFA_AND" in recovery,
        verification_style=email.verification_email_style if email is not None else "CODE",
        mfa_mode=defn.multifactor.mode,
        mfa_factors=mfa_factors(defn),
        allowed_first_auth_factors=first_auth_factors(defn),
        groups=tuple(defn.groups),
        triggers=triggers(defn),
        pre_token_generation_version=pre_token_generation_version(defn),
        device_tracking=defn.devices is not None,
        device_challenge_required_on_new_device=bool(defn.devices and defn.devices.challenge_required_on_new_device),
        device_only_remembered_on_user_prompt=bool(defn.devices and defn.devices.device_only_remembered_on_user_prompt),
        identity_providers=identity_providers(defn),
        upstreams=upstreams(defn, secrets or {}),
        resource_scopes=tuple(f"{r.identifier}/{sc.name}" for r in defn.resource_servers for sc in r.scopes),
        link_by_verified_email=bool(
            defn.login_with.external_providers and defn.login_with.external_providers.link_by_verified_email
        ),
        authenticator=authenticator(defn),
        security=security(defn),
    )
