"""User attributes: Cognito's standard set, the pool's custom ones, and the rules every write obeys."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from userpool.core.config import AttributeSpec, PoolConfig
from userpool.core.errors import InvalidParameterException, NotAuthorizedException

STANDARD = (
    "sub",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
)
VERIFIABLE = ("email", "phone_number")
# Never written by an app client: the pool owns them (`*_verified` flip only through a code).
READ_ONLY = frozenset({"sub", "email_verified", "phone_number_verified", "identities"})
MAX_VALUE_LENGTH = 2048

# RFC 5322 is far looser than what any mail system accepts; this is the shape Cognito enforces in practice.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+[1-9][0-9]{4,14}")  # E.164


def verified_flag(attribute: str) -> str:
    return f"{attribute}_verified"


def spec_for(pool: PoolConfig, name: str) -> AttributeSpec | None:
    spec = pool.attributes.get(name)
    if spec is not None:
        return spec
    return AttributeSpec(name=name) if name in STANDARD else None


def normalize_email(value: str) -> str:
    return value.strip().lower()


def _schema_error(detail: str) -> InvalidParameterException:
    return InvalidParameterException(f"Attributes did not conform to the schema: {detail}")


def _check_value(spec: AttributeSpec, value: str) -> None:
    name = spec.name
    if len(value) > MAX_VALUE_LENGTH:
        raise _schema_error(f"{name}: Attribute value must be at most {MAX_VALUE_LENGTH} characters")
    if name == "email" and not _EMAIL.fullmatch(value):
        raise InvalidParameterException("Invalid email address format.")
    if name == "phone_number" and not _PHONE.fullmatch(value):
        raise InvalidParameterException(
            "Invalid phone number format. Use E.164: a + and the country code, e.g. +14155550123."
        )
    if name == "birthdate":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise _schema_error("birthdate: must be a date in the form YYYY-MM-DD") from None
    if name == "updated_at" and not value.isdigit():
        raise _schema_error("updated_at: must be the number of seconds since the epoch")
    if spec.data_type == "String":
        if spec.min_length is not None and len(value) < spec.min_length:
            raise _schema_error(f"{name}: must be at least {spec.min_length} characters")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise _schema_error(f"{name}: must be at most {spec.max_length} characters")
    elif spec.data_type == "Number":
        try:
            number = float(value)
        except ValueError:
            raise _schema_error(f"{name}: Number must be a number") from None
        if spec.min_value is not None and number < spec.min_value:
            raise _schema_error(f"{name}: Number must be at least {spec.min_value:g}")
        if spec.max_value is not None and number > spec.max_value:
            raise _schema_error(f"{name}: Number must be at most {spec.max_value:g}")
    elif spec.data_type == "Boolean":
        if value not in ("true", "false", "1", "0"):
            raise _schema_error(f"{name}: Boolean must be true or false")
    elif spec.data_type == "DateTime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise _schema_error(f"{name}: DateTime must be an ISO 8601 date and time") from None


def parse_attribute_list(raw: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Wire list → dict, refusing duplicates (Cognito keeps neither)."""
    result: dict[str, str] = {}
    for name, value in raw:
        if name in result:
            raise InvalidParameterException(f"Duplicate attribute in the request: {name}")
        result[name] = value
    return result


def check_client_write(pool: PoolConfig, values: Mapping[str, str], *, existing: Mapping[str, str] | None) -> None:
    """Every attribute an app client writes: known, writable, well-formed; immutable ones only at creation."""
    for name, value in values.items():
        if name in READ_ONLY:
            raise NotAuthorizedException(f"A client attempted to write unauthorized attribute: {name}")
        spec = spec_for(pool, name)
        if spec is None:
            raise _schema_error(f"Type for attribute {{{name}}} could not be determined")
        if existing is not None and not spec.mutable and name in existing and existing[name] != value:
            raise _schema_error(f"{name}: Attribute cannot be updated. (changing an immutable attribute)")
        _check_value(spec, value)


def check_required(pool: PoolConfig, values: Mapping[str, str]) -> None:
    for spec in pool.attributes.values():
        if spec.required and not values.get(spec.name):
            raise _schema_error(f"{spec.name}: The attribute {spec.name} is required")


def check_removable(pool: PoolConfig, names: Iterable[str]) -> None:
    for name in names:
        if name in READ_ONLY:
            raise NotAuthorizedException(f"A client attempted to write unauthorized attribute: {name}")
        spec = spec_for(pool, name)
        if spec is None:
            raise _schema_error(f"Type for attribute {{{name}}} could not be determined")
        if spec.required:
            raise _schema_error(f"{name}: The attribute {name} is required")


def mask(destination: str) -> str:
    """Cognito's masked delivery destination: t***@e*** for an email, +*******0123 for a phone."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(destination) - 5, 0) + destination[-4:]


def to_wire(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in attributes.items()]
