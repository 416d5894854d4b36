"""Triggers as Python callables: Cognito's event, both callable styles, the dispatcher's failures (raise,
time-out, bad answer) leaving nothing behind, pre sign-up and post confirmation semantics, the log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.pool import PASSWORD, PoolHarness
from userpool.core import errors, triggers
from userpool.core.flows import account, recovery, sign_up
from userpool.core.model import UserStatus
from userpool.triggers_runner import LambdaContext, ThreadTriggerRunner

Trigger = Callable[..., Any]


def _sign_up(h: PoolHarness, email: str, **extra: Any) -> sign_up.SignUpResult:
    return h.pool.run(
        sign_up.sign_up,
        client_id=h.client_id,
        username=email,
        password=PASSWORD,
        attributes={"email": email},
        **extra,
    )


def _status(h: PoolHarness, sub: str) -> tuple[UserStatus, dict[str, str]]:
    with h.store.begin() as tx:
        user = tx.get_user(h.pool.config.pool_id, sub)
    assert user is not None
    return user.status, user.attributes


# -- the event and the two callable styles --------------------------------------------------------------


def test_pre_sign_up_gets_cognitos_event(pool_with: Callable[..., PoolHarness]) -> None:
    seen: list[dict[str, Any]] = []
    h = pool_with(pre_sign_up=seen.append)
    result = _sign_up(h, "ada@example.com", validation_data={"invite": "X1"}, client_metadata={"app": "web"})
    [event] = seen
    assert event == {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "region": h.pool.config.region,
        "userPoolId": h.pool.config.pool_id,
        "userName": result.user_sub,  # email is the username: Cognito's user name is the sub
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": h.client_id},
        "request": {
            "userAttributes": {"email": "ada@example.com"},
            "validationData": {"invite": "X1"},
            "clientMetadata": {"app": "web"},
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }
    _sign_up(h, "bob@example.com")
    assert seen[1]["request"] == {"userAttributes": {"email": "bob@example.com"}, "validationData": None}


def _returning(event: dict[str, Any]) -> dict[str, Any]:
    event["response"]["autoConfirmUser"] = True
    return event


def _in_place(event: dict[str, Any]) -> None:
    event["response"]["autoConfirmUser"] = True


def _lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    assert context.function_name == "pre_sign_up" and 0 < context.get_remaining_time_in_millis() <= 5000
    event["response"]["autoConfirmUser"] = True
    return event


async def _async_trigger(event: dict[str, Any]) -> dict[str, Any]:
    event["response"] = {"autoConfirmUser": True}
    return event


@pytest.mark.parametrize("trigger", [_returning, _in_place, _lambda_handler, _async_trigger])
def test_every_callable_style_is_heard(pool_with: Callable[..., PoolHarness], trigger: Trigger) -> None:
    h = pool_with(pre_sign_up=trigger)
    result = _sign_up(h, "ada@example.com")
    assert result.confirmed and result.delivery is None
    assert _status(h, result.user_sub)[0] == UserStatus.CONFIRMED


# -- failures: raised, timed out, answered badly — and nothing written ----------------------------------


def _refuse(event: dict[str, Any]) -> None:
    raise ValueError("Sign-ups from this domain are closed")


def test_a_raising_trigger_refuses_with_cognitos_message_and_writes_nothing(
    pool_with: Callable[..., PoolHarness],
) -> None:
    h = pool_with(pre_sign_up=_refuse)
    with pytest.raises(errors.UserLambdaValidationException) as caught:
        _sign_up(h, "ada@example.com")
    assert caught.value.message == "PreSignUp failed with error Sign-ups from this domain are closed."
    assert h.count_users() == 0 and h.sent == []


def test_a_slow_trigger_is_abandoned_and_writes_nothing(pool_with: Callable[..., PoolHarness]) -> None:
    release = threading.Event()
    finished = threading.Event()

    def slow(event: dict[str, Any]) -> dict[str, Any]:
        release.wait(10)
        event["response"]["autoConfirmUser"] = True  # too late: the action has already failed
        finished.set()
        return event

    h = pool_with(pre_sign_up=slow)
    h.pool.triggers = ThreadTriggerRunner(max_seconds=0.2)
    with pytest.raises(errors.UnexpectedLambdaException, match="PreSignUp invocation failed due to error Socket"):
        _sign_up(h, "ada@example.com")
    # The action failed while the trigger was still blocked: it gave up on the trigger, not waited for it.
    assert not finished.is_set()
    release.set()
    assert finished.wait(5)  # the abandoned call ran on, and changed nothing
    assert h.count_users() == 0 and h.sent == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("yes", "Unrecognizable lambda output: PreSignUp returned str"),
        ({"autoConfirmUser": True}, "PreSignUp returned an object without response"),
        ({"response": "confirm"}, "PreSignUp response must be an object"),
        ({"response": {"autoConfirmUser": "true"}}, "PreSignUp response.autoConfirmUser must be a boolean"),
        ({"response": {"autoConfirmUser": True, "autoVerifyPhone": True}}, "autoVerifyPhone is true but the user"),
    ],
)
def test_a_bad_answer_is_an_invalid_lambda_response(
    pool_with: Callable[..., PoolHarness], answer: object, message: str
) -> None:
    h = pool_with(pre_sign_up=lambda event: answer)
    with pytest.raises(errors.InvalidLambdaResponseException, match=message):
        _sign_up(h, "ada@example.com")
    assert h.count_users() == 0 and h.sent == []


def test_a_trigger_that_clears_its_response_gets_the_defaults(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(pre_sign_up=lambda event: {**event, "response": None})
    assert _sign_up(h, "ada@example.com").confirmed is False


def test_a_configured_trigger_with_no_runner_is_an_error_not_a_skip(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(pre_sign_up=_refuse)
    h.pool.triggers = None
    with pytest.raises(errors.InternalErrorException, match="nothing runs triggers"):
        _sign_up(h, "ada@example.com")
    assert h.count_users() == 0


def test_each_call_is_logged_without_the_event(
    pool_with: Callable[..., PoolHarness], caplog: pytest.LogCaptureFixture
) -> None:
    h = pool_with(pre_sign_up=_in_place)
    caplog.set_level(logging.INFO, logger="userpool.triggers")
    _sign_up(h, "ada@example.com")
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("trigger pre_sign_up (PreSignUp_SignUp): ok in ") for line in lines)
    assert PASSWORD not in caplog.text and "ada@example.com" not in caplog.text


def test_a_refused_call_is_logged_with_its_outcome(
    pool_with: Callable[..., PoolHarness], caplog: pytest.LogCaptureFixture
) -> None:
    h = pool_with(pre_sign_up=lambda event: {**event, "response": {"autoConfirmUser": 1}})
    caplog.set_level(logging.INFO, logger="userpool.triggers")
    with pytest.raises(errors.InvalidLambdaResponseException):
        _sign_up(h, "ada@example.com")
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("trigger pre_sign_up (PreSignUp_SignUp): InvalidLambdaResponseException")


# -- pre sign-up ----------------------------------------------------------------------------------------


def _trusted(event: dict[str, Any]) -> dict[str, Any]:
    if event["request"]["userAttributes"]["email"].endswith("@trusted.example"):
        event["response"].update(autoConfirmUser=True, autoVerifyEmail=True)
    return event


def test_auto_confirm_and_verify_skip_the_code(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(pre_sign_up=_trusted)
    result = _sign_up(h, "ada@trusted.example")
    assert result.confirmed and result.delivery is None and h.sent == []
    status, attributes = _status(h, result.user_sub)
    assert status == UserStatus.CONFIRMED and attributes["email_verified"] == "true"
    assert h.password_sign_in("ada@trusted.example").access_token
    h.pool.run(recovery.forgot_password, client_id=h.client_id, username="ada@trusted.example")
    assert [m.purpose for m in h.sent] == ["forgot_password"]  # a verified email can recover the account
    other = _sign_up(h, "bob@example.com")
    assert not other.confirmed and other.delivery is not None


def test_auto_confirm_alone_leaves_the_email_unverified(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(pre_sign_up=_in_place)
    result = _sign_up(h, "ada@example.com")
    assert _status(h, result.user_sub) == (
        UserStatus.CONFIRMED,
        {"sub": result.user_sub, "email": "ada@example.com", "email_verified": "false"},
    )


def test_auto_verify_without_auto_confirm_is_ignored(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(pre_sign_up=lambda event: {**event, "response": {"autoVerifyEmail": True}})
    result = _sign_up(h, "ada@example.com")
    assert not result.confirmed and result.delivery is not None
    assert _status(h, result.user_sub)[1]["email_verified"] == "false"


def test_a_weak_password_is_refused_before_the_trigger_runs(pool_with: Callable[..., PoolHarness]) -> None:
    calls: list[object] = []
    h = pool_with(pre_sign_up=calls.append)
    with pytest.raises(errors.InvalidPasswordException):
        h.pool.run(sign_up.sign_up, client_id=h.client_id, username="a@example.com", password="weak", attributes={})
    assert calls == []


# -- post confirmation ----------------------------------------------------------------------------------


class Flaky:
    """A trigger that refuses until told otherwise, keeping the events it saw."""

    def __init__(self) -> None:
        self.refuse = True
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        if self.refuse:
            raise RuntimeError("the welcome service is down")
        return event


def test_post_confirmation_refusal_rolls_the_confirmation_back(pool_with: Callable[..., PoolHarness]) -> None:
    flaky = Flaky()
    h = pool_with(post_confirmation=flaky)
    sub = _sign_up(h, "ada@example.com", client_metadata={"k": "v"}).user_sub
    code = h.code_for("ada@example.com")
    confirm = {"client_id": h.client_id, "username": "ada@example.com", "code": code}
    with pytest.raises(errors.UserLambdaValidationException, match="PostConfirmation failed with error the welcome"):
        h.pool.run(sign_up.confirm_sign_up, **confirm)
    assert _status(h, sub)[0] == UserStatus.UNCONFIRMED  # and the code was not spent:
    flaky.refuse = False
    h.pool.run(sign_up.confirm_sign_up, **confirm, client_metadata={"from": "email"})
    assert _status(h, sub)[0] == UserStatus.CONFIRMED
    event = flaky.events[-1]
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp" and event["response"] == {}
    assert event["request"] == {
        "userAttributes": {
            "sub": sub,
            "email": "ada@example.com",
            "email_verified": "true",
            "cognito:user_status": "CONFIRMED",
        },
        "clientMetadata": {"from": "email"},
    }


def test_post_confirmation_after_a_password_reset(pool_with: Callable[..., PoolHarness]) -> None:
    flaky = Flaky()
    flaky.refuse = False
    h = pool_with(post_confirmation=flaky)
    h.confirmed_user("ada@example.com")
    session = h.password_sign_in("ada@example.com")
    h.pool.run(recovery.forgot_password, client_id=h.client_id, username="ada@example.com")
    reset = {
        "client_id": h.client_id,
        "username": "ada@example.com",
        "code": h.code_for("ada@example.com"),
        "password": "N3w-Passw0rd!",
    }
    flaky.refuse = True
    with pytest.raises(errors.UserLambdaValidationException):
        h.pool.run(recovery.confirm_forgot_password, **reset)
    assert h.password_sign_in("ada@example.com").access_token  # the old password still works
    assert h.pool.run(account.get_user, access_token=session.access_token)  # and no session was ended
    flaky.refuse = False
    h.pool.run(recovery.confirm_forgot_password, **reset)
    assert flaky.events[-1]["triggerSource"] == "PostConfirmation_ConfirmForgotPassword"
    assert h.password_sign_in("ada@example.com", "N3w-Passw0rd!").access_token


# -- the closed set -------------------------------------------------------------------------------------


def test_the_trigger_names_are_the_definitions() -> None:
    from userpool.definition.models import TRIGGERS

    assert set(triggers.TRIGGERS) == set(TRIGGERS) == set(triggers.COGNITO_NAMES)
    assert triggers.TIMEOUT == 5.0


def test_the_runner_reports_what_happened() -> None:
    runner = ThreadTriggerRunner(max_seconds=1)
    ok = runner.run("pre_sign_up", lambda event: {**event, "x": 1}, {"a": 1}, timeout=5)
    assert ok.returned == {"a": 1, "x": 1} and ok.error is None and not ok.timed_out
    failed = runner.run("pre_sign_up", _refuse, {}, timeout=5)
    assert isinstance(failed.error, ValueError) and failed.returned is None
