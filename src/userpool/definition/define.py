"""`define_auth` and `define_backend`: the public way to declare the auth backend, in Python."""

from __future__ import annotations

import contextlib
import inspect
import os
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from userpool.definition.errors import DefinitionError
from userpool.definition.models import AuthDefinition

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(key: str) -> str:
    return _CAMEL.sub(lambda m: "_" + m.group(1).lower(), key)


def _snake_keys(value: Any, *, names_are_data: bool = False) -> Any:
    """camelCase option names (as in Amplify's docs) → snake_case. Attribute names are left alone."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = key if names_are_data or not isinstance(key, str) else _snake(key)
            out[new_key] = _snake_keys(item, names_are_data=new_key == "user_attributes" and not names_are_data)
        return out
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def _where(depth: int = 2) -> str:
    frame = inspect.stack()[depth]
    path = frame.filename
    with contextlib.suppress(ValueError):  # another drive on Windows: keep the absolute path
        path = os.path.relpath(path)
    return f"{path}:{frame.lineno}"


def _describe(error: Any) -> str:
    path = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return f"{path}: unknown option"
    if kind in ("value_error", "assertion_error"):
        msg = msg.removeprefix("Value error, ")
    return f"{path}: {msg}" if path else msg


def _known_options(model: type[Any], loc: tuple[Any, ...]) -> str:
    """The valid option names at the place an unknown option was given."""
    for part in loc[:-1]:
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return ""
        candidates = [
            a for a in getattr(field.annotation, "__args__", (field.annotation,)) if hasattr(a, "model_fields")
        ]
        if not candidates:
            return ""
        model = candidates[0]
    return ", ".join(model.model_fields) if hasattr(model, "model_fields") else ""


def validate_auth(options: dict[str, Any], where: str) -> AuthDefinition:
    try:
        return AuthDefinition.model_validate({**_snake_keys(options), "source": where})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            text = _describe(err)
            if err["type"] == "extra_forbidden":
                choices = _known_options(AuthDefinition, tuple(err["loc"]))
                text += f" (valid options: {choices})" if choices else ""
            problems.append(text)
        raise DefinitionError(problems, where=where) from None


def define_auth(**options: Any) -> AuthDefinition:
    """Declare the auth backend: `auth = define_auth(login_with={"email": True})`.

    Options use Python's snake_case; the camelCase names of Amplify's `defineAuth` work too.
    """
    where = _where()
    if "login_with" not in options and "loginWith" not in options:
        options = {"login_with": {"email": True}, **options}  # Amplify's default when nothing is given
    return validate_auth(options, where)


@dataclass(frozen=True)
class Backend:
    auth: AuthDefinition


def define_backend(*, auth: AuthDefinition) -> Backend:
    """`backend = define_backend(auth=auth)` in amplify/backend.py, as in Amplify Gen 2."""
    if not isinstance(auth, AuthDefinition):
        raise DefinitionError(
            [f"auth: expected the result of define_auth(...), got {type(auth).__name__}"], where=_where()
        )
    return Backend(auth=auth)
