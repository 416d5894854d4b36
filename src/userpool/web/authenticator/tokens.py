"""The theme's design tokens: each name, the kind of value it takes, and the CSS custom properties it sets
(named after Amplify UI's tokens). Pure data and checks, no web framework: the definition checks a theme
with these when it loads, and `theme.py` writes the stylesheet from them.

A value is checked against its kind's allow-list of characters and shapes, so it cannot leave its CSS
declaration: `;`, `{`, `}`, `<`, `\\`, comments, `url(` and `@` are refused whatever the kind.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["color", "length", "font", "shadow", "value"]

# token → (kind, the custom properties it sets)
TOKENS: dict[str, tuple[Kind, tuple[str, ...]]] = {
    "brand_primary": ("color", ("--amplify-colors-brand-primary-80",)),
    "brand_primary_hover": ("color", ("--amplify-colors-brand-primary-90",)),
    "brand_primary_light": ("color", ("--amplify-colors-brand-primary-10",)),
    "background_primary": ("color", ("--amplify-colors-background-primary",)),
    "background_secondary": ("color", ("--amplify-colors-background-secondary",)),
    "font_primary": ("color", ("--amplify-colors-font-primary",)),
    "font_secondary": ("color", ("--amplify-colors-font-secondary",)),
    "font_inverse": ("color", ("--amplify-colors-font-inverse",)),
    "font_interactive": ("color", ("--amplify-colors-font-interactive",)),
    "border_primary": ("color", ("--amplify-colors-border-primary",)),
    "error_background": ("color", ("--amplify-colors-background-error",)),
    "error_font": ("color", ("--amplify-colors-font-error",)),
    "info_background": ("color", ("--amplify-colors-background-info",)),
    "info_font": ("color", ("--amplify-colors-font-info",)),
    "button_primary_background_color": ("color", ("--amplify-components-button-primary-background-color",)),
    "button_primary_color": ("color", ("--amplify-components-button-primary-color",)),
    "router_background_color": ("color", ("--amplify-components-authenticator-router-background-color",)),
    "router_border_color": ("color", ("--amplify-components-authenticator-router-border-color",)),
    "router_border_width": ("length", ("--amplify-components-authenticator-router-border-width",)),
    "router_box_shadow": ("shadow", ("--amplify-components-authenticator-router-box-shadow",)),
    "form_padding": ("length", ("--amplify-components-authenticator-form-padding",)),
    "max_width": ("length", ("--amplify-components-authenticator-max-width",)),
    "font_family": ("font", ("--amplify-fonts-default-variable", "--amplify-fonts-default-static")),
    "font_size": ("length", ("--amplify-font-sizes-medium",)),
    "radius": ("length", ("--amplify-radii-small", "--amplify-radii-medium")),
}
# Any other Amplify custom property may be set by its own name, with a value of the generic kind.
RAW_NAME = re.compile(r"--amplify-[a-z0-9]+(?:-[a-z0-9]+){0,8}")
MAX_VALUE = 200

_HEX = r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})"
_FUNC_COLOR = r"(?:rgb|rgba|hsl|hsla)\(\s*[0-9.%]+(?:\s*[,/\s]\s*[0-9.%]+){2,3}\s*\)"
_VAR = r"var\(--amplify-[a-z0-9-]+\)"
_COLOR = re.compile(rf"{_HEX}|{_FUNC_COLOR}|{_VAR}|[a-zA-Z]{{3,30}}")
_LENGTH = re.compile(rf"0|-?(?:\d+|\d*\.\d+)(?:px|rem|em|%|vh|vw|ch|ex|pt)|{_VAR}")
_FONT_NAME = r"(?:\"[A-Za-z0-9 _-]{1,60}\"|'[A-Za-z0-9 _-]{1,60}'|[A-Za-z0-9_-]{1,40}(?: [A-Za-z0-9_-]{1,40}){0,4})"
_FONT = re.compile(rf"{_FONT_NAME}(?:\s*,\s*{_FONT_NAME}){{0,9}}")
_GENERIC_CHARS = re.compile(r"[A-Za-z0-9#.,%\s()+*/_-]+")
_FUNCTION = re.compile(r"([A-Za-z-]+)\(")
_ALLOWED_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla", "var", "calc"})
_NEVER = (";", "{", "}", "<", ">", "\\", "/*", "*/", "@", "!", "url(", "expression(", "\n", "\r")

SHAPES = {
    "color": "a colour: #rgb, #rrggbb, #rrggbbaa, rgb()/rgba()/hsl()/hsla() of numbers, a colour name or "
    "var(--amplify-…)",
    "length": "a length: 0 or a number with px, rem, em, %, vh, vw, ch, ex or pt, or var(--amplify-…)",
    "font": 'font family names separated by commas, each plain or in quotes ("Open Sans", sans-serif)',
    "shadow": "a box shadow of lengths and colours (0 0 16px rgba(0, 0, 0, 0.2)), or none",
    "value": "letters, digits, spaces and # . , % ( ) + * / - only, with rgb, rgba, hsl, hsla, var or calc",
}


def _generic(value: str) -> bool:
    if not _GENERIC_CHARS.fullmatch(value) or value.count("(") != value.count(")"):
        return False
    depth = 0
    for char in value:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return all(name.lower() in _ALLOWED_FUNCTIONS for name in _FUNCTION.findall(value))


def value_ok(kind: Kind, value: str) -> bool:
    """True when `value` is a safe CSS value of this kind (it stays inside its declaration)."""
    lowered = value.lower()
    if not value.strip() or len(value) > MAX_VALUE or any(bad in lowered for bad in _NEVER):
        return False
    text = value.strip()
    if kind == "color":
        return bool(_COLOR.fullmatch(text))
    if kind == "length":
        return bool(_LENGTH.fullmatch(text))
    if kind == "font":
        return bool(_FONT.fullmatch(text))
    return _generic(text)


def kind_of(name: str) -> Kind | None:
    """The kind of value a token takes; None for an unknown name."""
    if name in TOKENS:
        return TOKENS[name][0]
    return "value" if RAW_NAME.fullmatch(name) else None


def properties_of(name: str) -> tuple[str, ...]:
    return TOKENS[name][1] if name in TOKENS else (name,)


def check_tokens(tokens: dict[str, str]) -> list[str]:
    """The problems with a theme's tokens, each naming the token and what it takes (empty: all good)."""
    problems = []
    for name, value in tokens.items():
        kind = kind_of(name)
        if kind is None:
            problems.append(
                f"unknown token {name!r}; the tokens are {', '.join(TOKENS)}, or any Amplify custom property "
                "by its name (--amplify-components-button-primary-background-color)"
            )
        elif not isinstance(value, str) or not value_ok(kind, value):
            problems.append(f"{name}: {value!r} is not {SHAPES[kind]}")
    return problems
