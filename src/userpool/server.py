"""The one place the HTTP surface is assembled: every route the server answers is listed here."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from userpool.api import sandbox, wellknown
from userpool.api.cognito import endpoint as cognito
from userpool.crypto.passwords import share_one_malloc_arena
from userpool.service import UserPool

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


def build_app(pool: UserPool, *, sandbox_mode: bool, extra_routes: list[BaseRoute] | None = None) -> Starlette:
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
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=CORS_HEADERS,
                expose_headers=EXPOSE_HEADERS,
                max_age=600,
            )
        ],
    )
    app.state.pool = pool
    app.state.sandbox = sandbox_mode
    return app
