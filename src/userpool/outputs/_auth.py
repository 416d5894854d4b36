"""The `auth` section of amplify_outputs.json, computed from the definition as Amplify's construct and
`client_config_contributor_v1.ts` compute it from the deployed pool (amplify-surface §2.2).

Each version gets only the keys its schema has: `groups` from 1.3, `passwordless` and the `EMAIL` MFA method
from 1.4. Left out in every version, because userpool has no identity pool: `identity_pool_id` and
`unauthenticated_identities_enabled` (Amplify JS would otherwise ask Cognito Identity for guest credentials).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from userpool.definition import AuthDefinition
from userpool.definition.models import CustomAttribute
from userpool.deploy import Deployment

# WebAuthn `relying_party_id: "AUTO"`: Amplify resolves it to "localhost" in a sandbox (construct.ts
# resolveRelyingPartyId); the userpool sandbox is that case.
SANDBOX_RELYING_PARTY_ID = "localhost"

# The app client's OAuth scopes as Cognito names them (the definition uses Amplify's upper-case names).
OAUTH_SCOPE_NAMES = {
    "PHONE": "phone",
    "EMAIL": "email",
    "OPENID": "openid",
    "PROFILE": "profile",
    "COGNITO_ADMIN": "aws.cognito.signin.user.admin",
}
_MFA_CONFIGURATION = {"OFF": "NONE", "OPTIONAL": "OPTIONAL", "REQUIRED": "REQUIRED"}


def since(version: str, first: str) -> bool:
    """Whether schema `version` has a key that arrived in `first` ("1" < "1.1" < ... < "1.4")."""
    return tuple(int(p) for p in version.split(".")) >= tuple(int(p) for p in first.split("."))


def _unique(items: list[str]) -> list[str]:
    """In order, without repeats: the schema marks these arrays uniqueItems."""
    return list(dict.fromkeys(items))


def sign_in_attributes(defn: AuthDefinition) -> list[str]:
    """Cognito's UsernameAttributes: email and/or phone, or none when the user name signs in (they are aliases)."""
    login = defn.login_with
    if login.username:
        return []
    return [name for name, on in (("email", login.email), ("phone_number", login.phone)) if on]


def verified_attributes(defn: AuthDefinition) -> list[str]:
    """AutoVerifiedAttributes: what sign-up sends a code to."""
    login = defn.login_with
    return [name for name, on in (("email", login.email), ("phone_number", login.phone)) if on]


def required_standard_attributes(defn: AuthDefinition) -> list[str]:
    """Amplify makes the sign-in attributes required unless `user_attributes` says otherwise."""
    required = dict.fromkeys(sign_in_attributes(defn), True)
    for name, setting in defn.user_attributes.items():
        if not isinstance(setting, CustomAttribute):  # custom attributes are never required in Cognito
            required[name] = setting.required
    return sorted(name for name, on in required.items() if on)


def mfa_methods(defn: AuthDefinition) -> list[str]:
    """In the construct's order (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP → SMS, TOTP, EMAIL)."""
    mfa = defn.multifactor
    return [name for name, on in (("SMS", mfa.sms), ("TOTP", mfa.totp), ("EMAIL", mfa.email)) if on]


def oauth_domain(endpoint: str) -> str:
    """The sandbox serves /oauth2/* and /logout itself, so its host:port is the hosted UI's domain."""
    parts = urlsplit(endpoint)
    return parts.netloc + parts.path.rstrip("/")


def oauth(defn: AuthDefinition, endpoint: str) -> dict[str, Any] | None:
    providers = defn.login_with.external_providers
    if providers is None:
        return None
    social = (
        ("GOOGLE", providers.google),
        ("FACEBOOK", providers.facebook),
        ("LOGIN_WITH_AMAZON", providers.login_with_amazon),
        ("SIGN_IN_WITH_APPLE", providers.sign_in_with_apple),
    )
    return {
        # OIDC and SAML providers are left out, as Amplify's contributor filters them (isValidIdentityProvider).
        "identity_providers": [name for name, settings in social if settings is not None],
        "redirect_sign_in_uri": _unique(providers.callback_urls),
        "redirect_sign_out_uri": _unique(providers.logout_urls),
        "response_type": "code",  # Amplify's fixed flows: authorization code grant only
        "scopes": _unique([OAUTH_SCOPE_NAMES[s] for s in providers.scopes]),
        "domain": oauth_domain(endpoint),
    }


def passwordless(defn: AuthDefinition) -> dict[str, Any] | None:
    login = defn.login_with
    email_otp = bool(login.email and login.email.otp_login)
    sms_otp = bool(login.phone and login.phone.otp_login)
    section: dict[str, Any] = {}
    if email_otp or sms_otp or login.web_authn:  # the construct's signInPolicy exists: both flags are written
        section = {"email_otp_enabled": email_otp, "sms_otp_enabled": sms_otp}
    if login.web_authn:
        rp_id = login.web_authn.relying_party_id
        section["web_authn"] = {
            "relying_party_id": SANDBOX_RELYING_PARTY_ID if rp_id == "AUTO" else rp_id,
            "user_verification": login.web_authn.user_verification,
        }
    if defn.passwordless_options.preferred_challenge:
        section["preferred_challenge"] = defn.passwordless_options.preferred_challenge
    return section or None


def auth_section(defn: AuthDefinition, deployment: Deployment, *, endpoint: str, version: str) -> dict[str, Any]:
    """In the key order Amplify writes (a real sandbox output, amplify-surface §2.2)."""
    policy = defn.password_policy
    methods = mfa_methods(defn)
    auth: dict[str, Any] = {
        "user_pool_id": deployment.pool.id,
        "aws_region": deployment.pool.region,
        "user_pool_client_id": deployment.client.id,
        "mfa_methods": methods if since(version, "1.4") else [m for m in methods if m != "EMAIL"],
        "standard_required_attributes": required_standard_attributes(defn),
        "username_attributes": sign_in_attributes(defn) or ["username"],
        "user_verification_types": verified_attributes(defn),
    }
    if since(version, "1.3"):
        auth["groups"] = [{name: {"precedence": i}} for i, name in enumerate(defn.groups)]
    auth["mfa_configuration"] = _MFA_CONFIGURATION[defn.multifactor.mode]
    auth["password_policy"] = {
        "min_length": policy.min_length,
        "require_lowercase": policy.require_lowercase,
        "require_numbers": policy.require_numbers,
        "require_symbols": policy.require_symbols,
        "require_uppercase": policy.require_uppercase,
    }
    if (section := oauth(defn, endpoint)) is not None:
        auth["oauth"] = section
    if since(version, "1.4") and (section := passwordless(defn)) is not None:
        auth["passwordless"] = section
    return auth
