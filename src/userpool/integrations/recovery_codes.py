"""Recovery codes from an app: generate a signed-in user's ten codes, or read how many are left, with the
session's access token, through the pool's documented extension actions (docs/recovery-codes.md).

    from userpool.integrations import AuthConfig
    from userpool.integrations.recovery_codes import RecoveryCodes

    codes = RecoveryCodes(AuthConfig.from_outputs("amplify_outputs.json"))
    fresh = codes.generate(user)  # `user` from current_user(...): ten codes, shown to the user once
    left = codes.remaining(user)

`user` may also be an access token (a string). A refusal is a `RecoveryCodesError` naming the pool's
error (`InvalidParameterException` when the user has no MFA factor on, `NotAuthorizedException` for a
token the pool no longer accepts); a pool that cannot be reached or answers garbage is one too, named
`ServiceUnavailable`. These actions are userpool's own: Amazon Cognito does not answer them.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from userpool.integrations._model import AuthConfig, User

__all__ = ["RecoveryCodes", "RecoveryCodesError"]

TARGET_PREFIX = "UserpoolExtensions."


class RecoveryCodesError(Exception):
    """The pool refused (`code` is its error name, e.g. InvalidParameterException) or could not be reached."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RecoveryCodes:
    """`config`: the app's `AuthConfig` (its `api_url` is the pool's JSON endpoint). `http`: an httpx client
    to reuse (tests pass one); without it each call makes its own request."""

    def __init__(self, config: AuthConfig, *, http: httpx.Client | None = None, timeout: float = 10) -> None:
        self.url = config.api_url
        self._http = http
        self._timeout = timeout

    def generate(self, user: User | str) -> list[str]:
        """Ten new single-use codes; every earlier code stops working. Show them once: they cannot be read back."""
        answer = self._call("GenerateRecoveryCodes", user)
        codes = answer.get("RecoveryCodes")
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise RecoveryCodesError("ServiceUnavailable", "the pool's answer had no RecoveryCodes")
        return list(codes)

    def remaining(self, user: User | str) -> int:
        """How many of the user's codes are still unused (0 to 10)."""
        left = self._call("GetRecoveryCodeStatus", user).get("RecoveryCodesRemaining")
        if not isinstance(left, int) or isinstance(left, bool):
            raise RecoveryCodesError("ServiceUnavailable", "the pool's answer had no RecoveryCodesRemaining")
        return left

    def _call(self, action: str, user: User | str) -> dict[str, Any]:
        token = user if isinstance(user, str) else user.tokens.access_token
        body = json.dumps({"AccessToken": token})
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET_PREFIX + action}
        try:
            if self._http is not None:
                response = self._http.post(self.url, content=body, headers=headers, timeout=self._timeout)
            else:
                response = httpx.post(self.url, content=body, headers=headers, timeout=self._timeout)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise RecoveryCodesError("ServiceUnavailable", f"the pool could not be reached: {err}") from None
        if not isinstance(answer, dict):
            raise RecoveryCodesError("ServiceUnavailable", "the pool's answer was not a JSON object")
        if response.status_code != 200:
            code = str(answer.get("__type", "")).rsplit("#", 1)[-1] or f"HTTP {response.status_code}"
            raise RecoveryCodesError(code, str(answer.get("message", "")))
        return answer
