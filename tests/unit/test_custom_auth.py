"""Custom authentication (CUSTOM_AUTH): the define / create / verify loop, with and without SRP first, its
bounds, unknown users, the steps after it, and triggers that refuse at each point leaving nothing behind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest
from pycognito.aws_srp import AWSSRP

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core import errors
from userpool.core.clients import secret_hash
from userpool.core.flows import custom_auth, sign_in, software_token
from userpool.core.flows.mfa_settings import FactorSetting, set_user_mfa_preference
from userpool.core.tokens import AuthResult

ADA = "ada@example.com"
WRONG = "Incorrect username or password."


class SecretQuestion:
    """The three triggers of a "secret question" sign-in, keeping every event they get. `with_password`:
    PASSWORD_VERIFIER first when the sign-in began with SRP_A; three wrong answers fail the sign-in."""

    def __init__(self, answer: str = "blue", tries: int = 3) -> None:
        self.answer = answer
        self.tries = tries
        self.events: list[dict[str, Any]] = []

    def define(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        session = event["request"]["session"]
        response = event["response"]
        last = session[-1] if session else None
        wrong = [r for r in session if r["challengeName"] == "CUSTOM_CHALLENGE" and not r["challengeResult"]]
        if last is not None and last["challengeName"] == "SRP_A":
            response["challengeName"] = "PASSWORD_VERIFIER"
        elif last is not None and last["challengeName"] == "CUSTOM_CHALLENGE" and last["challengeResult"]:
            response["issueTokens"] = True
        elif len(wrong) >= self.tries or (
            last is not None and not last["challengeResult"] and last["challengeName"] == "PASSWORD_VERIFIER"
        ):
            response["failAuthentication"] = True
        else:
            response["challengeName"] = "CUSTOM_CHALLENGE"
        return event

    def create(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        round_ = len(event["request"]["session"])
        event["response"]["publicChallengeParameters"] = {"question": "Favourite colour?"}
        event["response"]["privateChallengeParameters"] = {"answer": self.answer}
        event["response"]["challengeMetadata"] = f"QUESTION-{round_}"
        return event

    def verify(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        request = event["request"]
        event["response"]["answerCorrect"] = (
            request["challengeAnswer"] == request["privateChallengeParameters"]["answer"]
        )
        return event

    def triggers(self) -> dict[str, Callable[..., Any]]:
        return {
            "define_auth_challenge": self.define,
            "create_auth_challenge": self.create,
            "verify_auth_challenge_response": self.verify,
        }

    def of(self, source: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["triggerSource"] == source]


def _start(h: PoolHarness, username: str = ADA, **params: str) -> Any:
    return h.pool.run(
        sign_in.initiate_auth,
        client_id=h.client_id,
        flow="CUSTOM_AUTH",
        params={"USERNAME": username, **params},
        client_metadata={"app": "test"},
    )


def _answer(h: PoolHarness, step: Any, answer: str, username: str | None = None) -> Any:
    return h.pool.run(
        sign_in.respond_to_auth_challenge,
        client_id=h.client_id,
        challenge="CUSTOM_CHALLENGE",
        responses={"USERNAME": username or step.parameters["USERNAME"], "ANSWER": answer},
        session=step.session,
        client_metadata={"app": "test"},
    )


def _pool(pool_with: Callable[..., PoolHarness], quiz: SecretQuestion, **more: Any) -> PoolHarness:
    h = pool_with(**quiz.triggers(), **more)
    h.confirmed_user(ADA)
    return h


def test_custom_challenge_without_srp(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion()
    h = _pool(pool_with, quiz)
    step = _start(h)
    assert isinstance(step, sign_in.Challenge) and step.name == "CUSTOM_CHALLENGE" and step.session
    sub = step.parameters["USERNAME"]
    assert step.parameters == {"question": "Favourite colour?", "USERNAME": sub}  # the private ones stay here
    result = _answer(h, step, "blue")
    assert isinstance(result, AuthResult) and result.access_token
    first_define, create, verify, second_define = quiz.events
    assert first_define["triggerSource"] == "DefineAuthChallenge_Authentication"
    assert first_define["userName"] == sub and first_define["callerContext"]["clientId"] == h.client_id
    assert first_define["request"]["session"] == [] and first_define["request"]["clientMetadata"] == {"app": "test"}
    assert first_define["request"]["userAttributes"]["email"] == ADA and "userNotFound" not in first_define["request"]
    assert create["triggerSource"] == "CreateAuthChallenge_Authentication"
    assert create["request"]["challengeName"] == "CUSTOM_CHALLENGE" and create["request"]["session"] == []
    assert verify["triggerSource"] == "VerifyAuthChallengeResponse_Authentication"
    assert verify["request"]["privateChallengeParameters"] == {"answer": "blue"}
    assert verify["request"]["challengeAnswer"] == "blue"
    assert second_define["request"]["session"] == [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "QUESTION-0"}
    ]


def test_a_wrong_answer_then_the_right_one(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion()
    h = _pool(pool_with, quiz)
    first = _start(h)
    second = _answer(h, first, "red")
    assert isinstance(second, sign_in.Challenge) and second.name == "CUSTOM_CHALLENGE"
    assert second.session != first.session
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _answer(h, first, "blue")  # each challenge takes one answer
    assert isinstance(_answer(h, second, "blue"), AuthResult)
    assert quiz.of("DefineAuthChallenge_Authentication")[-1]["request"]["session"] == [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": "QUESTION-0"},
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "QUESTION-1"},
    ]


def test_fail_authentication_ends_the_sign_in(pool_with: Callable[..., PoolHarness]) -> None:
    h = _pool(pool_with, SecretQuestion(tries=2))
    step = _answer(h, _start(h), "red")
    with pytest.raises(errors.NotAuthorizedException, match=f"^{WRONG}$"):
        _answer(h, step, "green")
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _answer(h, step, "blue")
    assert h.count_rows("auth_sessions") == 0 and h.count_rows("token_sessions") == 0


def test_a_define_that_never_decides_is_bounded(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion(tries=1000)
    h = _pool(pool_with, quiz)
    step = _start(h)
    for _ in range(custom_auth.MAX_SESSION - 1):
        step = _answer(h, step, "red")
    with pytest.raises(errors.NotAuthorizedException, match="Too many challenges"):
        _answer(h, step, "red")
    assert len(quiz.of("DefineAuthChallenge_Authentication")[-1]["request"]["session"]) == custom_auth.MAX_SESSION
    assert h.count_rows("auth_sessions") == 0


def test_a_parked_challenge_expires_like_the_others(pool_with: Callable[..., PoolHarness]) -> None:
    h = _pool(pool_with, SecretQuestion())
    step = _start(h)
    h.clock.advance(181)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _answer(h, step, "blue")


def _srp_start(h: PoolHarness, password: str = PASSWORD) -> tuple[AWSSRP, Any]:
    client = AWSSRP(
        username=ADA, password=password, pool_id=h.pool.config.pool_id, client_id=h.client_id, client=object()
    )
    params = {**client.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
    step = h.pool.run(sign_in.initiate_auth, client_id=h.client_id, flow="CUSTOM_AUTH", params=params)
    return client, step


def test_custom_challenge_with_srp_first(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion()
    h = _pool(pool_with, quiz)
    client, step = _srp_start(h)
    assert step.name == "PASSWORD_VERIFIER" and {"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP"} <= set(
        step.parameters
    )
    assert quiz.of("DefineAuthChallenge_Authentication")[0]["request"]["session"] == [
        {"challengeName": "SRP_A", "challengeResult": True}
    ]
    custom = h.respond("PASSWORD_VERIFIER", h.srp_answer(client, step), step.session)
    assert isinstance(custom, sign_in.Challenge) and custom.name == "CUSTOM_CHALLENGE"
    assert isinstance(_answer(h, custom, "blue"), AuthResult)
    assert [r["challengeName"] for r in quiz.of("DefineAuthChallenge_Authentication")[-1]["request"]["session"]] == [
        "SRP_A",
        "PASSWORD_VERIFIER",
        "CUSTOM_CHALLENGE",
    ]


def test_a_wrong_password_in_the_srp_round_is_refused_at_once(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion()
    h = _pool(pool_with, quiz)
    client, step = _srp_start(h, "Wr0ng-Password!")
    with pytest.raises(errors.NotAuthorizedException, match=f"^{WRONG}$"):
        h.respond("PASSWORD_VERIFIER", h.srp_answer(client, step), step.session)
    assert len(quiz.of("DefineAuthChallenge_Authentication")) == 1 and not quiz.of("CreateAuthChallenge_Authentication")


def test_without_the_three_triggers_custom_auth_is_refused(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion()
    h = pool_with(define_auth_challenge=quiz.define, create_auth_challenge=quiz.create)
    h.confirmed_user(ADA)
    with pytest.raises(errors.InvalidParameterException, match=r"^Custom auth lambda trigger is not configured"):
        _start(h)
    assert quiz.events == []


def test_an_unknown_user_gets_challenges_but_never_tokens(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion()
    h = _pool(pool_with, quiz)
    step = _start(h, "nobody@example.com")
    assert step.name == "CUSTOM_CHALLENGE" and "@" not in step.parameters["USERNAME"]  # a stable fake, like a sub
    assert quiz.events[0]["request"]["userNotFound"] is True and quiz.events[0]["request"]["userAttributes"] == {}
    with pytest.raises(errors.NotAuthorizedException, match=f"^{WRONG}$"):
        _answer(h, step, "blue")
    assert h.count_rows("token_sessions") == 0


def test_an_unknown_user_without_hiding_is_told_at_once(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion()
    h = _pool(pool_with, quiz)
    with h.store.begin() as tx:
        client = tx.get_client(h.client_id)
        assert client is not None
        tx.put_client(dataclasses.replace(client, prevent_user_existence_errors=False))
    with pytest.raises(errors.UserNotFoundException):
        _start(h, "nobody@example.com")
    assert quiz.events == []


@pytest.mark.parametrize("hide", [True, False])
def test_a_wrong_secret_hash_is_the_same_answer_for_any_name(pool_with: Callable[..., PoolHarness], hide: bool) -> None:
    """A client with a secret: the SECRET_HASH is checked over the name as given before the name is looked
    up, so a known and an unknown user get the same refusal, and no trigger hears of either."""
    quiz = SecretQuestion()
    h = _pool(pool_with, quiz)
    with h.store.begin() as tx:
        client = tx.get_client(h.client_id)
        assert client is not None
        tx.put_client(dataclasses.replace(client, secret="the-client-secret", prevent_user_existence_errors=hide))
    wrong = secret_hash("the-client-secret", "someone-else", h.client_id)
    answers = []
    for name in (ADA, "nobody@example.com"):
        with pytest.raises(errors.NotAuthorizedException) as refused:
            _start(h, name, SECRET_HASH=wrong)
        answers.append(str(refused.value))
    assert answers == [f"Unable to verify secret hash for client {h.client_id}"] * 2
    assert quiz.events == []
    right = _start(h, ADA, SECRET_HASH=secret_hash("the-client-secret", ADA, h.client_id))
    assert right.name == "CUSTOM_CHALLENGE"


@pytest.mark.parametrize("where", ["define", "create"])
def test_a_refusing_trigger_at_initiate_auth_parks_nothing(pool_with: Callable[..., PoolHarness], where: str) -> None:
    quiz = SecretQuestion()
    triggers = quiz.triggers()
    name = f"{where}_auth_challenge"

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("the quiz service is down")

    triggers[name] = broken
    h = pool_with(**triggers)
    h.confirmed_user(ADA)
    label = "DefineAuthChallenge" if where == "define" else "CreateAuthChallenge"
    with pytest.raises(errors.UserLambdaValidationException, match=f"^{label} failed with error the quiz service"):
        _start(h)
    assert h.count_rows("auth_sessions") == 0


class Flaky:
    """Wraps a trigger: refuses while `down`."""

    def __init__(self, fn: Callable[[dict[str, Any]], Any]) -> None:
        self.fn = fn
        self.down = False

    def __call__(self, event: dict[str, Any]) -> Any:
        if self.down:
            raise RuntimeError("down")
        return self.fn(event)


@pytest.mark.parametrize("where", ["verify", "define"])
def test_a_refusing_trigger_on_the_answer_leaves_the_challenge_as_it_was(
    pool_with: Callable[..., PoolHarness], where: str
) -> None:
    quiz = SecretQuestion()
    triggers = quiz.triggers()
    name = "verify_auth_challenge_response" if where == "verify" else "define_auth_challenge"
    flaky = Flaky(triggers[name])
    triggers[name] = flaky
    h = pool_with(**triggers)
    h.confirmed_user(ADA)
    step = _start(h)
    flaky.down = True
    with pytest.raises(errors.UserLambdaValidationException):
        _answer(h, step, "blue")
    assert h.count_rows("auth_sessions") == 1 and h.count_rows("token_sessions") == 0
    flaky.down = False
    assert isinstance(_answer(h, step, "blue"), AuthResult)  # the same challenge, answered again


def test_a_define_answer_the_pool_cannot_follow_is_refused(pool_with: Callable[..., PoolHarness]) -> None:
    quiz = SecretQuestion()
    triggers = quiz.triggers()
    triggers["define_auth_challenge"] = lambda event: {**event, "response": {"challengeName": "SMS_MFA"}}
    h = pool_with(**triggers)
    h.confirmed_user(ADA)
    with pytest.raises(errors.InvalidLambdaResponseException, match="challengeName is 'SMS_MFA'"):
        _start(h)
    assert h.count_rows("auth_sessions") == 0


def _mfa_pool(tmp_path: Path, quiz: SecretQuestion) -> tuple[PoolHarness, pyotp.TOTP]:
    h = make_pool(
        tmp_path, login_with={"email": True}, multifactor={"mode": "OPTIONAL", "totp": True}, triggers=quiz.triggers()
    )
    h.confirmed_user(ADA)
    token = h.password_sign_in(ADA).access_token
    app = pyotp.TOTP(h.pool.run(software_token.associate, access_token=token))
    h.pool.run(software_token.verify, access_token=token, code=app.at(h.clock.now()), name="phone")
    h.pool.run(set_user_mfa_preference, access_token=token, totp=FactorSetting(True, True), sms=None, email=None)
    h.clock.advance(30)
    return h, app


def test_mfa_follows_only_a_custom_sign_in_that_verified_the_password(tmp_path: Path) -> None:
    """Cognito asks MFA only after PASSWORD_VERIFIER: CUSTOM_WITHOUT_SRP gets tokens from define alone."""
    quiz = SecretQuestion()
    h, app = _mfa_pool(tmp_path, quiz)
    assert isinstance(_answer(h, _start(h), "blue"), AuthResult)
    client, step = _srp_start(h)
    custom = h.respond("PASSWORD_VERIFIER", h.srp_answer(client, step), step.session)
    mfa = _answer(h, custom, "blue")
    assert isinstance(mfa, sign_in.Challenge) and mfa.name == "SOFTWARE_TOKEN_MFA"
    user = custom.parameters["USERNAME"]
    done = h.respond(
        "SOFTWARE_TOKEN_MFA", {"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": app.at(h.clock.now())}, mfa.session
    )
    assert isinstance(done, AuthResult)
    h.store.close()


def test_tokens_after_custom_auth_go_through_post_authentication_and_token_generation(
    pool_with: Callable[..., PoolHarness],
) -> None:
    quiz = SecretQuestion()
    seen: list[dict[str, Any]] = []
    h = _pool(pool_with, quiz, post_authentication=seen.append, pre_token_generation=seen.append)
    _answer(h, _start(h), "blue")
    assert [e["triggerSource"] for e in seen] == ["PostAuthentication_Authentication", "TokenGeneration_Authentication"]
    assert seen[0]["request"]["clientMetadata"] == {"app": "test"}


def test_a_device_named_proves_itself_after_the_custom_challenges(pool_with: Callable[..., PoolHarness]) -> None:
    from tests.unit.test_devices import _confirm, _device_srp, _respond, _srp_client

    h = _pool(pool_with, SecretQuestion())
    device = _confirm(h, h.password_sign_in(ADA))
    step = _answer(h, _start(h, DEVICE_KEY=device.key), "blue")
    assert isinstance(step, sign_in.Challenge) and step.name == "DEVICE_SRP_AUTH"
    client = _srp_client(h, ADA, device)
    verifier = _device_srp(h, ADA, client, step, with_session=True)
    answer = client.process_device_challenge(verifier.parameters)
    result = _respond(h, "DEVICE_PASSWORD_VERIFIER", answer, verifier.session)
    assert isinstance(result, AuthResult) and result.new_device is None
