"""Which fields the pages show, decided by the pool: the sign-in name's label and the sign-up attributes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from userpool.core.config import PoolConfig
from userpool.web.authenticator.messages import EN


@dataclass(frozen=True)
class LoginField:
    """The field users sign in with: "Email" when email is the user name, "Phone Number", or "Username"."""

    label_id: str
    placeholder_id: str
    type: str
    inputmode: str = ""


def login_field(config: PoolConfig) -> LoginField:
    kinds = config.username_attributes
    if kinds == ("email",):
        return LoginField("field.email", "placeholder.email", "email", "email")
    if kinds == ("phone_number",):
        return LoginField("field.phone_number", "placeholder.phone_number", "tel", "tel")
    if kinds:
        return LoginField("field.email_or_phone", "placeholder.email_or_phone", "text")
    return LoginField("field.username", "placeholder.username", "text")


@dataclass(frozen=True)
class AttributeField:
    field: str  # the form field's name = the attribute's name
    label_id: str
    type: str = "text"
    autocomplete: str = ""
    value: str = ""

    def with_value(self, value: str) -> AttributeField:
        return dataclasses.replace(self, value=value)


# type, autocomplete token (WHATWG autofill) per standard attribute
_INPUTS: dict[str, tuple[str, str]] = {
    "email": ("email", "email"),
    "phone_number": ("tel", "tel"),
    "birthdate": ("date", "bday"),
    "website": ("url", "url"),
    "profile": ("url", "url"),
    "picture": ("url", "photo"),
    "name": ("text", "name"),
    "given_name": ("text", "given-name"),
    "family_name": ("text", "family-name"),
    "middle_name": ("text", "additional-name"),
    "nickname": ("text", "nickname"),
    "preferred_username": ("text", "nickname"),
    "gender": ("text", "sex"),
    "locale": ("text", "language"),
    "address": ("text", "street-address"),
}


def sign_up_fields(config: PoolConfig) -> list[AttributeField]:
    """The pool's required attributes and the address its codes go to, except what the user name already is."""
    names = [spec.name for spec in config.attributes.values() if spec.required]
    names += list(config.auto_verified_attributes)
    fields = []
    for name in dict.fromkeys(names):
        if name in config.username_attributes or f"attribute.{name}" not in EN:
            continue
        kind, autocomplete = _INPUTS.get(name, ("text", ""))
        fields.append(AttributeField(name, f"attribute.{name}", kind, autocomplete))
    return fields
