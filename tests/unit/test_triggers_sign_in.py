"""The sign-in triggers: pre and post authentication, the token generation sources, and the trigger sources
of the messages a sign-in or an administrator sends."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core import errors
from userpool.core.flows import account, admin, hosted_sign_in, sign_in
from userpool.core.tokens import AuthResult
from userpool.triggers_runner import ThreadTriggerRunner

ADA = "ada@example.com"
WRONG = "Incorrect username or password."


class Recorder:
    """A trigger that keeps its events and refuses while `refuse` is set."""

    def __init__(self, refuse: str = "") -> None:
        self.refuse = refuse
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        if self.refuse:
            raise RuntimeError(self.refuse)
        return event

    @property
    def sources(self) -> list[str]:
        return [e["triggerSource"] for e in self.events]


def _password(h: PoolHarness, username: str = ADA, password: str = PASSWORD, **metadata: str) -> Any:
    return h.pool.run(
        sign_in.initiate_auth,
        client_id=h.client_id,
        flow="USER_PASSWORD_AUTH",
        params={"USERNAME": username, "PASSWORD": password},
        client_metadata=metadata or None,
    )


def _hide_users(h: PoolHarness, hide: bool) -> None:
    with h.store.begin() as tx:
        client = tx.get_client(h.client_id)
        assert client is not None
        tx.put_client(dataclasses.replace(client, prevent_user_existence_errors=hide))


# -- pre authentication ---------------------------------------------------------------------------------


def test_pre_authentication_gets_the_user_and_the_client_metadata(pool_with: Callable[..., PoolHarness]) -> None:
    pre = Recorder()
    h = pool_with(pre_authentication=pre)
    sub = h.confirmed_user(ADA)
    assert isinstance(_password(h, app="web"), AuthResult)
    [event] = pre.events
    assert event["triggerSource"] == "PreAuthentication_Authentication" and event["userName"] == sub
    assert event["callerContext"]["clientId"] == h.client_id and event["response"] == {}
    assert event["request"] == {
        "userAttributes": {"sub": sub, "email": ADA, "email_verified": "true", "cognito:user_status": "CONFIRMED"},
        "validationData": {"app": "web"},  # Cognito hands InitiateAuth's ClientMetadata over as validationData
    }
    h.password_sign_in(ADA)
    refreshed = h.password_sign_in(ADA).refresh_token
    assert refreshed is not None
    h.pool.run(
        sign_in.initiate_auth, client_id=h.client_id, flow="REFRESH_TOKEN_AUTH", params={"REFRESH_TOKEN": refreshed}
    )
    assert len(pre.events) == 3  # once per sign-in; a refresh is no sign-in


def test_a_refusing_pre_authentication_comes_before_the_password(pool_with: Callable[..., PoolHarness]) -> None:
    pre = Recorder("Your account is locked")
    h = pool_with(pre_authentication=pre)
    h.confirmed_user(ADA)
    for password in (PASSWORD, "Wr0ng-Password!"):
        with pytest.raises(errors.UserLambdaValidationException, match=r"^PreAuthentication failed with error Your"):
            _password(h, password=password)
    with pytest.raises(errors.UserLambdaValidationException):
        h.srp_sign_in(ADA)
    assert h.count_rows("auth_sessions") == 0 and h.count_rows("token_sessions") == 0  # no challenge was parked


def test_pre_authentication_for_an_unknown_name_only_when_users_are_hidden(
    pool_with: Callable[..., PoolHarness],
) -> None:
    pre = Recorder()
    h = pool_with(pre_authentication=pre)
    with pytest.raises(errors.NotAuthorizedException, match=f"^{WRONG}$"):
        _password(h, "nobody@example.com")
    [event] = pre.events
    assert event["userName"] == "nobody@example.com"
    assert event["request"] == {"userAttributes": {}, "validationData": None, "userNotFound": True}
    _hide_users(h, False)
    with pytest.raises(errors.UserNotFoundException):
        _password(h, "nobody@example.com")
    with pytest.raises(errors.UserNotFoundException):
        h.srp_start("nobody@example.com", PASSWORD)
    assert len(pre.events) == 1  # Cognito: not for a user who does not exist, unless the client hides it


# -- post authentication --------------------------------------------------------------------------------


def test_post_authentication_runs_before_the_tokens(pool_with: Callable[..., PoolHarness]) -> None:
    post, tokens = Recorder(), Recorder()
    h = pool_with(post_authentication=post, pre_token_generation=tokens)
    sub = h.confirmed_user(ADA)
    _password(h, k="v")
    [event] = post.events
    assert event["triggerSource"] == "PostAuthentication_Authentication" and event["userName"] == sub
    assert event["request"]["newDeviceUsed"] is True  # device tracking is on and no device proved itself
    assert event["request"]["clientMetadata"] == {"k": "v"}
    assert tokens.events[0]["request"]["clientMetadata"] == {"k": "v"}


@pytest.mark.parametrize("name", ["pre_authentication", "post_authentication"])
def test_a_sign_in_trigger_that_overruns_fails_the_sign_in_and_leaves_nothing(
    pool_with: Callable[..., PoolHarness], name: str
) -> None:
    release, finished = threading.Event(), threading.Event()

    def slow(event: dict[str, Any]) -> dict[str, Any]:
        release.wait(10)
        finished.set()
        return event

    h = pool_with(**{name: slow})
    h.confirmed_user(ADA)
    h.pool.triggers = ThreadTriggerRunner(max_seconds=0.2)
    label = "PreAuthentication" if name == "pre_authentication" else "PostAuthentication"
    try:
        with pytest.raises(errors.UnexpectedLambdaException) as caught:
            _password(h)
        assert caught.value.message == (
            f"{label} invocation failed due to error Socket timeout while invoking Lambda function."
        )
        assert not finished.is_set()  # the sign-in gave up on the trigger rather than wait for it
    finally:
        release.set()
    assert finished.wait(5)  # the abandoned call ran on and returned, and still no tokens came of it
    assert h.count_rows("token_sessions") == 0 and h.count_rows("auth_sessions") == 0


def test_a_refusing_post_authentication_refuses_the_sign_in(pool_with: Callable[..., PoolHarness]) -> None:
    post = Recorder("not today")
    h = pool_with(post_authentication=post)
    h.confirmed_user(ADA)
    with pytest.raises(
        errors.UserLambdaValidationException, match=r"^PostAuthentication failed with error not today\.$"
    ):
        _password(h)
    with pytest.raises(errors.UserLambdaValidationException):
        h.srp_sign_in(ADA, with_session=True)
    with pytest.raises(errors.UserLambdaValidationException):
        h.pool.run(hosted_sign_in.sign_in, client_id=h.client_id, username=ADA, password=PASSWORD)
    assert h.count_rows("token_sessions") == 0 and h.count_rows("web_sessions") == 0
    assert h.count_rows("devices") == 0


# -- token generation sources ---------------------------------------------------------------------------


def test_tokens_after_a_new_password_say_so(pool_with: Callable[..., PoolHarness]) -> None:
    tokens = Recorder()
    h = pool_with(pre_token_generation=tokens)
    h.pool.run(admin.create_user, username=ADA, attributes={"email": ADA}, temporary_password="Temp-Pass1!")
    step = _password(h, password="Temp-Pass1!")
    assert step.name == "NEW_PASSWORD_REQUIRED"
    user = step.parameters["USER_ID_FOR_SRP"]
    h.respond("NEW_PASSWORD_REQUIRED", {"USERNAME": user, "NEW_PASSWORD": PASSWORD}, step.session)
    _password(h)
    assert tokens.sources == ["TokenGeneration_NewPasswordChallenge", "TokenGeneration_Authentication"]


def test_tokens_after_a_remembered_device_proved_itself_say_so(pool_with: Callable[..., PoolHarness]) -> None:
    from tests.unit.test_devices import _confirm, _device_sign_in

    tokens, post = Recorder(), Recorder()
    h = pool_with(pre_token_generation=tokens, post_authentication=post)
    h.confirmed_user(ADA)
    device = _confirm(h, h.password_sign_in(ADA))
    assert isinstance(_device_sign_in(h, ADA, device), AuthResult)
    assert tokens.sources == ["TokenGeneration_Authentication", "TokenGeneration_AuthenticateDevice"]
    assert [e["request"]["newDeviceUsed"] for e in post.events] == [True, False]


# -- the messages of a sign-in and of an administrator --------------------------------------------------


def _messages(event: dict[str, Any]) -> dict[str, Any]:
    code = event["request"]["codeParameter"]
    event["response"]["smsMessage"] = f"{event['triggerSource']} {code}"
    event["response"]["emailMessage"] = f"{event['triggerSource']} {code} {event['request']['usernameParameter'] or ''}"
    return event


def test_the_mfa_code_message_is_custom_message_authentication(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    h = make_pool(
        tmp_path,
        login_with={"email": True},
        multifactor={"mode": "REQUIRED", "email": True},
        senders={"email": {"from_email": "noreply@example.com"}},
        triggers={"custom_message": lambda event: _messages(seen.append(event) or event)},
    )
    h.confirmed_user(ADA)
    step = _password(h)
    assert step.name == "EMAIL_OTP"
    mail = h.messages("mfa_email")[-1]
    assert mail.code and mail.body == f"CustomMessage_Authentication {mail.code} "
    assert seen[-1]["callerContext"]["clientId"] == h.client_id
    h.store.close()


def test_the_invitation_and_its_pre_sign_up(pool_with: Callable[..., PoolHarness]) -> None:
    seen: list[dict[str, Any]] = []
    pre = Recorder()
    h = pool_with(custom_message=lambda event: _messages(seen.append(event) or event), pre_sign_up=pre)
    h.pool.run(admin.create_user, username=ADA, attributes={"email": ADA}, temporary_password="Temp-Pass1!")
    [event] = pre.events
    assert event["triggerSource"] == "PreSignUp_AdminCreateUser" and event["callerContext"]["clientId"] is None
    [invitation] = h.messages("invitation")
    assert invitation.body == f"CustomMessage_AdminCreateUser Temp-Pass1! {ADA}"
    assert seen[0]["request"]["usernameParameter"] == "{username}"
    assert _password(h, password="Temp-Pass1!").name == "NEW_PASSWORD_REQUIRED"
    pre.refuse = "no admins here"
    with pytest.raises(errors.UserLambdaValidationException, match=r"^PreSignUp failed with error no admins here"):
        h.pool.run(admin.create_user, username="bob@example.com", attributes={"email": "bob@example.com"})
    assert h.count_users() == 1 and len(h.messages("invitation")) == 1


def test_auto_confirm_from_pre_sign_up_is_ignored_for_an_administrators_user(
    pool_with: Callable[..., PoolHarness],
) -> None:
    h = pool_with(pre_sign_up=lambda event: {**event, "response": {"autoConfirmUser": True, "autoVerifyEmail": True}})
    user = h.pool.run(admin.create_user, username=ADA, attributes={"email": ADA}, temporary_password="Temp-Pass1!")
    assert user.status.value == "FORCE_CHANGE_PASSWORD" and user.attributes["email_verified"] == "false"


def test_attribute_messages_name_their_source_and_client(pool_with: Callable[..., PoolHarness]) -> None:
    seen: list[dict[str, Any]] = []
    h = pool_with(custom_message=lambda event: _messages(seen.append(event) or event))
    h.confirmed_user(ADA)
    token = _password(h).access_token
    h.pool.run(
        account.update_user_attributes,
        access_token=token,
        attributes={"email": "ada2@example.com"},
        client_metadata={"from": "settings"},
    )
    h.pool.run(account.get_user_attribute_verification_code, access_token=token, attribute="email")
    update, again = seen[-2:]
    assert update["triggerSource"] == "CustomMessage_UpdateUserAttribute"
    assert update["request"]["clientMetadata"] == {"from": "settings"}
    assert again["triggerSource"] == "CustomMessage_VerifyUserAttribute"
    assert update["callerContext"]["clientId"] == again["callerContext"]["clientId"] == h.client_id
