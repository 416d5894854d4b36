"""`with_authenticator` for Starlette and FastAPI: the whole app behind the hosted Authenticator.

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

FastAPI, with the middleware added in place and the user as a dependency:

    import os

    from fastapi import Depends, FastAPI
    from fastapi.responses import HTMLResponse

    from userpool.integrations.starlette import AuthenticatorMiddleware, SignOut, User, current_sign_out, current_user

    api = FastAPI()
    api.add_middleware(AuthenticatorMiddleware, outputs="amplify_outputs.json", secret_key=os.environ["SECRET_KEY"])


    @api.get("/", response_class=HTMLResponse)
    def home(user: User = Depends(current_user), sign_out: SignOut = Depends(current_sign_out)) -> str:
        return f"<h1>Hello {user.login_id}</h1>{sign_out.form()}"

What the middleware does:

- A signed-out visitor loading a page (GET/HEAD navigation) is redirected to the hosted Authenticator
  (`<endpoint>/oauth2/authorize`, PKCE S256); any other signed-out request gets 401. Paths under one of
  `public_paths` are let through, with `request.state.user` None when nobody is signed in.
- It answers `GET /auth/callback` (the code exchange), `GET /auth/sign-in?next=/path`, and
  `POST /auth/sign-out` (CSRF-checked; revokes the refresh token and ends the hosted session) itself.
- For a signed-in visitor it sets `request.state.user` (also `request.user`), a `User`, and
  `request.state.sign_out`, a `SignOut` (`sign_out.url`, `sign_out.csrf_token`, `sign_out.form()`; in Jinja
  `{{ sign_out }}` renders the button). Expired tokens are refreshed on the way, silently.

`outputs` is the path of `amplify_outputs.json` (or its parsed content). The OAuth redirect URI is the
request's own origin + `/auth/callback` unless `redirect_uri` is given; the app is expected at the root of
its origin (behind a proxy, run uvicorn with `--proxy-headers` so https is seen as https).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from userpool.integrations._client import AuthClient
from userpool.integrations._model import AuthConfig, Cookie, Reply, SignOut, User, WebRequest

__all__ = [
    "AuthenticatorMiddleware",
    "SignOut",
    "User",
    "current_sign_out",
    "current_user",
    "with_authenticator",
]


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
            csrf_token = None
            if route == "sign-out":
                try:
                    async with Request(scope, receive).form(max_files=0, max_fields=20) as form:
                        value = form.get("csrf_token")
                        csrf_token = value if isinstance(value, str) else None
                except HTTPException:  # a body that is no form: no CSRF token, so 403 below
                    pass
            await _send(send, await run_in_threadpool(self.client.handle, request, csrf_token))
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
        state = {**(scope.get("state") or {}), "user": result.user, "sign_out": result.sign_out}
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


def current_user(request: Request) -> User:
    """The signed-in user (a FastAPI dependency: `user: User = Depends(current_user)`); 401 if none."""
    user = request.scope.get("state", {}).get("user")
    if not isinstance(user, User):
        raise HTTPException(401, "Not signed in")
    return user


def current_sign_out(request: Request) -> SignOut:
    """The sign-out button for the signed-in user (a FastAPI dependency); 401 if nobody is signed in."""
    sign_out = request.scope.get("state", {}).get("sign_out")
    if not isinstance(sign_out, SignOut):
        raise HTTPException(401, "Not signed in")
    return sign_out


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
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
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
