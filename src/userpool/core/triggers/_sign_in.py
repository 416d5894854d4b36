"""Sign-in: pre and post authentication, and the custom authentication trio (define, create, verify).

Built here so the sign-in flows only call them. `user` is None for a login name no user has; Cognito then
sends `userNotFound: true` (only when the client hides which users exist — otherwise the sign-in has
already failed with UserNotFoundException) and no attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from userpool.core.context import Ctx
from userpool.core.model import User
from userpool.core.triggers._dispatch import Response, boolean, dispatch, string, string_map, user_attributes


def _request(user: User | None, client_metadata: Mapping[str, str] | None, **members: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "userAttributes": user_attributes(user.attributes, user.status.value) if user is not None else {},
        **members,
    }
    if user is None:
        request["userNotFound"] = True
    if client_metadata:
        request["clientMetadata"] = dict(client_metadata)
    return request


def pre_authentication(
    ctx: Ctx,
    *,
    client_id: str | None,
    username: str,
    user: User | None,
    validation_data: Mapping[str, str] | None = None,
) -> None:
    """Before a sign-in is checked (PreAuthentication_Authentication): raising refuses it. Cognito passes
    InitiateAuth's ClientMetadata here as `validationData`."""
    if "pre_authentication" not in ctx.pool.triggers:  # every sign-in passes here: build no event for nobody
        return
    request = _request(user, None, validationData=dict(validation_data) if validation_data is not None else None)
    name = user.username if user is not None else username
    dispatch(
        ctx,
        "pre_authentication",
        "PreAuthentication_Authentication",
        username=name,
        client_id=client_id,
        request=request,
        response={},
        parse=lambda response: None,
    )


def post_authentication(
    ctx: Ctx,
    *,
    client_id: str | None,
    user: User,
    new_device_used: bool = False,
    client_metadata: Mapping[str, str] | None = None,
) -> None:
    """After a successful sign-in, before the tokens go out (PostAuthentication_Authentication)."""
    if "post_authentication" not in ctx.pool.triggers:
        return
    request = _request(user, client_metadata, newDeviceUsed=new_device_used)
    dispatch(
        ctx,
        "post_authentication",
        "PostAuthentication_Authentication",
        username=user.username,
        client_id=client_id,
        request=request,
        response={},
        parse=lambda response: None,
    )


@dataclass(frozen=True)
class ChallengeResult:
    """One answered challenge of a custom-auth sign-in, as `request.session` lists them."""

    challenge_name: str  # CUSTOM_CHALLENGE, SRP_A, PASSWORD_VERIFIER, SMS_MFA, ...
    challenge_result: bool
    challenge_metadata: str | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"challengeName": self.challenge_name, "challengeResult": self.challenge_result}
        if self.challenge_metadata is not None:
            out["challengeMetadata"] = self.challenge_metadata
        return out


@dataclass(frozen=True)
class DefineAuthChallenge:
    challenge_name: str | None
    issue_tokens: bool
    fail_authentication: bool


def define_auth_challenge(
    ctx: Ctx,
    *,
    client_id: str | None,
    username: str,
    user: User | None,
    session: Sequence[ChallengeResult],
    client_metadata: Mapping[str, str] | None = None,
) -> DefineAuthChallenge:
    """What comes next in a custom-auth sign-in: another challenge, tokens, or failure."""
    request = _request(user, client_metadata, session=[r.wire() for r in session])
    return dispatch(
        ctx,
        "define_auth_challenge",
        "DefineAuthChallenge_Authentication",
        username=user.username if user is not None else username,
        client_id=client_id,
        request=request,
        response={"challengeName": None, "issueTokens": False, "failAuthentication": False},
        parse=lambda response: DefineAuthChallenge(
            challenge_name=string("define_auth_challenge", response, "challengeName"),
            issue_tokens=boolean("define_auth_challenge", response, "issueTokens"),
            fail_authentication=boolean("define_auth_challenge", response, "failAuthentication"),
        ),
    )


@dataclass(frozen=True)
class CreateAuthChallenge:
    public_challenge_parameters: dict[str, str]
    private_challenge_parameters: dict[str, str]
    challenge_metadata: str | None


def create_auth_challenge(
    ctx: Ctx,
    *,
    client_id: str | None,
    username: str,
    user: User | None,
    challenge_name: str,
    session: Sequence[ChallengeResult],
    client_metadata: Mapping[str, str] | None = None,
) -> CreateAuthChallenge:
    """The challenge itself: public parameters for the client, private ones for verifying the answer."""
    request = _request(user, client_metadata, challengeName=challenge_name, session=[r.wire() for r in session])
    return dispatch(
        ctx,
        "create_auth_challenge",
        "CreateAuthChallenge_Authentication",
        username=user.username if user is not None else username,
        client_id=client_id,
        request=request,
        response={"publicChallengeParameters": None, "privateChallengeParameters": None, "challengeMetadata": None},
        parse=_create_auth_challenge,
    )


def _create_auth_challenge(response: Response) -> CreateAuthChallenge:
    name: Final = "create_auth_challenge"
    return CreateAuthChallenge(
        public_challenge_parameters=string_map(name, response, "publicChallengeParameters") or {},
        private_challenge_parameters=string_map(name, response, "privateChallengeParameters") or {},
        challenge_metadata=string(name, response, "challengeMetadata"),
    )


def verify_auth_challenge_response(
    ctx: Ctx,
    *,
    client_id: str | None,
    username: str,
    user: User | None,
    private_challenge_parameters: Mapping[str, str],
    challenge_answer: str,
    client_metadata: Mapping[str, str] | None = None,
) -> bool:
    """Whether the user's answer is right (`answerCorrect`)."""
    request = _request(
        user,
        client_metadata,
        privateChallengeParameters=dict(private_challenge_parameters),
        challengeAnswer=challenge_answer,
    )
    return dispatch(
        ctx,
        "verify_auth_challenge_response",
        "VerifyAuthChallengeResponse_Authentication",
        username=user.username if user is not None else username,
        client_id=client_id,
        request=request,
        response={"answerCorrect": None},
        parse=lambda response: boolean("verify_auth_challenge_response", response, "answerCorrect"),
    )
