"""Theme token values: each kind's allow-list, and the injection attempts it refuses (a value must stay
inside its CSS declaration); the stylesheet leaves out anything that would not."""

from __future__ import annotations

import pytest

from userpool.core.config import ThemeSettings
from userpool.web.authenticator.theme import stylesheet, version
from userpool.web.authenticator.tokens import TOKENS, check_tokens, value_ok

GOOD = [
    ("color", "#5b21b6"),
    ("color", "#fff"),
    ("color", "#11223344"),
    ("color", "rgb(91, 33, 182)"),
    ("color", "rgba(0,0,0,0.5)"),
    ("color", "hsl(262 69% 42%)"),
    ("color", "rebeccapurple"),
    ("color", "var(--amplify-colors-brand-primary-80)"),
    ("length", "0"),
    ("length", "12px"),
    ("length", "0.5rem"),
    ("length", "-1.25em"),
    ("font", '"Open Sans", Arial, sans-serif'),
    ("font", "system-ui"),
    ("shadow", "0 0 16px rgba(13, 26, 38, 0.15)"),
    ("shadow", "none"),
    ("value", "calc(100% - 2rem)"),
]
BAD = [
    ("color", "red; } body { display: none"),
    ("color", "url(https://evil.example/x)"),
    ("color", "#12345"),
    ("color", "expression(alert(1))"),
    ("color", "red</style><script>"),
    ("color", "red\\3b"),
    ("color", "red /* comment */"),
    ("color", ""),
    ("length", "12"),
    ("length", "1px;"),
    ("length", "calc(1px)"),
    ("font", '"Open Sans'),
    ("font", "Arial; color: red"),
    ("font", "@import"),
    ("shadow", "0 0 1px url(x)"),
    ("shadow", "0 0 1px red !important"),
    ("value", "image-set(x)"),
    ("value", "attr(x)"),
    ("value", "a{b}"),
    ("value", "(("),
    ("value", ")("),
    ("value", "x" * 300),
    ("value", "red\nblue"),
]


@pytest.mark.parametrize(("kind", "value"), GOOD)
def test_allowed_values(kind: str, value: str) -> None:
    assert value_ok(kind, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "value"), BAD)
def test_refused_values(kind: str, value: str) -> None:
    assert not value_ok(kind, value)  # type: ignore[arg-type]


def test_names_are_checked_and_named() -> None:
    assert check_tokens({"brand_primary": "#000", "--amplify-components-authenticator-router-box-shadow": "none"}) == []
    problems = check_tokens({"brandprimary": "#000", "--not-amplify": "1px", "radius": "big"})
    assert len(problems) == 3 and "unknown token 'brandprimary'" in problems[0] and "radius: 'big'" in problems[2]


def test_every_token_sets_amplify_properties() -> None:
    for kind, properties in TOKENS.values():
        assert kind in ("color", "length", "font", "shadow", "value")
        assert properties and all(p.startswith("--amplify-") for p in properties)


def test_the_stylesheet_skips_what_fails_the_check() -> None:
    theme = ThemeSettings(tokens={"brand_primary": "#123456", "radius": "1px;}*{x:y"})
    css = stylesheet(theme)
    assert "#123456" in css and "x:y" not in css and "}*{" not in css
    assert version(theme) == version(ThemeSettings(tokens={"brand_primary": "#123456", "radius": "1px;}*{x:y"}))
    assert version(theme) != version(ThemeSettings())
