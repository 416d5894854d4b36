"""GET/POST /oauth2/userInfo (OIDC Core §5.3) with a Bearer access token (RFC 6750 §2.1, §3)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import run_flow
from userpool.api.oauth.responses import json_guard, json_response
from userpool.core.flows import token_endpoint
from userpool.core.flows.hosted import OAuthError


def _challenge(err: OAuthError | None) -> dict[str, str]:
    if err is None:  # no credentials at all: name the scheme, no error code (RFC 6750 §3.1)
        return {"WWW-Authenticate": 'Bearer realm="userpool"'}
    return {"WWW-Authenticate": f'Bearer realm="userpool", error="{err.error}"'}


@json_guard
async def userinfo(request: Request) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        body = {"error": "invalid_request", "error_description": "Send the access token as a Bearer token."}
        return json_response(body, 401, _challenge(None))
    try:
        claims = await run_flow(request, token_endpoint.userinfo, token)
    except OAuthError as err:
        body = {"error": err.error, "error_description": err.message}
        return json_response(body, err.http_status, _challenge(err))
    return json_response(claims)
