"""POST /oauth2/token (RFC 6749 §4.1.3, §4.4, §6) and POST /oauth2/revoke (RFC 7009).

Form-encoded requests only. A client with a secret authenticates with HTTP Basic or `client_secret` in the
form; a client without one sends `client_id` and proves the code with PKCE instead.

Every request spends a token of its address's `sign_in` bucket (core/rate_limits.py) before anything else,
whatever its grant: each one can guess a secret (a code, a refresh token, a client secret). Over the limit:
HTTP 429 (RFC 6585) with Retry-After and the extension error `too_many_requests` (RFC 6749 §8.5).
"""

from __future__ import annotations

import math
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from userpool.api.client_address import client_address
from userpool.api.oauth.context import pool_of, run_flow
from userpool.api.oauth.params import client_credentials, read_form
from userpool.api.oauth.responses import json_guard, json_response, oauth_error
from userpool.core import rate_limits
from userpool.core.errors import CognitoError, LimitExceededException, TooManyRequestsException
from userpool.core.flows import token_endpoint
from userpool.core.flows.hosted import OAuthError
from userpool.core.flows.token_endpoint import TokenGrant

_NOT_A_FORM = OAuthError("invalid_request", "The body must be a form (application/x-www-form-urlencoded).")
THROTTLED = "too_many_requests"


def _throttled(err: CognitoError) -> Response:
    """A refusal for load (the address's rate limit, or a busy store): 429, and when to come back if known."""
    headers = {"Retry-After": str(max(1, math.ceil(err.retry_after)))} if err.retry_after is not None else {}
    return oauth_error(OAuthError(THROTTLED, err.message, http_status=429), headers)


async def _limit(request: Request) -> None:
    """Spend a token of the client address's sign-in bucket; TooManyRequestsException when it is empty."""
    await run_in_threadpool(pool_of(request).limit, rate_limits.SIGN_IN, client_address(request))


def _auth_headers(request: Request, err: OAuthError) -> dict[str, str]:
    """RFC 6749 §5.2: a 401 to HTTP Basic credentials names the scheme the client should use."""
    if err.http_status == 401 and request.headers.get("authorization", "").lower().startswith("basic"):
        return {"WWW-Authenticate": 'Basic realm="userpool"'}
    return {}


def _token_body(grant: TokenGrant) -> dict[str, Any]:
    result = grant.result
    body: dict[str, Any] = {
        "access_token": result.access_token,
        "expires_in": result.expires_in,
        "token_type": result.token_type,
    }
    if grant.includes_id_token:
        body["id_token"] = result.id_token
    if result.refresh_token is not None:
        body["refresh_token"] = result.refresh_token
    return body


@json_guard
async def token(request: Request) -> Response:
    try:
        await _limit(request)  # first: a malformed request spends its token too
        form = await read_form(request)
        if form is None:
            raise _NOT_A_FORM
        client_id, secret = client_credentials(request, form)
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            grant = await run_flow(
                request,
                token_endpoint.exchange_code,
                client_id=client_id,
                client_secret=secret,
                code=form.get("code", ""),
                redirect_uri=form.get("redirect_uri", ""),
                code_verifier=form.get("code_verifier", ""),
            )
        elif grant_type == "refresh_token":
            grant = await run_flow(
                request,
                token_endpoint.refresh_grant,
                client_id=client_id,
                client_secret=secret,
                refresh_token=form.get("refresh_token", ""),
            )
        elif grant_type == "client_credentials":
            grant = await run_flow(
                request,
                token_endpoint.client_credentials_grant,
                client_id=client_id,
                client_secret=secret,
                scope=form.get("scope", ""),
            )
        elif not grant_type:
            raise OAuthError("invalid_request", "grant_type is required.")
        else:
            raise OAuthError("unsupported_grant_type", "Use authorization_code, refresh_token or client_credentials.")
    except OAuthError as err:
        return oauth_error(err, _auth_headers(request, err))
    except (TooManyRequestsException, LimitExceededException) as err:
        return _throttled(err)
    return json_response(_token_body(grant))


@json_guard
async def revoke(request: Request) -> Response:
    try:
        await _limit(request)  # a revocation authenticates the client: as much a guess as a token request
        form = await read_form(request)
        if form is None:
            raise _NOT_A_FORM
        client_id, secret = client_credentials(request, form)
        hint = form.get("token_type_hint", "")
        if hint and hint != "refresh_token":
            raise OAuthError("unsupported_token_type", "Only refresh tokens can be revoked.")
        await run_flow(
            request, token_endpoint.revoke, client_id=client_id, client_secret=secret, token=form.get("token", "")
        )
    except OAuthError as err:
        return oauth_error(err, _auth_headers(request, err))
    except (TooManyRequestsException, LimitExceededException) as err:
        return _throttled(err)
    return json_response({})
