"""The one dispatcher: every trigger call goes through `dispatch`, which builds Cognito's event, runs the
definition's callable through the `TriggerRunner` port (with Cognito's 5-second limit), turns what went
wrong into Cognito's error, and reports the call for the log.

    configured? ──no──▶ the response defaults (nothing runs)
        │yes
    runner.run(fn, event, timeout) ──raised──────▶ UserLambdaValidationException "<Name> failed with error <msg>."
        │                          ──timed out───▶ UnexpectedLambdaException "<Name> invocation failed due to ..."
        │returned the event, or None (mutated in place)
    event["response"] a dict? ──no──▶ InvalidLambdaResponseException "Unrecognizable lambda output"
        │yes
    the response (each trigger's parser checks its members: `boolean`, `string`, ...)

Every failure is an ordinary refusal, so the unit of work rolls back and the action leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, get_args

from userpool.core.context import Ctx
from userpool.core.errors import (
    InternalErrorException,
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from userpool.core.ports import TriggerCall

TriggerName = Literal[
    "create_auth_challenge",
    "custom_message",
    "define_auth_challenge",
    "post_authentication",
    "post_confirmation",
    "pre_authentication",
    "pre_sign_up",
    "pre_token_generation",
    "user_migration",
    "verify_auth_challenge_response",
]
TRIGGERS: tuple[TriggerName, ...] = get_args(TriggerName)

# Cognito's names for them (LambdaConfig keys): the prefix of every error message a trigger causes.
COGNITO_NAMES: Mapping[TriggerName, str] = {
    "create_auth_challenge": "CreateAuthChallenge",
    "custom_message": "CustomMessage",
    "define_auth_challenge": "DefineAuthChallenge",
    "post_authentication": "PostAuthentication",
    "post_confirmation": "PostConfirmation",
    "pre_authentication": "PreAuthentication",
    "pre_sign_up": "PreSignUp",
    "pre_token_generation": "PreTokenGeneration",
    "user_migration": "UserMigration",
    "verify_auth_challenge_response": "VerifyAuthChallengeResponse",
}

# Cognito waits 5 seconds for a trigger and the limit cannot be changed; the runner enforces it.
TIMEOUT = 5.0
# What Cognito puts in callerContext.awsSdkVersion when the caller's SDK did not say.
SDK_VERSION = "aws-sdk-unknown-unknown"
UNRECOGNIZABLE = "Unrecognizable lambda output"

Event = dict[str, Any]
Response = Mapping[str, Any]
T = TypeVar("T")


def configured(ctx: Ctx, name: TriggerName) -> bool:
    return name in ctx.pool.triggers


def user_attributes(attributes: Mapping[str, str], status: str | None = None) -> dict[str, str]:
    """`request.userAttributes` as Cognito sends it: the wire values, plus `cognito:user_status` for an
    existing user."""
    values = dict(attributes)
    if status is not None:
        values["cognito:user_status"] = status
    return values


def dispatch(
    ctx: Ctx,
    name: TriggerName,
    source: str,
    *,
    username: str | None,
    client_id: str | None,
    request: dict[str, Any],
    response: dict[str, Any],
    parse: Callable[[Response], T],
    version: str = "1",
) -> T:
    """Run the pool's `name` trigger on Cognito's event and return `parse(<its response object>)`; with no
    such trigger, `parse(response)` — the defaults. `source` is Cognito's triggerSource (PreSignUp_SignUp,
    ...); `parse` reads the members into the trigger's typed result, refusing wrong shapes."""
    fn = ctx.pool.triggers.get(name)
    if fn is None:
        return parse(response)
    runner = ctx.triggers
    if runner is None:
        raise InternalErrorException(f"The {COGNITO_NAMES[name]} trigger is configured but nothing runs triggers.")
    event: Event = {
        "version": version,
        "triggerSource": source,
        "region": ctx.pool.region,
        "userPoolId": ctx.pool.pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": SDK_VERSION, "clientId": client_id},
        "request": request,
        "response": response,
    }
    call = runner.run(name, fn, event, timeout=TIMEOUT)
    try:
        result = parse(_response(name, call, event))
    except (UserLambdaValidationException, UnexpectedLambdaException, InvalidLambdaResponseException) as err:
        runner.record(name, source, call.seconds, err.code)
        raise
    runner.record(name, source, call.seconds, "ok")
    return result


def _response(name: TriggerName, call: TriggerCall, event: Event) -> Response:
    label = COGNITO_NAMES[name]
    if call.timed_out:
        raise UnexpectedLambdaException(
            f"{label} invocation failed due to error Socket timeout while invoking Lambda function."
        )
    if call.error is not None:
        detail = str(call.error) or type(call.error).__name__
        raise UserLambdaValidationException(f"{label} failed with error {detail}.")
    returned = event if call.returned is None else call.returned  # mutated in place, or returned
    if not isinstance(returned, dict):
        raise InvalidLambdaResponseException(f"{UNRECOGNIZABLE}: {label} returned {type(returned).__name__}")
    if "response" not in returned:  # the response alone, say, instead of the event that holds it
        raise InvalidLambdaResponseException(f"{UNRECOGNIZABLE}: {label} returned an object without response")
    response = returned["response"]
    if response is None:  # a handler that cleared the response asks for the defaults
        return {}
    if not isinstance(response, dict):
        raise InvalidLambdaResponseException(f"{UNRECOGNIZABLE}: {label} response must be an object")
    return response


# -- reading a response's members --------------------------------------------------------------------------
# A member that is absent or null takes its default, as in Cognito; a member of the wrong type is refused,
# named by its path in the response ("claimsOverrideDetails.claimsToSuppress").


def _wrong(name: TriggerName, path: str, kind: str) -> InvalidLambdaResponseException:
    return InvalidLambdaResponseException(f"{UNRECOGNIZABLE}: {COGNITO_NAMES[name]} response.{path} must be {kind}")


def boolean(name: TriggerName, obj: Response, key: str, path: str = "") -> bool:
    value = obj.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _wrong(name, path + key, "a boolean")
    return value


def string(name: TriggerName, obj: Response, key: str, path: str = "") -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _wrong(name, path + key, "a string")
    return value


def strings(name: TriggerName, obj: Response, key: str, path: str = "") -> list[str] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _wrong(name, path + key, "a list of strings")
    return list(value)


def string_map(name: TriggerName, obj: Response, key: str, path: str = "") -> dict[str, str] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _wrong(name, path + key, "an object of strings")
    return dict(value)


def section(name: TriggerName, obj: Response, key: str, path: str = "") -> Response | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, dict):
        raise _wrong(name, path + key, "an object")
    return value


def refuse(name: TriggerName, detail: str) -> InvalidLambdaResponseException:
    """For a parser's own checks beyond types: "<Name> <detail>" (a claim that cannot change, a value
    outside its set)."""
    return InvalidLambdaResponseException(f"{UNRECOGNIZABLE}: {COGNITO_NAMES[name]} {detail}")
