"""docs/authenticator.md shows the screenshots the browser tests take, and covers every route."""

from __future__ import annotations

from pathlib import Path

from userpool.web.authenticator.tokens import TOKENS

ROOT = Path(__file__).resolve().parents[2]
ROUTES = [
    "/login",
    "/signup",
    "/confirm",
    "/forgotPassword",
    "/confirmForgotPassword",
    "/forceNewPassword",
    "/confirmSignIn",
    "/selectMfaType",
    "/setupTotp",
    "/setupEmail",
    "/verifyUser",
    "/confirmVerifyUser",
    "/logout",
]


def test_the_authenticator_page() -> None:
    text = (ROOT / "docs" / "authenticator.md").read_text()
    for name in ("light-sign-in", "light-sign-up", "dark-sign-in", "dark-sign-up"):
        assert f"(images/authenticator-{name}.png)" in text
        assert (ROOT / "docs" / "images" / f"authenticator-{name}.png").exists()
    for route in ROUTES:
        assert f"`{route}`" in text, route
    for token in TOKENS:
        assert f"`{token}`" in text, token
