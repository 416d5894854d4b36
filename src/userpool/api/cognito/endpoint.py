"""The JSON 1.1 endpoint: parse, validate, dispatch, render — and never let a traceback out.

Errors carry Cognito's name twice, as clients read it from different places: the body's `__type`
(botocore, amazon-cognito-identity-js) and the `x-amzn-ErrorType` header (Amplify v6).
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from userpool.api import equal_time
from userpool.api.client_address import client_address
from userpool.api.cognito import admin_actions, extensions, shapes
from userpool.api.cognito.actions import ACTIONS
from userpool.api.threads import run_sync
from userpool.core import rate_limits
from userpool.core.errors import (
    CognitoError,
    InternalErrorException,
    SerializationException,
    UnknownOperationException,
    UnsupportedOperationException,
)
from userpool.core.flows import access_keys
from userpool.core.sigv4 import SignedRequest
from userpool.service import AUDIT, UserPool

log = logging.getLogger("userpool.api")

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"
HANDLERS = {**ACTIONS, **admin_actions.ADMIN_ACTIONS}
MAX_BODY = 256 * 1024  # far above any real request (a few KB); refuse before parsing

# The actions each per-address rate limit counts (core/rate_limits.py); the others are not limited by address.
RATE_LIMITED = {
    "InitiateAuth": rate_limits.SIGN_IN,
    "RespondToAuthChallenge": rate_limits.SIGN_IN,
    "SignUp": rate_limits.SIGN_UP,
    "ConfirmSignUp": rate_limits.SIGN_UP,
    "VerifySoftwareToken": rate_limits.SIGN_IN,  # a TOTP guess, at sign-in (MFA_SETUP) or with a token
    "ResendConfirmationCode": rate_limits.CODE_SEND,
    "GetUserAttributeVerificationCode": rate_limits.CODE_SEND,
    "VerifyUserAttribute": rate_limits.CODE_SEND,
    "ForgotPassword": rate_limits.PASSWORD_RESET,
    "ConfirmForgotPassword": rate_limits.PASSWORD_RESET,
}


# Read-only actions cheap enough to run on the event loop when the store reads in-process (SQLite): the
# hand-off to a flow thread and back costs more than the work (GetUser: 0.45 → 0.33 ms of CPU per request,
# `python -m bench.asgi`). They never wait: an optimistic unit that only reads takes no lock, WAL readers
# never wait for the writer, and the connection pool has overflow beyond the flow threads' connections.
# On PostgreSQL every statement is a round trip, which would stall the loop, so they go to a thread.
ON_LOOP = frozenset({"GetUser"})

# Request ids name a request in the logs; they guard nothing, so they need no fresh bytes from the kernel.
# uuid4() reads os.urandom, a system call that also lets go of the GIL on the event loop's thread.
_IDS = random.Random(os.urandom(32))  # noqa: S311 - not a secret (above)


def _request_id() -> str:
    return str(uuid.UUID(int=_IDS.getrandbits(128), version=4))


def _response(status: int, body: dict[str, Any], request_id: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id, **(headers or {})},
    )


def error_response(err: CognitoError, request_id: str) -> Response:
    # Header values must be printable ASCII: validation messages echo the value sent, which may hold anything.
    message = "".join(c if " " <= c <= "~" else "?" for c in err.message[:1000])
    headers = {"x-amzn-ErrorType": f"{err.code}:", "x-amzn-ErrorMessage": message}
    if err.retry_after is not None:  # a rate limit knows when its bucket has a token again
        headers["Retry-After"] = str(max(1, math.ceil(err.retry_after)))
    return _response(err.status, {"__type": err.code, "message": err.message}, request_id, headers)


def _parse(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY:
        raise SerializationException(f"Request body is larger than {MAX_BODY} bytes")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise SerializationException("The request body is not valid JSON") from None
    except RecursionError:  # arrays or objects nested thousands deep: no real request is
        raise SerializationException("The request body nests JSON too deeply") from None
    if not isinstance(body, dict):
        raise SerializationException("The request body must be a JSON object")
    return body


def _signed_request(request: Request, body: bytes) -> SignedRequest:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():  # repeated headers: joined with "," as SigV4 canonicalises them
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    return SignedRequest(request.method, raw_path.decode("latin-1"), query.decode("latin-1"), headers, body)


async def handle(request: Request) -> Response:
    pool: UserPool = request.app.state.pool
    request_id = _request_id()
    try:
        target = request.headers.get("x-amz-target", "")
        if target.startswith(extensions.TARGET_PREFIX):  # userpool's own actions (recovery codes)
            extension = extensions.EXTENSIONS.get(target[len(extensions.TARGET_PREFIX) :])
            if extension is None:
                raise UnknownOperationException(f"Unknown operation {target}")
            body = _parse(await request.body())
            return _response(200, await run_sync(extension, pool, body), request_id)
        if not target.startswith(TARGET_PREFIX):
            raise UnknownOperationException(f"Missing or unknown X-Amz-Target header; expected {TARGET_PREFIX}<Action>")
        action = target[len(TARGET_PREFIX) :]
        if action not in shapes.operations():
            raise UnknownOperationException(f"Unknown operation {action}")
        actor = ""
        if shapes.signed(action):  # the admin side: a SigV4 signature by an enabled access key
            raw = await request.body()
            signed = _signed_request(request, raw)
            key = await run_sync(pool.run, access_keys.authenticate, request=signed)
            actor = f"access-key:{key.id}"
        handler = HANDLERS.get(action)
        if handler is None:
            raise UnsupportedOperationException(f"{action} is not supported by this userpool server")
        body = _parse(await request.body())
        limited = RATE_LIMITED.get(action)
        if limited is not None:  # before validation: malformed requests spend tokens too
            await run_sync(pool.limit, limited, client_address(request))
        shapes.validate(action, body)
        audited = AUDIT.set(admin_actions.audit_entry(action, body, actor) if actor else None)
        try:
            hold = equal_time.api_key(action, body)
            if hold is not None:  # names a user: no sooner than the known path would answer (api/equal_time.py)
                client_id = str(body.get("ClientId", ""))
                result = await equal_time.run(pool, hold, client_id, handler, pool, body)
            elif action in ON_LOOP and pool.store.reads_in_process:
                result = handler(pool, body)
            else:
                result = await run_sync(handler, pool, body)
        finally:
            AUDIT.reset(audited)
        return _response(200, result, request_id)
    except CognitoError as err:
        return error_response(err, request_id)
    except Exception:
        log.exception("internal error in request %s", request_id)
        return error_response(
            InternalErrorException("Internal server error; see the server log for request " + request_id),
            request_id,
        )
