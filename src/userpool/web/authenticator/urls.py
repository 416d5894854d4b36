"""The hosted Authenticator's routes, in one place: Amplify's Authenticator routes by their paths.

signIn /login · signUp /signup · confirmSignUp /confirm (+ /confirmUser, the LINK style's email link)
forgotPassword /forgotPassword · confirmResetPassword /confirmForgotPassword
forceNewPassword /forceNewPassword · confirmSignIn /confirmSignIn · selectMfaType /selectMfaType
setupTotp /setupTotp · setupEmail /setupEmail · verifyUser /verifyUser · confirmVerifyUser /confirmVerifyUser
signOut /logout (api/oauth) · /recoveryCodes · the static files and the pool's theme.css
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from userpool.web.authenticator import account_routes, challenge_routes, recovery_routes
from userpool.web.authenticator import routes as entry
from userpool.web.authenticator.render import STATIC_DIR, STATIC_PATH, html_guard
from userpool.web.authenticator.theme import theme_css

PAGE_METHODS = ["GET", "POST"]


class _Static:
    """The stylesheet and script, with `nosniff` and a short cache lifetime."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self._files = StaticFiles(directory=directory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"public, max-age=300")]
                message["headers"] = headers
            await send(message)

        await self._files(scope, receive, send_with_headers)


def routes() -> list[BaseRoute]:
    pages = {
        "/login": entry.sign_in,
        "/signup": entry.sign_up,
        "/confirm": entry.confirm_sign_up,
        "/forgotPassword": recovery_routes.forgot_password,
        "/confirmForgotPassword": recovery_routes.confirm_forgot_password,
        "/confirmSignIn": challenge_routes.confirm_sign_in,
        "/selectMfaType": challenge_routes.select_mfa_type,
        "/setupTotp": challenge_routes.setup_totp,
        "/setupEmail": challenge_routes.setup_email,
        "/forceNewPassword": challenge_routes.force_new_password,
        "/verifyUser": account_routes.verify_user,
        "/confirmVerifyUser": account_routes.confirm_verify_user,
        "/recoveryCodes": account_routes.recovery_codes,
    }
    return [
        *(Route(path, html_guard(handler), methods=PAGE_METHODS) for path, handler in pages.items()),
        Route("/confirmUser", html_guard(entry.confirm_link), methods=["GET"]),
        Route(f"{STATIC_PATH}/theme.css", theme_css, methods=["GET"]),
        Mount(STATIC_PATH, app=_Static()),
    ]
