"""Request validation against botocore's model of Cognito (shapes.json, made by scripts/gen_shapes.py).

Messages follow AWS's: "1 validation error detected: Value 'x' at 'userPoolId' failed to satisfy constraint:
Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+". A string or number is shown, as
Cognito shows it, unless the model marks its shape (or a shape around it, like AuthParameters) sensitive:
then the message says only where ("Value at 'password' ..."). Patterns are shown as botocore writes them and
matched with their Python translation (`regex`, see scripts/gen_shapes.py).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from userpool.core.errors import InvalidParameterException, SerializationException

_MAX_ERRORS = 5
_FAILED = "{} failed to satisfy constraint: Member must have"


@cache
def _model() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((Path(__file__).parent / "shapes.json").read_text())
    for shape in doc["shapes"].values():
        if "regex" in shape:
            shape["_re"] = re.compile(shape["regex"])
    return doc


def operations() -> frozenset[str]:
    return frozenset(_model()["operations"])


def signed(operation: str) -> bool:
    """Whether AWS wants `operation` signed with SigV4 (botocore's model: every operation not `authtype: none`)."""
    return operation not in _unsigned()


@cache
def _unsigned() -> frozenset[str]:
    return frozenset(_model()["unsigned"])


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _value_at(value: Any, at: str, secret: bool) -> str:
    """The subject of a message: Value 'x' at 'path', or Value at 'path' for a secret."""
    return f"Value at {at}" if secret else f"Value '{value}' at {at}"


def _check(shape_name: str, value: Any, path: str, errors: list[str], secret: bool = False) -> None:
    shape = _model()["shapes"][shape_name]
    kind = shape["type"]
    secret = secret or bool(shape.get("sensitive"))  # a sensitive shape hides everything inside it
    at = f"'{path}'" if path else "the request"
    if kind == "structure":
        if not isinstance(value, dict):
            raise SerializationException(f"Value at {at} must be a JSON object")
        members = shape["members"]
        for name in shape.get("required", []):
            if value.get(name) is None:
                errors.append(
                    f"Value null at '{_join(path, name)}' failed to satisfy constraint: Member must not be null"
                )
        for name, item in value.items():
            if name in members and item is not None:
                _check(members[name], item, _join(path, name), errors, secret)
        return
    if kind == "list":
        if not isinstance(value, list):
            raise SerializationException(f"Value at {at} must be a JSON array")
        _length(shape, len(value), f"Value at {at}", errors)
        for i, item in enumerate(value, 1):
            _check(shape["member"], item, f"{path}.{i}.member", errors, secret)
        return
    if kind == "map":
        if not isinstance(value, dict):
            raise SerializationException(f"Value at {at} must be a JSON object")
        _length(shape, len(value), f"Value at {at}", errors)
        for key, item in value.items():
            _check(shape["key"], key, f"{path}.key", errors, secret)
            if item is None:  # amazon-cognito-identity-js resends a challenge with DEVICE_KEY: null
                continue
            where = f"{path}.{key}.value" if len(key) < 64 else f"{path}.value"
            _check(shape["value"], item, where, errors, secret)
        return
    if kind == "string":
        if not isinstance(value, str):
            raise SerializationException(f"Value at {at} must be a string")
        subject = _value_at(value, at, secret)
        _length(shape, len(value), subject, errors)
        if "enum" in shape and value not in shape["enum"]:
            errors.append(
                f"{subject} failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(shape['enum'])}]"
            )
        elif "_re" in shape and value and not shape["_re"].fullmatch(value):
            errors.append(
                f"{subject} failed to satisfy constraint: Member must satisfy regular expression "
                f"pattern: {shape['pattern']}"
            )
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SerializationException(f"Value at {at} must be true or false")
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SerializationException(f"Value at {at} must be an integer")
        subject = _value_at(value, at, secret)
        if "min" in shape and value < shape["min"]:
            errors.append(f"{_FAILED.format(subject)} value greater than or equal to {shape['min']}")
        if "max" in shape and value > shape["max"]:
            errors.append(f"{_FAILED.format(subject)} value less than or equal to {shape['max']}")
        return
    if kind == "timestamp" and not isinstance(value, int | float):
        raise SerializationException(f"Value at {at} must be a number of seconds")
    if kind == "blob" and not isinstance(value, str):
        raise SerializationException(f"Value at {at} must be a base64 string")


def _length(shape: dict[str, Any], size: int, subject: str, errors: list[str]) -> None:
    if "min" in shape and size < shape["min"]:
        errors.append(f"{_FAILED.format(subject)} length greater than or equal to {shape['min']}")
    if "max" in shape and size > shape["max"]:
        errors.append(f"{_FAILED.format(subject)} length less than or equal to {shape['max']}")


def _join(path: str, name: str) -> str:
    return f"{path}.{_camel(name)}" if path else _camel(name)


def validate(operation: str, body: Any) -> None:
    """Raise InvalidParameterException (or SerializationException for wrong JSON types) for a bad request."""
    errors: list[str] = []
    _check(_model()["operations"][operation], body, "", errors)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        raise InvalidParameterException(f"{count} validation {noun} detected: " + "; ".join(errors[:_MAX_ERRORS]))
