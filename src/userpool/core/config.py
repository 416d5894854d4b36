"""The pool's settings as the core reads them: compiled from the auth definition, never from a file here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

AttributeType = Literal["String", "Number", "Boolean", "DateTime"]
CODE_PLACEHOLDER = "{####}"


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


@dataclass(frozen=True)
class Template:
    """A message with `{####}` where the code goes (Cognito's placeholder, which Amplify's callables produce)."""

    body: str
    subject: str = ""

    def render(self, code: str) -> tuple[str, str]:
        return self.subject.replace(CODE_PLACEHOLDER, code), self.body.replace(CODE_PLACEHOLDER, code)


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
    case_sensitive: bool = False  # Amplify sets signInCaseSensitive: false
    signup_code_ttl: int = 24 * 3600
    reset_code_ttl: int = 3600
    verify_code_ttl: int = 24 * 3600
    code_attempts: int = 5  # wrong guesses a one-time code survives before it is burned

    @property
    def pool_name(self) -> str:
        """The part of the pool id after the region: SRP mixes it into every verifier."""
        return self.pool_id.split("_", 1)[1]
