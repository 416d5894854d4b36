"""The one place the HTTP surface is assembled: every route the server answers is listed here."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from userpool.api import sandbox, wellknown
from userpool.api.client_address import Network, client_address
from userpool.api.cognito import endpoint as cognito
from userpool.core.context import Origin
from userpool.crypto.passwords import share_one_malloc_arena
from userpool.service import ORIGIN, UserPool

# What browsers running Amplify or amazon-cognito-identity-js send and read (cognito-protocol §8.3).
CORS_HEADERS = [
    "content-type",
    "x-amz-target",
    "x-amz-user-agent",
    "cache-control",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
]
EXPOSE_HEADERS = ["x-amzn-RequestId", "x-amzn-ErrorType", "x-amzn-ErrorMessage", "Date"]


async def health(request: Request) -> Response:
    pool: UserPool = request.app.state.pool
    return JSONResponse({"status": "ok", "user_pool_id": pool.config.pool_id})


class OriginMiddleware:
    """Notes each request's client address and user agent for the flows it runs (`service.ORIGIN`): the
    console's audit log and the users' sign-in events say where a change or a sign-in came from. The address
    is the one the rate limits count (`api/client_address.py`: the peer, or X-Forwarded-For from a trusted
    proxy).

    It also takes the JSON API's own calls (`POST /`) that carry no `Origin` header — SDKs outside a browser
    — straight to the endpoint: for them CORS adds nothing and the router can only pick that one route, and
    the layers between (CORS, exception handling, routing, Starlette's request-response wrapper) were a
    tenth of a GetUser's server CPU. The endpoint never raises (every error is its answer), so the answer
    is the one the full stack gives. Browser calls (with `Origin`) and every other route take the full stack.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        agent, direct = b"", scope["method"] == "POST" and scope["path"] == "/"
        for name, value in scope["headers"]:
            if name == b"user-agent":
                agent = value
            elif name == b"origin":
                direct = False
        request = Request(scope, receive)
        token = ORIGIN.set(Origin(ip=client_address(request), user_agent=agent.decode("latin-1")[:512]))
        try:
            if direct:
                response = await cognito.handle(request)
                await response(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            ORIGIN.reset(token)


def build_app(
    pool: UserPool,
    *,
    sandbox_mode: bool,
    extra_routes: list[BaseRoute] | None = None,
    trusted_proxies: tuple[Network, ...] = (),
) -> Starlette:
    """`trusted_proxies`: peers whose X-Forwarded-For names the client (api/client_address.py)."""
    share_one_malloc_arena()  # before any flow thread starts: bounds argon2id's memory (crypto/passwords.py)
    routes: list[BaseRoute] = [
        Route("/", cognito.handle, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/{pool_id}/.well-known/jwks.json", wellknown.jwks, methods=["GET"]),
        Route("/{pool_id}/.well-known/openid-configuration", wellknown.openid_configuration, methods=["GET"]),
    ]
    if sandbox_mode:
        routes.append(Route("/_sandbox/messages", sandbox.messages, methods=["GET"]))
    routes.extend(extra_routes or [])
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(OriginMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=CORS_HEADERS,
                expose_headers=EXPOSE_HEADERS,
                max_age=600,
            ),
        ],
    )
    app.state.pool = pool
    app.state.sandbox = sandbox_mode
    app.state.trusted_proxies = trusted_proxies
    return app
