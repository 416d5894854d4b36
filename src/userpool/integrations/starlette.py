"""`with_authenticator` for Starlette (and FastAPI: see `userpool.integrations.fastapi`): the whole app
behind the hosted Authenticator.

    import os

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from userpool.integrations.starlette import with_authenticator


    async def home(request: Request) -> HTMLResponse:
        user, sign_out = request.state.user, request.state.sign_out
        return HTMLResponse(f"<h1>Hello {user.login_id}</h1>{sign_out.form()}")


    app = with_authenticator(
        Starlette(routes=[Route("/", home)]), outputs="amplify_outputs.json", secret_key=os.environ["SECRET_KEY"]
    )

A page only for one group, and the user where the middleware lets everybody through (`public_paths`):

    from userpool.integrations.starlette import current_user, require_group


    @require_group("ADMINS")  # 403 for a signed-in user outside ADMINS
    async def admins(request: Request) -> HTMLResponse:
        return HTMLResponse(f"<h1>Admins</h1><p>{request.state.user.login_id}</p>")


    async def public_profile(request: Request) -> HTMLResponse:  # under a public path
        user = current_user(request)  # signed out: a redirect to sign in (page load) or 401
        return HTMLResponse(user.login_id)

What the middleware does:

- A signed-out visitor loading a page (GET/HEAD navigation) is redirected to the hosted Authenticator
  (`<endpoint>/oauth2/authorize`, PKCE S256); any other signed-out request gets 401. Paths under one of
  `public_paths` are let through, with `request.state.user` None when nobody is signed in.
- It answers `GET /auth/callback` (the code exchange), `GET /auth/sign-in?next=/path`, and
  `POST /auth/sign-out` (CSRF-checked; revokes the refresh token and ends the hosted session; with the form
  field `global=true`, from `sign_out.form(global_=True)`, it calls GlobalSignOut instead, ending every
  session of the user) itself.
- For a signed-in visitor it sets `request.state.user` (also `request.user`), a `User`, and
  `request.state.sign_out`, a `SignOut` (`sign_out.url`, `sign_out.csrf_token`, `sign_out.form()`; in Jinja
  `{{ sign_out }}` renders the button). Expired tokens are refreshed on the way, silently.

`current_user(request)` and `current_sign_out(request)` read what the middleware found; signed out, they
raise `HTTPException`: a 302 to the hosted Authenticator for a page load, 401 otherwise. `@require_group(g)`
on an endpoint (sync or async, a function or an `HTTPEndpoint` method) does the same, then raises
`HTTPException(403)` for a user outside group `g` (`user.groups`: the tokens' `cognito:groups`). Handle
those status codes with the app's `exception_handlers` for pages of your own.

`outputs` is the path of `amplify_outputs.json` (or its parsed content). The OAuth redirect URI is the
request's own origin + `/auth/callback` unless `redirect_uri` is given; the app is expected at the root of
its origin (behind a proxy, run uvicorn with `--proxy-headers` so https is seen as https).
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, NoReturn, TypeVar, cast

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from userpool.integrations._client import AuthClient
from userpool.integrations._model import GLOBAL_FIELD, AuthConfig, Cookie, Reply, SignOut, User, WebRequest

__all__ = [
    "AuthenticatorMiddleware",
    "SignOut",
    "User",
    "check_group",
    "current_sign_out",
    "current_user",
    "require_group",
    "with_authenticator",
]

_CLIENT = "userpool"  # where in the scope's state the middleware leaves its AuthClient
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class AuthenticatorMiddleware:
    """ASGI middleware: see the module docstring. Usable as `Middleware(AuthenticatorMiddleware, ...)`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        outputs: str | os.PathLike[str] | Mapping[str, Any] | AuthConfig = "amplify_outputs.json",
        secret_key: str | bytes,
        redirect_uri: str | None = None,
        scopes: Sequence[str] | None = None,
        public_paths: Collection[str] = (),
        http: httpx.Client | None = None,
    ) -> None:
        self.app = app
        self.client = AuthClient(outputs, secret_key, redirect_uri=redirect_uri, scopes=scopes, http=http)
        self.public_paths = tuple(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        request = _web_request(connection, scope)
        if scope["type"] == "http" and (route := self.client.route(request.path)) is not None:
            allowed = "POST" if route == "sign-out" else "GET"
            if request.method != allowed:
                await _send(send, Reply(405, [("Allow", allowed)]))
                return
            fields: dict[str, str] = {}
            if route == "sign-out":
                try:
                    async with Request(scope, receive).form(max_files=0, max_fields=20) as form:
                        for name in ("csrf_token", GLOBAL_FIELD):
                            if isinstance(value := form.get(name), str):
                                fields[name] = value
                except HTTPException:  # a body that is no form: no CSRF token, so 403 below
                    pass
            await _send(send, await run_in_threadpool(self.client.handle, request, fields))
            return
        public = request.path.startswith(self.public_paths) if self.public_paths else False
        if self.client.needs_refresh(request):
            result = await run_in_threadpool(self.client.guard, request, required=not public)
        else:
            result = self.client.guard(request, required=not public)
        if isinstance(result, Reply):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": "Not signed in"})
            else:
                await _send(send, result)
            return
        state = {**(scope.get("state") or {}), "user": result.user, "sign_out": result.sign_out, _CLIENT: self.client}
        scope = {**scope, "state": state, "user": result.user}
        await self.app(scope, receive, _with_cookies(send, result.cookies) if result.cookies else send)


def with_authenticator(
    app: ASGIApp,
    *,
    outputs: str | os.PathLike[str] | Mapping[str, Any] | AuthConfig = "amplify_outputs.json",
    secret_key: str | bytes,
    redirect_uri: str | None = None,
    scopes: Sequence[str] | None = None,
    public_paths: Collection[str] = (),
    http: httpx.Client | None = None,
) -> AuthenticatorMiddleware:
    """`app` behind the hosted Authenticator: Amplify's `withAuthenticator(App)` for an ASGI app."""
    return AuthenticatorMiddleware(
        app,
        outputs=outputs,
        secret_key=secret_key,
        redirect_uri=redirect_uri,
        scopes=scopes,
        public_paths=public_paths,
        http=http,
    )


def current_user(request: HTTPConnection) -> User:
    """The signed-in user. Signed out (on one of `public_paths`), `HTTPException`: a 302 to the hosted
    Authenticator, coming back here, for a page load; 401 otherwise."""
    user = _state(request).get("user")
    if not isinstance(user, User):
        _signed_out(request)
    return user


def current_sign_out(request: HTTPConnection) -> SignOut:
    """The sign-out button of the signed-in user; signed out, as `current_user`."""
    sign_out = _state(request).get("sign_out")
    if not isinstance(sign_out, SignOut):
        _signed_out(request)
    return sign_out


def require_group(group: str) -> Callable[[Endpoint], Endpoint]:
    """A decorator for endpoints only members of `group` may use: signed out, as `current_user`; signed
    in but outside the group, `HTTPException(403)`."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        if inspect.iscoroutinefunction(endpoint):

            @functools.wraps(endpoint)
            async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
                check_group(_connection(args, kwargs), group)
                return await endpoint(*args, **kwargs)

            return cast(Endpoint, wrapped_async)

        @functools.wraps(endpoint)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            check_group(_connection(args, kwargs), group)
            return endpoint(*args, **kwargs)

        return cast(Endpoint, wrapped)

    return decorate


def check_group(request: HTTPConnection, group: str) -> User:
    """The signed-in user if a member of `group`; otherwise `HTTPException` (302/401 signed out, 403)."""
    user = current_user(request)
    if not user.in_group(group):
        raise HTTPException(403, f"This page is only for members of the group {group}.")
    return user


def _state(request: HTTPConnection) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.get("state") or {}
    if not isinstance(state.get(_CLIENT), AuthClient):
        raise RuntimeError(
            "userpool's AuthenticatorMiddleware is not in front of this app: wrap it with "
            "with_authenticator(app, ...) or add_middleware(AuthenticatorMiddleware, ...)"
        )
    return state


def _signed_out(request: HTTPConnection) -> NoReturn:
    client: AuthClient = _state(request)[_CLIENT]
    reply = client.signed_out(_web_request(request, request.scope))
    # At most one Set-Cookie (the sign-in attempt's), so a dict of headers holds them all.
    raise HTTPException(reply.status, reply.body or None, headers=dict(reply.all_headers()))


def _connection(args: Sequence[Any], kwargs: Mapping[str, Any]) -> HTTPConnection:
    for value in [*args, *kwargs.values()]:
        if isinstance(value, HTTPConnection):
            return value
    raise TypeError("require_group: the endpoint was called without its request")


def _web_request(connection: HTTPConnection, scope: Scope) -> WebRequest:
    url = connection.url
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) and raw_path else url.path
    query = scope.get("query_string", b"").decode("latin-1")
    scheme = {"ws": "http", "wss": "https"}.get(url.scheme, url.scheme)
    return WebRequest(
        method=scope.get("method", "GET"),
        origin=f"{scheme}://{url.netloc}",
        path=scope["path"],
        query=query,
        target=path + (f"?{query}" if query else ""),
        cookies=connection.cookies,
        accept=connection.headers.get("accept", ""),
        fetch_mode=connection.headers.get("sec-fetch-mode", ""),
    )


async def _send(send: Send, reply: Reply) -> None:
    body = reply.body.encode()
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.all_headers()]
    headers += [(b"content-type", reply.content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _with_cookies(send: Send, cookies: Sequence[Cookie]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = [(b"set-cookie", c.header().encode("latin-1")) for c in cookies]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending
