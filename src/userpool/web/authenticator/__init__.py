"""The hosted Authenticator: server-rendered sign-in, sign-up, confirmation and password-reset pages.

Pages work without JavaScript; every string comes from `messages.py`; `static/authenticator.css` styles them
through CSS custom properties named after Amplify UI's design tokens.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from userpool.web.authenticator import challenge_routes, routes
from userpool.web.authenticator.render import STATIC_DIR, STATIC_PATH, html_guard

PAGE_METHODS = ["GET", "POST"]


class _Static:
    """The stylesheet, with `nosniff` and a short cache lifetime."""

    def __init__(self) -> None:
        self._files = StaticFiles(directory=STATIC_DIR)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"public, max-age=300")]
                message["headers"] = headers
            await send(message)

        await self._files(scope, receive, send_with_headers)


def authenticator_routes() -> list[BaseRoute]:
    return [
        Route("/login", html_guard(routes.sign_in), methods=PAGE_METHODS),
        Route("/signup", html_guard(routes.sign_up), methods=PAGE_METHODS),
        Route("/confirm", html_guard(routes.confirm_sign_up), methods=PAGE_METHODS),
        Route("/confirmUser", html_guard(routes.confirm_link), methods=["GET"]),
        Route("/forgotPassword", html_guard(routes.forgot_password), methods=PAGE_METHODS),
        Route("/confirmForgotPassword", html_guard(routes.confirm_forgot_password), methods=PAGE_METHODS),
        Route("/confirmSignIn", html_guard(challenge_routes.confirm_sign_in), methods=PAGE_METHODS),
        Route("/selectMfaType", html_guard(challenge_routes.select_mfa_type), methods=PAGE_METHODS),
        Route("/setupTotp", html_guard(challenge_routes.setup_totp), methods=PAGE_METHODS),
        Route("/forceNewPassword", html_guard(challenge_routes.force_new_password), methods=PAGE_METHODS),
        Route("/recoveryCodes", html_guard(challenge_routes.recovery_codes), methods=PAGE_METHODS),
        Mount(STATIC_PATH, app=_Static()),
    ]
