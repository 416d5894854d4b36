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
        return f"<h1>Hello {escape(user.login_id)}</h1>{sign_out.form()}{sign_out.form(global_=True)}"


    @app.get("/admins")
    @auth.require_group("ADMINS")
    def admins(user, sign_out):
        return f"<h1>Admins</h1><p>{escape(user.login_id)}</p>"

`Authenticator(app, ...)` registers `GET /auth/callback` (the code exchange), `GET /auth/sign-in?next=/path`
and `POST /auth/sign-out` (CSRF-checked; revokes the refresh token and ends the hosted session; with the
form field `global=true`, from `sign_out.form(global_=True)`, it calls GlobalSignOut instead, ending every
session of the user). Without `secret_key` it uses the app's `SECRET_KEY`; `Authenticator(outputs=...)` then
`auth.init_app(app)` works for app factories.

A view decorated with `@auth.with_authenticator` runs only for a signed-in visitor and is called with the
keyword arguments `user` (a `User`: `username`, `sub`, `login_id`, `attributes`, `groups`, `tokens`) and
`sign_out` (a `SignOut`: `url`, `csrf_token`, `form()`; in Jinja `{{ sign_out }}` renders the button). A
signed-out visitor loading a page is redirected to the hosted Authenticator (PKCE S256); any other
signed-out request gets 401. Expired tokens are refreshed on the way, silently.

`@auth.require_group("ADMINS")` does the same (use it instead of `@auth.with_authenticator`, or under it),
then `abort(403)` for a signed-in user outside the group (`user.groups`: the tokens' `cognito:groups`), so
the app's `@app.errorhandler(403)` page applies. `auth.current_user()` is the signed-in `User` or None, for
views that serve everybody (it refreshes expired tokens too).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from flask import Flask, Response, abort, after_this_request, current_app, g, make_response, request
from flask.typing import ResponseReturnValue

from userpool.integrations._client import AuthClient
from userpool.integrations._model import (
    GLOBAL_FIELD,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    AuthConfig,
    Cookie,
    Granted,
    Reply,
    SignOut,
    User,
    WebRequest,
)

__all__ = ["Authenticator", "SignOut", "User"]

_EXTENSION = "userpool"
View = Callable[..., ResponseReturnValue]


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

    def with_authenticator(self, view: View) -> View:
        """Run `view` only for a signed-in visitor, with `user=` and `sign_out=` keyword arguments."""
        return self._guarded(view, None)

    def require_group(self, group: str) -> Callable[[View], View]:
        """As `with_authenticator`, and `abort(403)` for a signed-in user outside `group`."""
        return lambda view: self._guarded(view, group)

    def current_user(self) -> User | None:
        """The signed-in user of this request, or None (tokens refreshed on the way, as for the decorators)."""
        if "userpool_user" not in g:
            result = self.client().guard(_web_request(), required=False)
            assert isinstance(result, Granted)  # guard(required=False) lets everybody through
            _add_cookies_later(result.cookies)
            g.userpool_user, g.userpool_sign_out = result.user, result.sign_out
        user: User | None = g.userpool_user
        return user

    def _guarded(self, view: View, group: str | None) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            run = current_app.ensure_sync(view)  # `async def` views too, as Flask runs them
            if isinstance(kwargs.get("user"), User):  # under another of our decorators: signed in already
                if group is not None and not kwargs["user"].in_group(group):
                    abort(403, description=f"This page is only for members of the group {group}.")
                return run(*args, **kwargs)  # type: ignore[no-any-return]
            if "userpool_user" in g:  # current_user() ran first (its cookies are on their way)
                user, sign_out, cookies = g.userpool_user, g.userpool_sign_out, []
                if user is None:
                    return _response(self.client().signed_out(_web_request()))
            else:
                result = self.client().guard(_web_request())
                if isinstance(result, Reply):
                    return _response(result)
                assert result.user is not None and result.sign_out is not None  # guard(required=True)
                user, sign_out, cookies = result.user, result.sign_out, list(result.cookies)
                g.userpool_user, g.userpool_sign_out = user, sign_out
            if group is not None and not user.in_group(group):
                _add_cookies_later(cookies)
                abort(403, description=f"This page is only for members of the group {group}.")
            response = make_response(run(*args, user=user, sign_out=sign_out, **kwargs))
            for cookie in cookies:
                response.headers.add("Set-Cookie", cookie.header())
            return response

        return wrapped


def _add_cookies_later(cookies: Sequence[Cookie]) -> None:
    if cookies:

        @after_this_request
        def add(response: Response) -> Response:
            for cookie in cookies:
                response.headers.add("Set-Cookie", cookie.header())
            return response


def _handle() -> Response:
    client: AuthClient = current_app.extensions[_EXTENSION]
    fields = {k: v for k in ("csrf_token", GLOBAL_FIELD) if (v := request.form.get(k)) is not None}
    return _response(client.handle(_web_request(), fields if request.method == "POST" else None))


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
    for name, value in reply.all_headers():
        response.headers.add(name, value)
    return response
