"""How the OAuth endpoints answer: RFC 6749 §5.1/§5.2 JSON, never cached, never a traceback."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from userpool.core.flows.hosted import OAuthError

log = logging.getLogger("userpool.oauth")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
Endpoint = Callable[[Request], Awaitable[Response]]


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def oauth_error(err: OAuthError, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": err.error, "error_description": err.message}, err.http_status, headers=headers)


def json_guard(endpoint: Endpoint) -> Endpoint:
    """An unexpected failure is logged and answered `server_error` (RFC 6749 §4.1.2.1), without details."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception:
            log.exception("internal error in %s %s", request.method, request.url.path)
            return json_response({"error": "server_error", "error_description": "Internal error."}, 500)

    return guarded
