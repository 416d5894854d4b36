"""The outputs as a Python module (`--outputs-format py`): `amplify_outputs = {...}`, importable as is.

The text is what `ruff format` (and black) would write whatever the line length: every non-empty dict and
list is spread one item a line with a trailing comma (a "magic" trailing comma keeps it spread), strings take
double quotes unless single quotes need fewer escapes.
"""

from __future__ import annotations

from typing import Any

_INDENT = "    "
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(text: str) -> str:
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return quote + "".join(out) + quote


def _literal(value: Any, depth: int) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    inner = _INDENT * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_string(str(k))}: {_literal(v, depth + 1)},\n" for k, v in value.items()]
        return "{\n" + "".join(items) + _INDENT * depth + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{inner}{_literal(v, depth + 1)},\n" for v in value) + _INDENT * depth + "]"
    raise TypeError(f"cannot write {type(value).__name__} into the outputs module")


def render_module(name: str, value: dict[str, Any], *, header: list[str]) -> str:
    """`# header` lines, a blank line, then `name = {...}`."""
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header)
    return f"{comments}\n{name} = {_literal(value, 0)}\n"
