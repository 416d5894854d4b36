"""The auth definition's schema: what `define_auth` accepts, checked when the definition is loaded."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from userpool.definition.attributes import NAME_TO_COGNITO, STANDARD_OPTION_NAMES

_CUSTOM_NAME = re.compile(r"custom:[A-Za-z0-9_]{1,20}")

MessageCallable = Callable[..., str]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class EmailLogin(_Model):
    verification_email_style: Literal["CODE"] = "CODE"
    verification_email_subject: str | None = Field(default=None, min_length=1, max_length=140)
    verification_email_body: MessageCallable | None = None


class PhoneLogin(_Model):
    verification_message: MessageCallable | None = None


class LoginWith(_Model):
    email: bool | EmailLogin = False
    phone: bool | PhoneLogin = False
    username: bool = False

    @model_validator(mode="after")
    def _something_signs_in(self) -> LoginWith:
        if not (self.email or self.phone or self.username):
            raise ValueError("at least one of email, phone or username must be enabled")
        return self


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


class PasswordPolicy(_Model):
    min_length: int = Field(default=8, ge=6, le=99)
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    temporary_password_validity_days: int = Field(default=7, ge=1, le=365)


class AuthDefinition(_Model):
    name: str = Field(default="amplifyAuth", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    login_with: LoginWith
    user_attributes: dict[str, StandardAttribute | CustomAttribute] = Field(default_factory=dict)
    password_policy: PasswordPolicy = PasswordPolicy()
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
