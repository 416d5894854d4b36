"""userpool's own actions on the Cognito JSON endpoint, under their own target prefix so no Cognito client
can mistake them for Cognito's: `X-Amz-Target: UserpoolExtensions.<Action>` (docs/recovery-codes.md).

Same transport as Cognito's actions (POST /, application/x-amz-json-1.1, errors as `__type`), authorised
by the user's access token like GetUser. Validation is by hand: botocore's model does not know them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpool.core.errors import InvalidParameterException
from userpool.core.flows import recovery_codes
from userpool.service import UserPool

TARGET_PREFIX = "UserpoolExtensions."
MAX_TOKEN = 4096
Body = dict[str, Any]


def _access_token(body: Body) -> str:
    token = body.get("AccessToken")
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_TOKEN:
        raise InvalidParameterException(
            "1 validation error detected: Value at 'accessToken' failed to satisfy constraint: "
            "Member must be a string of 1 to 4096 characters"
        )
    return token


def generate_recovery_codes(pool: UserPool, body: Body) -> Body:
    codes = pool.run(recovery_codes.generate, access_token=_access_token(body))
    return {"RecoveryCodes": codes, "RecoveryCodesRemaining": len(codes)}


def get_recovery_code_status(pool: UserPool, body: Body) -> Body:
    status = pool.run(recovery_codes.status, access_token=_access_token(body))
    return {"RecoveryCodesRemaining": status.remaining}


EXTENSIONS: dict[str, Callable[[UserPool, Body], Body]] = {
    "GenerateRecoveryCodes": generate_recovery_codes,
    "GetRecoveryCodeStatus": get_recovery_code_status,
}
