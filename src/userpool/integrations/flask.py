"""`with_authenticator` for Flask: views behind the hosted Authenticator.

    import os

    from flask import Flask
    from markupsafe import escape

    from userpool.integrations.flask import Authenticator

    app = Flask(__name__)
    auth = Authenticator(app, outputs="amplify_outputs.json", secret_key=os.environ["SECRET_KEY"])


    @app.get("/")
    @auth.with_authenticator
    def home(user, sign_out):
        return f"<h1>Hello {escape(user.login_id)}</h1>{sign_out.form()}"

`Authenticator(app, ...)` registers `GET /auth/callback` (the code exchange), `GET /auth/sign-in?next=/path`
and `POST /auth/sign-out` (CSRF-checked; revokes the refresh token and ends the hosted session). Without
`secret_key` it uses the app's `SECRET_KEY`; `Authenticator(outputs=...)` then `auth.init_app(app)` works
for app factories.

A view decorated with `@auth.with_authenticator` runs only for a signed-in visitor and is called with the
keyword arguments `user` (a `User`: `username`, `sub`, `login_id`, `attributes`, `groups`, `tokens`) and
`sign_out` (a `SignOut`: `url`, `csrf_token`, `form()`; in Jinja `{{ sign_out }}` renders the button). A
signed-out visitor loading a page is redirected to the hosted Authenticator (PKCE S256); any other
signed-out request gets 401. Expired tokens are refreshed on the way, silently.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from flask import Flask, Response, current_app, make_response, request
from flask.typing import ResponseReturnValue

from userpool.integrations._client import AuthClient
from userpool.integrations._model import SIGN_IN_PATH, SIGN_OUT_PATH, AuthConfig, Reply, SignOut, User, WebRequest

__all__ = ["Authenticator", "SignOut", "User"]

_EXTENSION = "userpool"


class Authenticator:
    """The hosted Authenticator for one Flask app (or, with `init_app`, for each app it is given)."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        outputs: str | os.PathLike[str] | Mapping[str, Any] | AuthConfig = "amplify_outputs.json",
        secret_key: str | bytes | None = None,
        redirect_uri: str | None = None,
        scopes: Sequence[str] | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.outputs, self.secret_key = outputs, secret_key
        self.redirect_uri, self.scopes, self.http = redirect_uri, scopes, http
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        secret_key = self.secret_key or app.config.get("SECRET_KEY")
        if not secret_key:
            raise ValueError("Authenticator needs secret_key= or the app's SECRET_KEY")
        client = AuthClient(
            self.outputs, secret_key, redirect_uri=self.redirect_uri, scopes=self.scopes, http=self.http
        )
        app.extensions[_EXTENSION] = client
        app.add_url_rule(client.callback_path, "userpool_callback", _handle, methods=["GET"])
        app.add_url_rule(SIGN_IN_PATH, "userpool_sign_in", _handle, methods=["GET"])
        app.add_url_rule(SIGN_OUT_PATH, "userpool_sign_out", _handle, methods=["POST"])

    def client(self) -> AuthClient:
        """The OAuth client of the current app."""
        client: AuthClient = current_app.extensions[_EXTENSION]
        return client

    def with_authenticator(self, view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        """Run `view` only for a signed-in visitor, with `user=` and `sign_out=` keyword arguments."""

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            result = self.client().guard(_web_request())
            if isinstance(result, Reply):
                return _response(result)
            assert result.user is not None and result.sign_out is not None  # guard(required=True)
            run = current_app.ensure_sync(view)  # `async def` views too, as Flask runs them
            response = make_response(run(*args, user=result.user, sign_out=result.sign_out, **kwargs))
            for cookie in result.cookies:
                response.headers.add("Set-Cookie", cookie.header())
            return response

        return wrapped


def _handle() -> Response:
    client: AuthClient = current_app.extensions[_EXTENSION]
    csrf_token = request.form.get("csrf_token") if request.method == "POST" else None
    return _response(client.handle(_web_request(), csrf_token))


def _web_request() -> WebRequest:
    query = request.query_string.decode("latin-1")
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    target = (
        raw if isinstance(raw, str) and raw.startswith("/") else quote(request.path) + (f"?{query}" if query else "")
    )
    return WebRequest(
        method=request.method,
        origin=f"{request.scheme}://{request.host}",
        path=request.path,
        query=query,
        target=target,
        cookies=request.cookies,
        accept=request.headers.get("Accept", ""),
        fetch_mode=request.headers.get("Sec-Fetch-Mode", ""),
    )


def _response(reply: Reply) -> Response:
    response = Response(reply.body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers:
        response.headers.add(name, value)
    return response
