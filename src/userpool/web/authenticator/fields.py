"""Which fields each page shows, decided by the pool and the definition's `authenticator.form_fields`.

A page's default fields come from the pool (the sign-in name's kind, the required attributes); Amplify's
form-field options then change labels, placeholders, whether a field is required, and the order: fields
with an `order` come first, in that order, and the rest keep their places after them. On the sign-up and
new-password pages `form_fields` may also add optional attributes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from userpool.core.config import FormFieldSettings, PoolConfig
from userpool.web.authenticator.messages import EN, t

CODE = "confirmation_code"  # Amplify's name for a page's code field, which the form posts as "code"


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
class Field:
    """One input as a page renders it (texts already in the request's language)."""

    key: str  # the name in form_fields (Amplify's): "username", "confirmation_code", "given_name"
    label: str
    name: str = ""  # the form field's name; "" = the key
    type: str = "text"
    autocomplete: str = ""
    placeholder: str = ""
    hint: str = ""
    inputmode: str = ""
    required: bool = True
    value: str = ""
    label_hidden: bool = False
    describedby: str = ""

    @property
    def input_name(self) -> str:
        return self.name or self.key

    def with_value(self, value: str) -> Field:
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


def username(config: PoolConfig, *, autocomplete: str = "username") -> Field:
    login = login_field(config)
    return Field(
        "username",
        t(login.label_id),
        type=login.type,
        autocomplete=autocomplete,
        placeholder=t(login.placeholder_id),
        inputmode=login.inputmode,
        hint=t("hint.phone_number") if login.type == "tel" else "",
    )


def password(key: str = "password", *, new: bool = False, label_id: str = "field.password") -> Field:
    if key == "confirm_password":
        return Field(
            key,
            t("field.confirm_password"),
            type="password",
            autocomplete="new-password",
            placeholder=t("placeholder.confirm_password"),
        )
    placeholder = t("placeholder.new_password" if label_id == "field.new_password" else "placeholder.password")
    return Field(
        key,
        t(label_id),
        type="password",
        autocomplete="new-password" if new else "current-password",
        placeholder=placeholder,
        describedby="password-rules" if new else "",
    )


def code(label_id: str = "field.code", *, required: bool = True) -> Field:
    return Field(
        CODE,
        t(label_id),
        name="code",
        autocomplete="one-time-code",
        inputmode="numeric",
        placeholder=t("placeholder.code"),
        required=required,
    )


def attribute(name: str, *, required: bool = True) -> Field:
    kind, autocomplete = _INPUTS.get(name, ("text", ""))
    label_id = f"attribute.{name}"
    label = t(label_id) if label_id in EN else name.removeprefix("custom:").replace("_", " ").capitalize()
    return Field(name, label, type=kind, autocomplete=autocomplete, required=required)


def sign_up_attributes(config: PoolConfig) -> list[str]:
    """The pool's required attributes and the address its codes go to, except what the user name already is."""
    names = [spec.name for spec in config.attributes.values() if spec.required]
    names += list(config.auto_verified_attributes)
    return [n for n in dict.fromkeys(names) if n not in config.username_attributes and f"attribute.{n}" in EN]


def sign_up_fields(config: PoolConfig) -> list[Field]:
    return [attribute(name) for name in sign_up_attributes(config)]


def customise(config: PoolConfig, page: str, fields: Iterable[Field], *, extra: bool = False) -> list[Field]:
    """Apply `form_fields[page]`: texts, required, hidden labels, order; with `extra`, add attributes."""
    options: Mapping[str, FormFieldSettings] = config.authenticator.form_fields.get(page, {})
    result = list(fields)
    if extra:
        known = {f.key for f in result}
        result += [attribute(name, required=False) for name in options if name not in known and name != "QR"]
    changed = [_apply(f, options.get(f.key)) for f in result]
    ordered = sorted(
        (f for f in changed if options.get(f.key) is not None and options[f.key].order is not None),
        key=lambda f: options[f.key].order or 0,
    )
    return ordered + [f for f in changed if f not in ordered]


def _apply(f: Field, o: FormFieldSettings | None) -> Field:
    if o is None:
        return f
    return dataclasses.replace(
        f,
        label=o.label or f.label,
        placeholder=f.placeholder if o.placeholder is None else o.placeholder,
        required=f.required if o.is_required is None else o.is_required,
        label_hidden=o.label_hidden,
    )


def missing(fields: Iterable[Field], form: Mapping[str, str]) -> Field | None:
    """The first required field the form left empty (the server's check of `is_required`)."""
    return next((f for f in fields if f.required and not form.get(f.input_name, "").strip()), None)
