"""Option names: Amplify's camelCase (`loginWith`) → Python's snake_case (`login_with`)."""

from __future__ import annotations

import re

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub(lambda m: "_" + m.group(1).lower(), name)
