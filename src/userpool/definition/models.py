"""The auth definition's schema: every option of Amplify's `defineAuth`, checked when the definition loads.

Each model mirrors one option group of `defineAuth` (amplify-surface §1), in snake_case. `True` for a
login method or factor means "on, with the defaults"; a dict gives settings. Cross-option rules (MFA needs
a factor, phone sign-in with MFA needs SMS, ...) are checked on `AuthDefinition` itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from userpool.definition.attributes import NAME_TO_COGNITO, STANDARD_OPTION_NAMES
from userpool.definition.authenticator import Authenticator, check_fields
from userpool.definition.naming import snake
from userpool.definition.secrets import Secret

_CUSTOM_NAME = re.compile(r"custom:[A-Za-z0-9_]{1,20}")
_GROUP_NAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,128}")

MessageCallable = Callable[..., str]
TRIGGERS = (
    "create_auth_challenge",
    "custom_message",
    "define_auth_challenge",
    "post_authentication",
    "post_confirmation",
    "pre_authentication",
    "pre_sign_up",
    "pre_token_generation",
    "user_migration",
    "verify_auth_challenge_response",
)
ACCOUNT_RECOVERY = (
    "EMAIL_AND_PHONE_WITHOUT_MFA",
    "PHONE_WITHOUT_MFA_AND_EMAIL",
    "EMAIL_ONLY",
    "PHONE_ONLY_WITHOUT_MFA",
    "PHONE_AND_EMAIL",
    "NONE",
)
OAuthScope = Literal["PHONE", "EMAIL", "OPENID", "PROFILE", "COGNITO_ADMIN"]
OAUTH_SCOPES: tuple[OAuthScope, ...] = ("PHONE", "EMAIL", "OPENID", "PROFILE", "COGNITO_ADMIN")


def _secret_only(value: Any) -> Any:
    if not isinstance(value, Secret):
        raise ValueError("must be secret('NAME'): credentials never go in the definition itself")
    return value


def _secret_or_text(value: Any) -> Any:
    if not isinstance(value, Secret | str) or value == "":
        raise ValueError("must be a non-empty string or secret('NAME')")
    return value


SecretValue = Annotated[Secret, BeforeValidator(_secret_only)]
SecretOrText = Annotated[Secret | str, BeforeValidator(_secret_or_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _on(value: Any) -> Any:
    """`True` → the option's defaults, `False`/`None` → off: one model type, no union noise in errors."""
    if value is True:
        return {}
    if value is False:
        return None
    return value


def _callable(value: Any, what: str) -> Any:
    if value is not None and not callable(value):
        raise ValueError(f"must be a function ({what}), got {type(value).__name__}")
    return value


# -- login_with ------------------------------------------------------------------------------------------


class UserInvitation(_Model):
    """The message AdminCreateUser sends: `{username}` and the temporary password go where the callables put them."""

    email_subject: str | None = Field(default=None, min_length=1, max_length=140)
    email_body: MessageCallable | None = None  # (username, code) -> str
    sms_message: MessageCallable | None = None  # (username, code) -> str

    @field_validator("email_body", "sms_message", mode="before")
    @classmethod
    def _fn(cls, v: Any) -> Any:
        return _callable(v, "taking username and code, returning the text")


class EmailLogin(_Model):
    verification_email_style: Literal["CODE", "LINK"] = "CODE"
    verification_email_subject: str | None = Field(default=None, min_length=1, max_length=140)
    # CODE: (create_code) -> str; LINK: (create_link) -> str, where create_link(text="Verify Email")
    verification_email_body: MessageCallable | None = None
    user_invitation: UserInvitation | None = None
    otp_login: bool = False  # passwordless sign-in with a code by email

    @field_validator("verification_email_body", mode="before")
    @classmethod
    def _fn(cls, v: Any) -> Any:
        return _callable(v, "taking create_code or create_link, returning the text")


class PhoneLogin(_Model):
    verification_message: MessageCallable | None = None  # (create_code) -> str
    otp_login: bool = False  # passwordless sign-in with a code by SMS

    @field_validator("verification_message", mode="before")
    @classmethod
    def _fn(cls, v: Any) -> Any:
        return _callable(v, "taking create_code, returning the text")


class WebAuthn(_Model):
    relying_party_id: str = Field(default="AUTO", min_length=1, max_length=253)  # AUTO: localhost in the sandbox
    user_verification: Literal["required", "preferred"] = "preferred"


AttributeMapping = dict[str, str | dict[str, str]]  # {"email": "email", "custom": {"custom:team": "team"}}
_URL = r"^https?://\S+$"


class OidcEndpoints(_Model):
    """A provider's URLs, each overriding the one discovery (or the provider's documentation) gives."""

    authorization: str | None = Field(default=None, pattern=_URL)
    token: str | None = Field(default=None, pattern=_URL)
    user_info: str | None = Field(default=None, pattern=_URL)
    jwks_uri: str | None = Field(default=None, pattern=_URL)


class _Provider(_Model):
    scopes: list[str] = Field(default_factory=list)
    attribute_mapping: AttributeMapping = Field(default_factory=dict)
    # Overrides of the provider's own URLs: for tests against a local provider, or an enterprise's own.
    issuer_url: str | None = Field(default=None, pattern=_URL)
    endpoints: OidcEndpoints | None = None

    @field_validator("attribute_mapping")
    @classmethod
    def _mapping(cls, mapping: AttributeMapping) -> AttributeMapping:
        for name, value in mapping.items():
            if name == "custom":
                if not isinstance(value, dict) or not all(_CUSTOM_NAME.fullmatch(k) for k in value):
                    raise ValueError('custom: a dict of {"custom:<name>": "<provider attribute>"}')
            elif name not in NAME_TO_COGNITO:
                raise ValueError(f"unknown attribute {name!r} (use Amplify's names: email, given_name, ...)")
            elif not isinstance(value, str) or not value:
                raise ValueError(f"{name}: the provider's attribute name, a non-empty string")
        return mapping


class Google(_Provider):
    client_id: SecretOrText
    client_secret: SecretValue


class Facebook(_Provider):
    client_id: SecretOrText
    client_secret: SecretValue
    api_version: str | None = Field(default=None, pattern=r"^v\d+\.\d+$")


class LoginWithAmazon(_Provider):
    client_id: SecretOrText
    client_secret: SecretValue


class SignInWithApple(_Provider):
    client_id: SecretOrText
    team_id: SecretOrText
    key_id: SecretOrText
    private_key: SecretValue


class Oidc(_Provider):
    name: str = Field(min_length=1, max_length=32, pattern=r"^[^_\s][\w.@+-]*$")
    client_id: SecretOrText
    client_secret: SecretValue
    issuer_url: str = Field(pattern=_URL)
    identifiers: list[str] = Field(default_factory=list)
    attribute_request_method: Literal["GET", "POST"] = "GET"


class SamlMetadata(_Model):
    metadata_content: str = Field(min_length=1)
    metadata_type: Literal["URL", "FILE"]


class Saml(_Model):
    name: str = Field(min_length=1, max_length=32, pattern=r"^[^_\s][\w.@+-]*$")
    metadata: SamlMetadata
    identifiers: list[str] = Field(default_factory=list)
    idp_signout: bool = False
    attribute_mapping: AttributeMapping = Field(default_factory=dict)


class ExternalProviders(_Model):
    google: Google | None = None
    facebook: Facebook | None = None
    login_with_amazon: LoginWithAmazon | None = None
    sign_in_with_apple: SignInWithApple | None = None
    oidc: list[Oidc] = Field(default_factory=list)
    saml: Saml | None = None
    scopes: list[OAuthScope] = Field(default_factory=lambda: list(OAUTH_SCOPES))
    callback_urls: list[str] = Field(min_length=1)
    logout_urls: list[str] = Field(min_length=1)
    # A first sign-in whose provider-verified email is a native user's verified email signs in as that
    # user (its identity linked) instead of creating a new one. Off by default: see docs/federation.md.
    link_by_verified_email: bool = False

    @field_validator("callback_urls", "logout_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", url) or "#" in url:
                raise ValueError(f"{url!r} is not an absolute URL without a fragment (https://app.example.com/)")
            if url.startswith("http://") and not re.match(r"^http://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/|$)", url):
                raise ValueError(f"{url!r}: plain http is allowed only for localhost; use https")
        return urls

    @model_validator(mode="after")
    def _unique_names(self) -> ExternalProviders:
        names = [o.name for o in self.oidc] + ([self.saml.name] if self.saml else [])
        taken = {"Google", "Facebook", "LoginWithAmazon", "SignInWithApple", "Cognito"}
        for name in names:
            if name in taken:
                raise ValueError(f"provider name {name!r} is used twice (or is a built-in provider's name)")
            taken.add(name)
        return self


class LoginWith(_Model):
    email: EmailLogin | None = None
    phone: PhoneLogin | None = None
    username: bool = False
    web_authn: WebAuthn | None = None
    external_providers: ExternalProviders | None = None

    @field_validator("email", "phone", "web_authn", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return _on(value)

    @model_validator(mode="after")
    def _something_signs_in(self) -> LoginWith:
        if not (self.email or self.phone or self.username):
            raise ValueError("at least one of email, phone or username must be enabled")
        return self


# -- multifactor -----------------------------------------------------------------------------------------


class SmsFactor(_Model):
    sms_message: MessageCallable | None = None  # (create_code) -> str

    @field_validator("sms_message", mode="before")
    @classmethod
    def _fn(cls, v: Any) -> Any:
        return _callable(v, "taking create_code, returning the text")


class MultiFactor(_Model):
    mode: Literal["OFF", "OPTIONAL", "REQUIRED"]
    totp: bool = False
    sms: SmsFactor | None = None
    email: bool = False

    @field_validator("sms", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return _on(value)

    @model_validator(mode="after")
    def _factors(self) -> MultiFactor:
        if self.mode == "OFF" and (self.totp or self.sms or self.email):
            raise ValueError("mode OFF takes no factors; use OPTIONAL or REQUIRED to turn totp, sms or email on")
        if self.mode != "OFF" and not (self.totp or self.sms or self.email):
            raise ValueError(f"mode {self.mode} needs at least one factor: totp, sms or email")
        return self


# -- user_attributes -------------------------------------------------------------------------------------


class StandardAttribute(_Model):
    required: bool = False
    mutable: bool = True


class CustomAttribute(_Model):
    data_type: Literal["String", "Number", "Boolean", "DateTime"]
    mutable: bool = True
    min_len: int | None = Field(default=None, ge=0, le=2048)
    max_len: int | None = Field(default=None, ge=1, le=2048)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> CustomAttribute:
        if (self.min_len is not None or self.max_len is not None) and self.data_type != "String":
            raise ValueError("min_len/max_len apply only to data_type String")
        if (self.min is not None or self.max is not None) and self.data_type != "Number":
            raise ValueError("min/max apply only to data_type Number")
        if self.min_len is not None and self.max_len is not None and self.min_len > self.max_len:
            raise ValueError("min_len must not exceed max_len")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


_COMPOSITION = ("require_lowercase", "require_uppercase", "require_numbers", "require_symbols")
NIST_SINGLE_FACTOR_MIN = 15  # SP 800-63B rev 4 §3.1.1.2: 15 for a password alone, 8 when MFA is required
NIST_WITH_MFA_MIN = 8


class PasswordPolicy(_Model):
    """Cognito's policy, or `"nist"` (SP 800-63B: length over composition, no character-class rules, the
    common-password blocklist on; 15 characters, or 8 when multifactor is REQUIRED)."""

    preset: Literal["nist"] | None = None
    min_length: int = Field(default=8, ge=6, le=99)
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    temporary_password_validity_days: int = Field(default=7, ge=1, le=365)

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, value: Any) -> Any:
        if value == "nist":
            value = {"preset": "nist"}
        if isinstance(value, dict) and value.get("preset") == "nist":
            rules = [name for name in _COMPOSITION if value.get(name)]
            if rules:
                raise ValueError(
                    f"the nist preset has no composition rules: remove {', '.join(rules)} (NIST SP 800-63B "
                    "asks for length and a blocklist instead)"
                )
            value = {**{name: False for name in _COMPOSITION}, "min_length": NIST_SINGLE_FACTOR_MIN, **value}
        return value


_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day|s|m|h|d)\s*")
_UNIT_SECONDS = {"second": 1, "s": 1, "minute": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400}


def _rate(value: Any) -> Any:
    """ "30/minute", "5/10s", "1000/hour" → (count, seconds); None or False: unlimited."""
    if value is None or value is False:
        return None
    if isinstance(value, str):
        match = _RATE.fullmatch(value.lower())
        if match:
            count, span = int(match.group(1)), int(match.group(2) or "1") * _UNIT_SECONDS[match.group(3)]
            if count < 1 or span < 1:
                raise ValueError("a rate limit needs at least 1 request in at least 1 second")
            return (count, float(span))
    raise ValueError(
        f"must be a rate like '30/minute', '5/10s' or '1000/hour' (requests / period), or None for no limit; "
        f"got {value!r}"
    )


Rate = Annotated[tuple[int, float] | None, BeforeValidator(_rate)]


class Lockout(_Model):
    """Per-user lockout after failed attempts (Cognito's: 5, then 1 s doubling to 15 minutes)."""

    max_attempts: int = Field(default=5, ge=1, le=100)  # NIST SP 800-63B: at most 100 failures in a row
    base_delay: float = Field(default=1.0, gt=0, le=3600)
    max_delay: float = Field(default=900.0, ge=1, le=86400)
    reset_after: float = Field(default=900.0, ge=1, le=86400)

    @model_validator(mode="after")
    def _delays(self) -> Lockout:
        if self.base_delay > self.max_delay:
            raise ValueError("base_delay must not exceed max_delay")
        return self


class RateLimits(_Model):
    """Requests per client address, per class of action; None for a class: no limit."""

    sign_in: Rate = (600, 60.0)  # the defaults: core.config.DEFAULT_RATE_LIMITS
    sign_up: Rate = (300, 60.0)
    code_send: Rate = (120, 60.0)
    password_reset: Rate = (120, 60.0)


class Security(_Model):
    """The defences (docs/security-defences.md): lockout, per-address rate limits, the password blocklist."""

    lockout: Lockout | None = Lockout()  # None (or False): no lockout
    rate_limits: RateLimits | None = RateLimits()  # None (or False): no per-address limits
    password_blocklist: bool = True  # refuse the 100,000 most common breached passwords

    @field_validator("lockout", "rate_limits", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return _on(value)


# -- senders ---------------------------------------------------------------------------------------------


class EmailSender(_Model):
    """Email over SMTP. Amplify's SES options (`from_email`, `from_name`, `reply_to`) keep their names."""

    from_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    from_name: str | None = None
    reply_to: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    host: str = Field(default="localhost", min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    username: SecretOrText | None = None
    password: SecretValue | None = None
    timeout: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _credentials(self) -> EmailSender:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together (the password as secret('NAME'))")
        return self


class SmsWebhook(_Model):
    """SMS through your provider: userpool POSTs {"to", "body", "purpose"} as JSON to this URL."""

    webhook: str = Field(pattern=r"^https?://\S+$")
    headers: dict[str, SecretOrText] = Field(default_factory=dict)
    timeout: float = Field(default=10.0, gt=0, le=120)


class SmsCallable(_Model):
    """SMS through Python: `send(to, body)` (the message's purpose and code are keyword arguments)."""

    send: Callable[..., Any]


class PreTokenGeneration(_Model):
    """The pre token generation trigger with its event version (Cognito's PreTokenGenerationConfig):
    `V1_0` changes the ID token, `V2_0` both tokens and the access token's scopes."""

    handler: Callable[..., Any]
    version: Literal["V1_0", "V2_0"] = "V1_0"


class Senders(_Model):
    email: EmailSender | None = None
    sms: SmsWebhook | SmsCallable | None = None

    @field_validator("sms", mode="before")
    @classmethod
    def _sms(cls, value: Any) -> Any:
        if callable(value):
            return SmsCallable(send=value)
        if isinstance(value, dict) and "webhook" in value:
            return SmsWebhook.model_validate(value)
        if value is None or isinstance(value, SmsWebhook | SmsCallable):
            return value
        raise ValueError("must be a function send(to, body) or a webhook: {'webhook': 'https://…', 'headers': {…}}")


# -- the definition --------------------------------------------------------------------------------------


# -- app clients and devices ----------------------------------------------------------------------------

AuthFlow = Literal[
    "USER_SRP_AUTH", "USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH", "CUSTOM_AUTH", "USER_AUTH", "ADMIN_USER_PASSWORD_AUTH"
]
DEFAULT_FLOWS: tuple[AuthFlow, ...] = ("USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "CUSTOM_AUTH")
OAuthFlow = Literal["code", "client_credentials"]
CODE_FLOW: tuple[OAuthFlow, ...] = ("code",)
# a resource server scope: <identifier>/<name>, Cognito's character classes
_CUSTOM_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+/[\x21\x23-\x2e\x30-\x5b\x5d-\x7e]{1,256}$")


class ResourceServerScope(_Model):
    name: str = Field(pattern=r"^[\x21\x23-\x2e\x30-\x5b\x5d-\x7e]{1,256}$")  # Cognito's ResourceServerScopeNameType
    description: str = Field(default="", max_length=256)


class ResourceServer(_Model):
    """An API the pool issues access tokens for (Cognito's resource server): its scopes are
    `<identifier>/<scope>`, granted to app clients by `oauth_scopes` (client_credentials or the code flow)."""

    identifier: str = Field(min_length=1, max_length=256, pattern=r"^[\x21\x23-\x5b\x5d-\x7e]+$")
    name: str = Field(min_length=1, max_length=256)
    scopes: list[ResourceServerScope] = Field(default_factory=list, max_length=100)


_CLIENT_NAME = re.compile(r"^[\w\s+=,.@-]{1,128}$")  # Cognito's ClientNameType


class RefreshTokenRotation(_Model):
    enabled: bool = True
    retry_grace_period_seconds: int = Field(default=0, ge=0, le=60)


class AppClient(_Model):
    """An app client besides the default one: a backend with a secret, a second app with other flows, ..."""

    name: str = Field(pattern=_CLIENT_NAME.pattern)
    generate_secret: bool = False
    auth_flows: list[AuthFlow] = Field(default_factory=lambda: list(DEFAULT_FLOWS))
    access_token_validity: int = Field(default=3600, ge=300, le=86400)  # seconds: 5 minutes to 1 day
    id_token_validity: int = Field(default=3600, ge=300, le=86400)
    refresh_token_validity: int = Field(default=30 * 86400, ge=3600, le=3650 * 86400)  # 1 hour to 10 years
    auth_session_validity: int = Field(default=180, ge=180, le=900)  # 3 to 15 minutes
    refresh_token_rotation: RefreshTokenRotation | None = None
    prevent_user_existence_errors: bool = True
    read_attributes: list[str] | None = None  # None: every attribute
    write_attributes: list[str] | None = None  # None: every attribute a client may write
    callback_urls: list[str] = Field(default_factory=list)
    logout_urls: list[str] = Field(default_factory=list)
    # Amplify's OAuth scope names, and resource servers' custom scopes (`<identifier>/<scope>`)
    oauth_scopes: list[str] = Field(default_factory=lambda: [str(s) for s in OAUTH_SCOPES])
    # "code": the hosted UI's authorization code flow; "client_credentials": a backend gets access tokens
    # for the custom scopes with its own secret (Cognito allows one or the other, not both)
    oauth_flows: list[OAuthFlow] = Field(default_factory=lambda: list(CODE_FLOW), min_length=1)

    @field_validator("oauth_scopes")
    @classmethod
    def _scopes(cls, scopes: list[str]) -> list[str]:
        for scope in scopes:
            if scope not in OAUTH_SCOPES and not _CUSTOM_SCOPE.fullmatch(scope):
                raise ValueError(
                    f"{scope!r} is neither one of {', '.join(OAUTH_SCOPES)} nor a resource server's "
                    "<identifier>/<scope>"
                )
        return scopes

    @model_validator(mode="after")
    def _client_credentials(self) -> AppClient:
        if "client_credentials" in self.oauth_flows:
            if len(self.oauth_flows) > 1:
                raise ValueError("oauth_flows: client_credentials cannot be combined with code (as in Cognito)")
            if not self.generate_secret:
                raise ValueError("oauth_flows client_credentials needs generate_secret: True (the client proves it)")
            if not self.oauth_scopes or any(s in OAUTH_SCOPES for s in self.oauth_scopes):
                raise ValueError(
                    "oauth_scopes: a client_credentials client may have only resource servers' custom scopes"
                )
        return self

    @field_validator("refresh_token_rotation", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return _on(value)

    @field_validator("read_attributes", "write_attributes")
    @classmethod
    def _attribute_names(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        result = []
        for name in names:
            cognito = name if name.startswith("custom:") else NAME_TO_COGNITO.get(name)
            if cognito is None and name not in ("email_verified", "phone_number_verified"):
                raise ValueError(f"unknown attribute {name!r}")
            result.append(cognito or name)
        return result

    @field_validator("callback_urls", "logout_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        return ExternalProviders._urls(urls)

    @model_validator(mode="after")
    def _rotation_flow(self) -> AppClient:
        if self.refresh_token_rotation and "REFRESH_TOKEN_AUTH" in self.auth_flows:
            raise ValueError(
                "refresh_token_rotation: a rotating client refreshes with GetTokensFromRefreshToken; remove "
                "REFRESH_TOKEN_AUTH from auth_flows (Cognito refuses the two together)"
            )
        return self


class Devices(_Model):
    """Cognito's device tracking. Remembered devices are what Amplify's rememberDevice() needs."""

    challenge_required_on_new_device: bool = False
    device_only_remembered_on_user_prompt: bool = True


class PasswordlessOptions(_Model):
    preferred_challenge: Literal["EMAIL_OTP", "SMS_OTP", "PASSWORD", "WEB_AUTHN"] | None = None


class AuthDefinition(_Model):
    name: str = Field(default="amplifyAuth", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    login_with: LoginWith
    user_attributes: dict[str, StandardAttribute | CustomAttribute] = Field(default_factory=dict)
    multifactor: MultiFactor = MultiFactor(mode="OFF")
    account_recovery: (
        Literal[
            "EMAIL_AND_PHONE_WITHOUT_MFA",
            "PHONE_WITHOUT_MFA_AND_EMAIL",
            "EMAIL_ONLY",
            "PHONE_ONLY_WITHOUT_MFA",
            "PHONE_AND_EMAIL",
            "NONE",
        ]
        | None
    ) = None  # None: Amplify's rule (EMAIL_ONLY with email sign-in, else PHONE_ONLY_WITHOUT_MFA)
    groups: list[str] = Field(default_factory=list, max_length=10000)
    password_policy: PasswordPolicy = PasswordPolicy()
    security: Security = Security()
    passwordless_options: PasswordlessOptions = PasswordlessOptions()
    senders: Senders = Senders()
    # name → function; pre_token_generation may also be {"handler": function, "version": "V2_0"}
    triggers: dict[str, Callable[..., Any] | PreTokenGeneration] = Field(default_factory=dict)
    clients: list[AppClient] = Field(default_factory=list)  # besides the default app client
    resource_servers: list[ResourceServer] = Field(default_factory=list, max_length=25)
    devices: Devices | None = Devices()  # None (or False): no device tracking
    authenticator: Authenticator = Authenticator()  # the hosted pages (definition/authenticator.py)
    # Amplify's `access` grants its Lambda functions IAM permissions on the pool. userpool runs no functions:
    # the option is recognised so a ported definition gets a clear answer instead of "unknown option".
    access: Any = None
    # Where define_auth was called ("amplify/auth/resource.py:3"), for messages; not part of the settings.
    source: str = Field(default="", exclude=True)

    @field_validator("user_attributes", mode="before")
    @classmethod
    def _attribute_names(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        result: dict[str, Any] = {}
        for key, settings in value.items():
            if not isinstance(key, str):
                raise ValueError(f"attribute names are strings, got {key!r}")
            if key.startswith("custom:"):
                if not _CUSTOM_NAME.fullmatch(key):
                    raise ValueError(f"{key!r}: custom attribute names are custom:<1-20 letters, digits or _>")
                if not isinstance(settings, dict) or "data_type" not in settings:
                    raise ValueError(f"{key!r}: a custom attribute needs data_type (String, Number, Boolean, DateTime)")
                result[key] = CustomAttribute.model_validate(settings)
                continue
            cognito = NAME_TO_COGNITO.get(key)
            if cognito is None:
                raise ValueError(
                    f"unknown attribute {key!r}; standard attributes are {', '.join(STANDARD_OPTION_NAMES)}, "
                    "and custom ones are named custom:<name>"
                )
            if isinstance(settings, dict) and "data_type" in settings:
                raise ValueError(f"{key!r} is a standard attribute; only custom:<name> attributes take data_type")
            if cognito in result:
                raise ValueError(f"{key!r} names the attribute {cognito!r} twice")
            result[cognito] = StandardAttribute.model_validate(settings)
        return result

    @field_validator("groups")
    @classmethod
    def _groups(cls, groups: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in groups:
            if not _GROUP_NAME.fullmatch(name):
                raise ValueError(f"group name {name!r} must be 1-128 characters without spaces")
            if name.lower() in seen:
                raise ValueError(f"group {name!r} is listed twice")
            seen.add(name.lower())
        return groups

    @field_validator("triggers", mode="before")
    @classmethod
    def _trigger_names(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        result = {}
        for key, fn in value.items():
            name = snake(key) if isinstance(key, str) else key
            if name not in TRIGGERS:
                raise ValueError(f"unknown trigger {key!r}; the triggers are {', '.join(TRIGGERS)}")
            if name == "pre_token_generation" and isinstance(fn, dict):
                result[name] = PreTokenGeneration.model_validate(fn)
                continue
            if not callable(fn):
                raise ValueError(
                    f"trigger {key!r} must be a function taking the Cognito event, got {type(fn).__name__}"
                )
            result[name] = fn
        return result

    @field_validator("devices", mode="before")
    @classmethod
    def _devices(cls, value: Any) -> Any:
        return _on(value)

    @field_validator("clients")
    @classmethod
    def _client_names(cls, clients: list[AppClient], info: ValidationInfo) -> list[AppClient]:
        seen: set[str] = set()
        for client in clients:
            if client.name.endswith("-web") and client.name[:-4] == info.data.get("name", "amplifyAuth"):
                raise ValueError(f"client name {client.name!r} is the default client's; choose another")
            if client.name in seen:
                raise ValueError(f"client {client.name!r} is declared twice")
            seen.add(client.name)
        return clients

    @field_validator("access")
    @classmethod
    def _access(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError(
                "grants permissions to Amplify functions, and userpool runs none: call the admin API (SigV4, "
                "boto3's Admin* actions) from your code instead, and remove this option"
            )
        return value

    @model_validator(mode="after")
    def _cross_rules(self) -> AuthDefinition:
        mfa, login = self.multifactor, self.login_with
        passwordless = bool(
            (login.email and login.email.otp_login) or (login.phone and login.phone.otp_login) or login.web_authn
        )
        if login.phone and mfa.mode != "OFF" and not mfa.sms:
            raise ValueError("multifactor.sms: SMS must be enabled in multifactor when login_with phone is enabled")
        if passwordless and mfa.mode == "REQUIRED":
            raise ValueError(
                "multifactor.mode: REQUIRED cannot be combined with passwordless sign-in (otp_login or web_authn); "
                "use OPTIONAL"
            )
        policy = self.password_policy
        if policy.preset == "nist" and not self.security.password_blocklist:
            raise ValueError("password_policy: the nist preset needs security.password_blocklist (NIST requires one)")
        if policy.preset == "nist" and policy.min_length < NIST_SINGLE_FACTOR_MIN and mfa.mode != "REQUIRED":
            raise ValueError(
                f"password_policy.min_length: the nist preset asks for {NIST_SINGLE_FACTOR_MIN} characters unless "
                f"multifactor.mode is REQUIRED (then at least {NIST_WITH_MFA_MIN})"
            )
        if policy.preset == "nist" and policy.min_length < NIST_WITH_MFA_MIN:
            raise ValueError(f"password_policy.min_length: the nist preset asks for at least {NIST_WITH_MFA_MIN}")
        if mfa.email and not login.email:
            raise ValueError("multifactor.email: email MFA needs login_with email (the code goes to the user's email)")
        if mfa.email and self.senders.email is None:
            raise ValueError("multifactor.email: email MFA needs senders.email (an SMTP sender), as in Amplify")
        required = [n for n, a in self.user_attributes.items() if isinstance(a, StandardAttribute) and a.required]
        for i, client in enumerate(self.clients):
            missing = [n for n in required if client.write_attributes is not None and n not in client.write_attributes]
            if missing:
                raise ValueError(
                    f"clients[{i}].write_attributes: must include the required attribute(s) {', '.join(missing)}, "
                    "or users could not sign up through that client"
                )
        custom_scopes = {f"{r.identifier}/{sc.name}" for r in self.resource_servers for sc in r.scopes}
        for i, client in enumerate(self.clients):
            unknown = [s for s in client.oauth_scopes if s not in OAUTH_SCOPES and s not in custom_scopes]
            if unknown:
                raise ValueError(
                    f"clients[{i}].oauth_scopes: {', '.join(unknown)} is not a scope of any resource_servers entry"
                )
        identifiers = [r.identifier for r in self.resource_servers]
        if len(set(identifiers)) != len(identifiers):
            raise ValueError("resource_servers: each identifier may appear once")
        problems = check_fields(self.authenticator, dict(self.user_attributes), set(required))
        if problems:
            raise ValueError("; ".join(problems))
        challenge = self.passwordless_options.preferred_challenge
        needs = {
            "EMAIL_OTP": bool(login.email and login.email.otp_login),
            "SMS_OTP": bool(login.phone and login.phone.otp_login),
            "WEB_AUTHN": login.web_authn is not None,
            "PASSWORD": True,
        }
        if challenge is not None and not needs[challenge]:
            raise ValueError(f"passwordless_options.preferred_challenge: {challenge} is not enabled in login_with")
        if self.account_recovery is not None:
            wants_phone = "PHONE" in self.account_recovery
            wants_email = "EMAIL" in self.account_recovery
            if wants_phone and not wants_email and not login.phone and "phone_number" not in self.user_attributes:
                raise ValueError(f"account_recovery: {self.account_recovery} needs a phone_number (login_with phone)")
            if wants_email and not wants_phone and not login.email and "email" not in self.user_attributes:
                raise ValueError(f"account_recovery: {self.account_recovery} needs an email (login_with email)")
        return self
