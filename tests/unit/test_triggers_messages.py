"""The custom message trigger: its sources, placeholders instead of codes, its text used (or the template's
where it gave none), and text that would send no code refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.pool import PASSWORD, PoolHarness
from userpool.core import errors
from userpool.core.delivery import compose
from userpool.core.flows import account, recovery, sign_up


class Messages:
    """A custom message trigger that writes its own text for every source, and keeps the events."""

    def __init__(self, **response: Any) -> None:
        self.response = response
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        code = event["request"]["codeParameter"]
        event["response"]["smsMessage"] = f"SMS {code}"
        event["response"]["emailMessage"] = f"<p>{event['triggerSource']}: {code}</p>"
        event["response"]["emailSubject"] = "Hello from the trigger"
        event["response"].update(self.response)
        return event

    @property
    def sources(self) -> list[str]:
        return [e["triggerSource"] for e in self.events]


def _sign_up(h: PoolHarness, email: str) -> str:
    result = h.pool.run(
        sign_up.sign_up, client_id=h.client_id, username=email, password=PASSWORD, attributes={"email": email}
    )
    return result.user_sub


def test_each_code_message_goes_through_the_trigger(pool_with: Callable[..., PoolHarness]) -> None:
    messages = Messages()
    h = pool_with(custom_message=messages)
    sub = _sign_up(h, "ada@example.com")
    h.pool.run(sign_up.resend_confirmation_code, client_id=h.client_id, username="ada@example.com")
    h.pool.run(
        sign_up.confirm_sign_up, client_id=h.client_id, username="ada@example.com", code=h.code_for("ada@example.com")
    )
    h.pool.run(recovery.forgot_password, client_id=h.client_id, username="ada@example.com", client_metadata={"k": "v"})
    session = h.password_sign_in("ada@example.com")
    h.pool.run(account.get_user_attribute_verification_code, access_token=session.access_token, attribute="email")
    assert messages.sources == [
        "CustomMessage_SignUp",
        "CustomMessage_ResendCode",
        "CustomMessage_ForgotPassword",
        "CustomMessage_VerifyUserAttribute",
    ]
    first = messages.events[0]
    assert first["userName"] == sub and first["callerContext"]["clientId"] == h.client_id
    assert first["request"] == {
        "userAttributes": {
            "sub": sub,
            "email": "ada@example.com",
            "email_verified": "false",
            "cognito:user_status": "UNCONFIRMED",
        },
        "codeParameter": "{####}",
        "linkParameter": None,
        "usernameParameter": None,
    }
    assert messages.events[2]["request"]["clientMetadata"] == {"k": "v"}
    for message, source in zip(h.sent, messages.sources, strict=True):
        assert message.subject == "Hello from the trigger"
        assert message.code and message.body == f"<p>{source}: {message.code}</p>"
    assert not any(m.code and m.code in str(messages.events) for m in h.sent)  # the trigger never saw a code


def test_members_left_alone_keep_the_template(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(custom_message=lambda event: {**event, "response": {"emailSubject": "Welcome!"}})
    _sign_up(h, "ada@example.com")
    [message] = h.sent
    assert message.subject == "Welcome!" and message.body == f"Your verification code is {message.code}."


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        ({"emailMessage": "Welcome aboard!"}, errors.InvalidParameterException, "emailMessage must contain the code"),
        ({"emailMessage": "x" * 20_001 + "{####}"}, errors.InvalidParameterException, "longer than 20000"),
        ({"emailMessage": 42}, errors.InvalidLambdaResponseException, "CustomMessage response.emailMessage must be"),
    ],
)
def test_text_that_would_send_no_code_is_refused_and_nothing_is_written(
    pool_with: Callable[..., PoolHarness], response: dict[str, Any], error: type[Exception], match: str
) -> None:
    h = pool_with(custom_message=lambda event: {**event, "response": response})
    with pytest.raises(error, match=match):
        _sign_up(h, "ada@example.com")
    assert h.count_users() == 0 and h.sent == []


def test_an_sms_is_held_to_cognitos_140_characters(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(
        login_with={"phone": True},
        custom_message=lambda event: {**event, "response": {"smsMessage": "y" * 140 + "{####}"}},
    )
    with pytest.raises(errors.InvalidParameterException, match="smsMessage is longer than 140"):
        h.pool.run(sign_up.sign_up, client_id=h.client_id, username="+15555550100", password=PASSWORD, attributes={})
    assert h.count_users() == 0


def test_link_style_offers_the_link_placeholder(pool_with: Callable[..., PoolHarness]) -> None:
    def with_link(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["emailMessage"] = f"Welcome! {event['request']['linkParameter']}"
        return event

    h = pool_with(login_with={"email": {"verification_email_style": "LINK"}}, custom_message=with_link)
    _sign_up(h, "ada@example.com")
    [message] = h.sent
    assert message.body.startswith('Welcome! <a href="http://127.0.0.1:1/confirmUser?client_id=')
    assert message.body.endswith(">Click Here</a>") and message.code and message.code in message.body


def test_an_invitation_must_carry_the_username_too(pool_with: Callable[..., PoolHarness]) -> None:
    """CustomMessage_AdminCreateUser: the admin invitation composes its message the same way."""
    plain = pool_with()
    sub = _sign_up(plain, "bob@example.com")
    with plain.store.begin() as tx:
        user = tx.get_user(plain.pool.config.pool_id, sub)
    assert user is not None

    def invite(ctx: Any) -> tuple[str, str]:
        return compose(
            ctx,
            user,
            source="CustomMessage_AdminCreateUser",
            channel="EMAIL",
            template=ctx.pool.templates.invitation_email,
            code="Temp-Pass1!",
            username="bob",
        )

    assert plain.pool.run(invite) == (
        "Your temporary password",
        "Your username is bob and temporary password is Temp-Pass1!.",
    )
    no_name = pool_with(custom_message=lambda event: {**event, "response": {"emailMessage": "Password: {####}"}})
    with pytest.raises(errors.InvalidParameterException, match="must contain the username placeholder"):
        no_name.pool.run(invite)
    seen: list[dict[str, Any]] = []

    def named(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        request = event["request"]
        event["response"]["emailMessage"] = f"Hi {request['usernameParameter']}: {request['codeParameter']}"
        event["response"]["emailSubject"] = "Invited"
        return event

    assert pool_with(custom_message=named).pool.run(invite) == ("Invited", "Hi bob: Temp-Pass1!")
    assert seen[0]["request"]["usernameParameter"] == "{username}"


def test_a_raising_custom_message_fails_the_sign_up_and_writes_nothing(pool_with: Callable[..., PoolHarness]) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise KeyError("template")

    h = pool_with(custom_message=broken)
    with pytest.raises(errors.UserLambdaValidationException, match=r"^CustomMessage failed with error 'template'\.$"):
        _sign_up(h, "ada@example.com")
    assert h.count_users() == 0 and h.sent == []
