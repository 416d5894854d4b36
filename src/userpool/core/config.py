"""The pool's settings as the core reads them: compiled from the auth definition, never from a file here."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

AttributeType = Literal["String", "Number", "Boolean", "DateTime"]
CODE_PLACEHOLDER = "{####}"
USERNAME_PLACEHOLDER = "{username}"
# Cognito's link placeholder, which Amplify's create_link(text) produces: {##Verify Email##}
LINK_PLACEHOLDER = re.compile(r"\{##(.*?)##\}", re.DOTALL)


@dataclass(frozen=True)
class AttributeSpec:
    name: str  # Cognito's name: "email", "given_name", "custom:plan"
    data_type: AttributeType = "String"
    required: bool = False
    mutable: bool = True
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None

    @property
    def custom(self) -> bool:
        return self.name.startswith("custom:")


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    temporary_password_validity_days: int = 7
    # Common and breached passwords refused whatever the rules say (None: no list). An adapter loads it
    # (userpool/data/blocklist.py): the core only asks whether a password is in it.
    blocklist: Container[str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class LockoutSettings:
    """Per-user lockout after failed attempts, as Cognito: the n-th failure in a row, from `max_attempts`
    on, locks the account for `base_delay * 2^(n - max_attempts)` seconds (1, 2, 4, … by default), at most
    `max_delay`; `reset_after` seconds without a failure, or a success, forget the count."""

    enabled: bool = True
    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 900.0
    reset_after: float = 900.0


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `count` requests back to back, then one more each `per / count` seconds."""

    count: int
    per: float

    @property
    def interval(self) -> float:
        return self.per / self.count


# Per client address, for each class of action: Cognito's per-pool quotas (120 sign-in, 50 user-creation,
# 30 account-recovery requests a second) brought down to what one address may ask. Generous — an office
# behind one NAT address, or a test suite on 127.0.0.1, does not notice them — because the per-user
# lockout and resend cooldown do the fine work; these stop one address from flooding the pool.
DEFAULT_RATE_LIMITS: Mapping[str, RateLimit] = {
    "sign_in": RateLimit(600, 60.0),
    "sign_up": RateLimit(300, 60.0),
    "code_send": RateLimit(120, 60.0),
    "password_reset": RateLimit(120, 60.0),
}
RATE_LIMIT_CLASSES = tuple(DEFAULT_RATE_LIMITS)


@dataclass(frozen=True)
class SecuritySettings:
    """The definition's `security` option: lockout, per-address rate limits (by class; absent: unlimited)."""

    lockout: LockoutSettings = LockoutSettings()
    rate_limits: Mapping[str, RateLimit] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))


@dataclass(frozen=True)
class Template:
    """A message with `{####}` where the code goes (Cognito's placeholder, which Amplify's callables produce)."""

    body: str
    subject: str = ""

    def render(self, code: str, *, link: str | None = None, username: str = "") -> tuple[str, str]:
        """(subject, body). With `link`, each `{##text##}` becomes an HTML link with that text (LINK style)."""
        body = self.body.replace(CODE_PLACEHOLDER, code).replace(USERNAME_PLACEHOLDER, username)
        if link is not None:
            href = html.escape(link, quote=True)
            body = LINK_PLACEHOLDER.sub(lambda m: f'<a href="{href}">{html.escape(m.group(1))}</a>', body)
        return self.subject.replace(CODE_PLACEHOLDER, code), body


@dataclass(frozen=True)
class Templates:
    # Cognito's own defaults
    verification_email: Template = Template(
        subject="Your verification code", body=f"Your verification code is {CODE_PLACEHOLDER}."
    )
    verification_sms: Template = Template(body=f"Your verification code is {CODE_PLACEHOLDER}.")
    reset_email: Template = Template(
        subject="Your password reset code", body=f"Your password reset code is {CODE_PLACEHOLDER}."
    )
    reset_sms: Template = Template(body=f"Your password reset code is {CODE_PLACEHOLDER}.")
    # Amplify's documented defaults for AdminCreateUser's invitation
    invitation_email: Template = Template(
        subject="Your temporary password",
        body=f"Your username is {USERNAME_PLACEHOLDER} and temporary password is {CODE_PLACEHOLDER}.",
    )
    invitation_sms: Template = Template(
        body=f"Your username is {USERNAME_PLACEHOLDER} and temporary password is {CODE_PLACEHOLDER}."
    )
    mfa_sms: Template = Template(body=f"Your authentication code is {CODE_PLACEHOLDER}.")
    mfa_email: Template = Template(subject="Your sign-in code", body=f"Your sign-in code is {CODE_PLACEHOLDER}.")


@dataclass(frozen=True)
class FormFieldSettings:
    """One field's options on one hosted page (Amplify's `formFields`); None keeps the page's own."""

    label: str | None = None
    placeholder: str | None = None
    order: int | None = None
    is_required: bool | None = None
    label_hidden: bool = False
    totp_issuer: str | None = None  # setup_totp's QR: the issuer and account name the app shows
    totp_username: str | None = None


@dataclass(frozen=True)
class ThemeSettings:
    """The hosted pages' theme: token values (checked at load), logo, header and footer texts, colour mode."""

    tokens: Mapping[str, str] = field(default_factory=dict)  # token name → CSS value, for every colour mode
    dark_tokens: Mapping[str, str] = field(default_factory=dict)  # overrides in dark mode
    logo: str = ""  # an https URL or a data: URI (a file under amplify/ is read into one at load)
    header: str = ""
    footer: str = ""
    color_mode: Literal["light", "dark", "system"] = "light"


@dataclass(frozen=True)
class AuthenticatorSettings:
    """The hosted Authenticator's options (the definition's `authenticator`, like Amplify's props)."""

    initial_state: Literal["sign_in", "sign_up", "forgot_password"] = "sign_in"
    hide_sign_up: bool = False
    variation: Literal["page", "modal"] = "page"
    # page (Amplify's FormFieldComponents in snake_case: sign_in, sign_up, …) → field name → its options
    form_fields: Mapping[str, Mapping[str, FormFieldSettings]] = field(default_factory=dict)
    theme: ThemeSettings = ThemeSettings()
    language: str = ""  # the default language ("" = English), when the browser asks for none we have
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # language → id → text


UpstreamKind = Literal["google", "facebook", "amazon", "apple", "oidc", "saml"]


@dataclass(frozen=True)
class UpstreamSettings:
    """One external identity provider as the definition declares it, its secrets resolved. Empty URLs mean
    the provider's own (federation/ knows them); set, they override it (tests, enterprise deployments)."""

    name: str  # Cognito's provider name: Google, Facebook, LoginWithAmazon, SignInWithApple, or the OIDC name
    kind: UpstreamKind
    client_id: str = ""
    client_secret: str = ""  # Apple: none (the secret is a JWT made from team_id, key_id and private_key)
    scopes: tuple[str, ...] = ()  # empty: the provider's defaults
    # pool attribute (Cognito's name) → the provider's attribute: what a sign-in writes to the user
    attribute_mapping: Mapping[str, str] = field(default_factory=dict)
    issuer: str = ""
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    userinfo_endpoint: str = ""
    jwks_uri: str = ""
    attribute_request_method: Literal["GET", "POST"] = "GET"
    identifiers: tuple[str, ...] = ()  # idp_identifier values (e.g. an email domain) that pick this provider
    team_id: str = ""
    key_id: str = ""
    private_key: str = ""  # Apple's PEM (PKCS#8, P-256)
    api_version: str = ""  # Facebook's Graph API version
    saml_metadata: str = ""  # SAML: the IdP's metadata, as XML (FILE) or the URL it is fetched from (URL)
    saml_metadata_url: bool = False


@dataclass(frozen=True)
class PoolConfig:
    pool_id: str
    region: str
    issuer: str  # "<endpoint>/<pool id>": the `iss` of every token and the base of the well-known URLs
    # Attributes that serve as the user name (Amplify's email/phone login): the real user name is then the
    # UUID `sub`. Empty: users choose a user name.
    username_attributes: tuple[str, ...] = ("email",)
    alias_attributes: tuple[str, ...] = ()  # verified values that also sign in (username pools)
    auto_verified_attributes: tuple[str, ...] = ("email",)
    attributes: Mapping[str, AttributeSpec] = field(default_factory=dict)
    password_policy: PasswordPolicy = PasswordPolicy()
    templates: Templates = Templates()
    # Where recovery codes may go, in order of preference: Cognito's AccountRecoverySetting.
    recovery_mechanisms: tuple[str, ...] = ("email",)
    # "…_WITHOUT_MFA": the phone recovers the account only when it is not also the user's SMS MFA factor.
    phone_recovery_without_mfa: bool = False
    # CODE: the user types the code; LINK: the sign-up email carries a /confirmUser link instead.
    verification_style: Literal["CODE", "LINK"] = "CODE"
    mfa_mode: Literal["OFF", "OPTIONAL", "REQUIRED"] = "OFF"
    mfa_factors: tuple[str, ...] = ()  # "TOTP", "SMS", "EMAIL"
    # Cognito's SignInPolicy.AllowedFirstAuthFactors: what a choice-based (USER_AUTH) sign-in may start with.
    allowed_first_auth_factors: tuple[str, ...] = ("PASSWORD",)  # + "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"
    groups: tuple[str, ...] = ()  # from the definition; precedence is the position
    # Device tracking (Cognito's DeviceConfiguration). Off: sign-ins return no NewDeviceMetadata.
    device_tracking: bool = True
    device_challenge_required_on_new_device: bool = False
    device_only_remembered_on_user_prompt: bool = True
    # Python callables by trigger name (pre_sign_up, …), run by core.triggers through Ctx.triggers.
    triggers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # The pre token generation event the trigger takes (Cognito's PreTokenGenerationConfig.LambdaVersion):
    # V1_0 changes the ID token, V2_0 both tokens and the access token's scopes.
    pre_token_generation_version: Literal["V1_0", "V2_0"] = "V1_0"
    case_sensitive: bool = False  # Amplify sets signInCaseSensitive: false
    signup_code_ttl: int = 24 * 3600
    reset_code_ttl: int = 3600
    verify_code_ttl: int = 24 * 3600
    code_attempts: int = 5  # wrong guesses a one-time code survives before it is burned
    # The external identity providers' names (Google, Facebook, LoginWithAmazon, SignInWithApple, an OIDC
    # or SAML provider's own name), in the definition's order: the hosted sign-in page's buttons.
    identity_providers: tuple[str, ...] = ()
    upstreams: Mapping[str, UpstreamSettings] = field(default_factory=dict)  # by provider name
    resource_scopes: tuple[str, ...] = ()  # every resource server's scopes, `<identifier>/<scope>`
    # Sign an upstream identity in as the existing user with the same verified email (off: a new user).
    link_by_verified_email: bool = False
    authenticator: AuthenticatorSettings = AuthenticatorSettings()
    security: SecuritySettings = SecuritySettings()

    @property
    def endpoint(self) -> str:
        """The server's base URL (the issuer without the pool id): where hosted pages and links live."""
        return self.issuer.rsplit("/", 1)[0]

    @property
    def pool_name(self) -> str:
        """The part of the pool id after the region: SRP mixes it into every verifier."""
        return self.pool_id.split("_", 1)[1]
