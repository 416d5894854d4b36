"""Every action that takes ClientMetadata (and SignUp's ValidationData) hands it to its triggers: the action
handlers called in process, on a pool whose triggers record what they get."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.api.cognito.actions import ACTIONS

ADA = "ada@example.com"
META = {"app": "web"}


class Seen:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def record(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return event

    def custom_challenge(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        response, session = event["response"], event["request"].get("session", [])
        if event["triggerSource"] == "DefineAuthChallenge_Authentication":
            if session and session[-1]["challengeResult"]:
                response["issueTokens"] = True
            else:
                response["challengeName"] = "CUSTOM_CHALLENGE"
        elif event["triggerSource"] == "VerifyAuthChallengeResponse_Authentication":
            response["answerCorrect"] = event["request"]["challengeAnswer"] == "yes"
        return event

    def metadata(self, source: str) -> list[Any]:
        """What each call of `source` got as clientMetadata (validationData for the two that take that)."""
        key = "validationData" if source.startswith("PreAuthentication") else "clientMetadata"
        return [e["request"].get(key) for e in self.events if e["triggerSource"] == source]


@pytest.fixture
def h(tmp_path: Path) -> Iterator[tuple[PoolHarness, Seen]]:
    seen = Seen()
    triggers = {
        name: seen.record
        for name in ("pre_sign_up", "post_confirmation", "custom_message", "pre_authentication", "post_authentication")
    }
    triggers |= {"pre_token_generation": seen.record}
    for name in ("define_auth_challenge", "create_auth_challenge", "verify_auth_challenge_response"):
        triggers[name] = seen.custom_challenge
    harness = make_pool(tmp_path, login_with={"email": True}, triggers=triggers)
    yield harness, seen
    harness.store.close()


def _call(h: PoolHarness, action: str, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = ACTIONS[action](h.pool, {"ClientId": h.client_id, "ClientMetadata": META, **body})
    return result


def test_client_metadata_reaches_every_trigger(h: tuple[PoolHarness, Seen]) -> None:
    pool, seen = h
    _call(
        pool,
        "SignUp",
        Username=ADA,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": ADA}],
        ValidationData=[{"Name": "invite", "Value": "X1"}],
    )
    [pre_sign_up] = [e for e in seen.events if e["triggerSource"] == "PreSignUp_SignUp"]
    assert pre_sign_up["request"]["validationData"] == {"invite": "X1"}
    assert pre_sign_up["request"]["clientMetadata"] == META
    _call(pool, "ResendConfirmationCode", Username=ADA)
    _call(pool, "ConfirmSignUp", Username=ADA, ConfirmationCode=pool.code_for(ADA))
    _call(pool, "ForgotPassword", Username=ADA)
    _call(pool, "ConfirmForgotPassword", Username=ADA, ConfirmationCode=pool.code_for(ADA), Password=PASSWORD)
    signed_in = _call(
        pool, "InitiateAuth", AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": ADA, "PASSWORD": PASSWORD}
    )
    token = signed_in["AuthenticationResult"]["AccessToken"]
    refresh = {"REFRESH_TOKEN": signed_in["AuthenticationResult"]["RefreshToken"]}
    _call(pool, "InitiateAuth", AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=refresh)
    ACTIONS["UpdateUserAttributes"](
        pool.pool,
        {
            "AccessToken": token,
            "UserAttributes": [{"Name": "email", "Value": "ada2@example.com"}],
            "ClientMetadata": META,
        },
    )
    ACTIONS["GetUserAttributeVerificationCode"](
        pool.pool, {"AccessToken": token, "AttributeName": "email", "ClientMetadata": META}
    )
    step = _call(pool, "InitiateAuth", AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": ADA})
    answer = {"USERNAME": step["ChallengeParameters"]["USERNAME"], "ANSWER": "yes"}
    _call(
        pool,
        "RespondToAuthChallenge",
        ChallengeName="CUSTOM_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses=answer,
    )
    for source in (
        "CustomMessage_SignUp",
        "CustomMessage_ResendCode",
        "PostConfirmation_ConfirmSignUp",
        "CustomMessage_ForgotPassword",
        "PostConfirmation_ConfirmForgotPassword",
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
        "TokenGeneration_RefreshTokens",
        "CustomMessage_UpdateUserAttribute",
        "CustomMessage_VerifyUserAttribute",
        "DefineAuthChallenge_Authentication",
        "CreateAuthChallenge_Authentication",
        "VerifyAuthChallengeResponse_Authentication",
    ):
        got = seen.metadata(source)
        assert got and all(m == META for m in got), (source, got)


def test_without_metadata_the_triggers_get_none(h: tuple[PoolHarness, Seen]) -> None:
    pool, seen = h
    ACTIONS["SignUp"](
        pool.pool,
        {
            "ClientId": pool.client_id,
            "Username": ADA,
            "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": ADA}],
        },
    )
    [event] = [e for e in seen.events if e["triggerSource"] == "PreSignUp_SignUp"]
    assert event["request"] == {"userAttributes": {"email": ADA}, "validationData": None}
