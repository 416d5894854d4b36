"""`define_auth` and `define_backend`: the public way to declare the auth backend, in Python."""

from __future__ import annotations

import contextlib
import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from userpool.definition.errors import DefinitionError
from userpool.definition.models import AuthDefinition
from userpool.definition.naming import snake

# Options whose keys are names, not options: attribute names keep their spelling, values are options again.
_NAMED = frozenset({"user_attributes"})
# Options that are data all the way down (trigger names are checked by their own rule; HTTP header names
# and provider attribute names must stay exactly as written; the Authenticator's form fields and
# translations are keyed by field names, languages and message ids, and convert their own option names).
_OPAQUE = frozenset({"triggers", "headers", "attribute_mapping", "form_fields", "translations"})


def _snake_keys(value: Any, *, keys_are_names: bool = False) -> Any:
    """camelCase option names (as in Amplify's docs) → snake_case, leaving names and data alone."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = key if keys_are_names or not isinstance(key, str) else snake(key)
            if not keys_are_names and new_key in _OPAQUE:
                out[new_key] = item
            else:
                out[new_key] = _snake_keys(item, keys_are_names=not keys_are_names and new_key in _NAMED)
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


def _amplify_dir(depth: int = 2) -> Path | None:
    """The `amplify/` folder the calling definition file is in (files it names, like a logo, are under it)."""
    caller = Path(inspect.stack()[depth].filename).resolve()
    return next((parent for parent in caller.parents if parent.name == "amplify"), None)


_TYPE_NAMES = frozenset({"str", "int", "float", "bool", "dict", "list", "none"})


def _path(loc: tuple[Any, ...]) -> str:
    """The option path of an error, without pydantic's union-branch and validator names."""
    parts = []
    for part in loc:
        text = str(part)
        if "[" in text or text in _TYPE_NAMES or text[:1].isupper():
            continue
        parts.append(text)
    return ".".join(parts)


def _describe(error: Any) -> str:
    path = _path(tuple(error["loc"]))
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return f"{path}: unknown option"
    if kind == "missing":
        return f"{path}: required"
    if kind in ("value_error", "assertion_error"):
        msg = msg.removeprefix("Value error, ")
    if kind == "literal_error":
        msg += f" (got {error['input']!r})"
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


def validate_auth(options: dict[str, Any], where: str, amplify_dir: Path | None = None) -> AuthDefinition:
    try:
        return AuthDefinition.model_validate(
            {**_snake_keys(options), "source": where}, context={"amplify_dir": amplify_dir}
        )
    except ValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            text = _describe(err)
            if err["type"] == "extra_forbidden":
                choices = _known_options(AuthDefinition, tuple(err["loc"]))
                text += f" (valid options: {choices})" if choices else ""
            if text not in problems:  # a union reports once per branch; say it once
                problems.append(text)
        raise DefinitionError(problems, where=where) from None


def define_auth(**options: Any) -> AuthDefinition:
    """Declare the auth backend: `auth = define_auth(login_with={"email": True})`.

    Options use Python's snake_case; the camelCase names of Amplify's `defineAuth` work too.
    """
    where = _where()
    if "login_with" not in options and "loginWith" not in options:
        options = {"login_with": {"email": True}, **options}  # Amplify's default when nothing is given
    return validate_auth(options, where, _amplify_dir())


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
