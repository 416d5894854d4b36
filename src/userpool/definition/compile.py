"""From the auth definition to the settings the core runs with (core.config.PoolConfig)."""

from __future__ import annotations

from userpool.core.config import (
    CODE_PLACEHOLDER,
    AttributeSpec,
    PasswordPolicy,
    PoolConfig,
    Template,
    Templates,
)
from userpool.definition.errors import DefinitionError
from userpool.definition.models import AuthDefinition, CustomAttribute, EmailLogin, PhoneLogin


def _render(defn: AuthDefinition, option: str, fn: object) -> str:
    """Amplify's message callables take `create_code` and return the text; the code goes where they call it."""
    try:
        text = fn(lambda: CODE_PLACEHOLDER)  # type: ignore[operator]
    except Exception as exc:
        raise DefinitionError([f"{option}: calling it failed: {exc!r}"], where=defn.source) from None
    if not isinstance(text, str) or CODE_PLACEHOLDER not in text:
        raise DefinitionError(
            [f"{option}: must return a string that uses the code (call create_code() in it), got {text!r}"],
            where=defn.source,
        )
    return text


def username_attributes(defn: AuthDefinition) -> tuple[str, ...]:
    if defn.login_with.username:
        return ()
    attrs = []
    if defn.login_with.email:
        attrs.append("email")
    if defn.login_with.phone:
        attrs.append("phone_number")
    return tuple(attrs)


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
    email, phone = defn.login_with.email, defn.login_with.phone
    verification_email, verification_sms = base.verification_email, base.verification_sms
    if isinstance(email, EmailLogin):
        body = (
            _render(defn, "login_with.email.verification_email_body", email.verification_email_body)
            if email.verification_email_body
            else verification_email.body
        )
        verification_email = Template(subject=email.verification_email_subject or verification_email.subject, body=body)
    if isinstance(phone, PhoneLogin) and phone.verification_message:
        verification_sms = Template(
            body=_render(defn, "login_with.phone.verification_message", phone.verification_message)
        )
    return Templates(
        verification_email=verification_email,
        verification_sms=verification_sms,
        reset_email=base.reset_email,
        reset_sms=base.reset_sms,
    )


def pool_config(defn: AuthDefinition, *, pool_id: str, region: str, issuer: str) -> PoolConfig:
    p = defn.password_policy
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
        ),
        templates=templates(defn),
        # Amplify's default AccountRecovery: EMAIL_ONLY when email signs in, else PHONE_ONLY_WITHOUT_MFA.
        recovery_mechanisms=("email",) if defn.login_with.email else ("phone_number",),
    )
