"""DeliveringCourier: what is kept in the outbox, what is sent, and a failed send that keeps the user."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from tests.courier.conftest import PASSWORD, USER, Tls, free_port, smtp_server
from tests.support.pool import PoolHarness, make_pool
from userpool.core.errors import CodeDeliveryFailureException, UsernameExistsException
from userpool.core.flows import sign_up
from userpool.core.model import Message, UserStatus
from userpool.courier.delivery import DeliveringCourier, courier_for
from userpool.courier.senders import DeliveryError, SenderSettingsError
from userpool.courier.smtp import SmtpEmailSender
from userpool.definition.models import EmailSender, Senders
from userpool.definition.secrets import secret
from userpool.server import build_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # as in tests/web: httpx still drives it
    from starlette.testclient import TestClient


def message(channel: str, to: str, code: str = "123456") -> Message:
    return Message("us-east-1_test", to, channel, "Code", f"Your code is {code}.", 1_790_000_000.0, "sign_up", code)


class FakeTx:
    def __init__(self) -> None:
        self.kept: list[Message] = []

    def add_message(self, m: Message) -> int:
        self.kept.append(m)
        return len(self.kept)


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    def send(self, m: Message) -> None:
        if self.fail:
            raise DeliveryError(m.channel, "the test says no")
        self.sent.append(m)


def test_the_sandbox_keeps_every_message_and_serve_only_those_without_a_sender() -> None:
    mail, text = message("EMAIL", "a@example.com"), message("SMS", "+15555550123")
    sandbox, serve = FakeTx(), FakeTx()
    DeliveringCourier(outbox=True, email=Recorder()).record(sandbox, [mail, text])  # type: ignore[arg-type]
    DeliveringCourier(outbox=False, email=Recorder()).record(serve, [mail, text])  # type: ignore[arg-type]
    assert sandbox.kept == [mail, text]
    assert serve.kept == [text]  # no SMS sender: kept for the operator; the email leaves no copy
    assert text.id == 1


def test_every_message_is_tried_then_one_failure_names_each_channel() -> None:
    email, sms, echoed = Recorder(fail=True), Recorder(), list[Message]()
    courier = DeliveringCourier(outbox=False, email=email, sms=sms, echo=echoed.append)
    batch = [message("EMAIL", "a@example.com"), message("SMS", "+15555550123"), message("EMAIL", "b@example.com")]
    with pytest.raises(CodeDeliveryFailureException) as err:
        courier.deliver(batch)
    assert sms.sent == [batch[1]]
    assert echoed == batch
    assert err.value.message == (
        "Could not deliver the message by EMAIL: the test says no; "
        "Could not deliver the message by EMAIL: the test says no"
    )
    assert "123456" not in err.value.message


def test_courier_for_builds_the_configured_senders(tls: Tls) -> None:
    texts: list[tuple[str, str]] = []
    with smtp_server("starttls", tls=tls, auth=True) as (box, port):
        email = EmailSender(
            from_email="no-reply@example.com",
            host="localhost",
            port=port,
            tls="starttls",
            username=USER,
            password=secret("SMTP_PASSWORD"),
        )
        senders = Senders(email=email, sms=lambda to, body: texts.append((to, body)))
        courier = courier_for(senders, {"SMTP_PASSWORD": PASSWORD}, sandbox=False, context=tls.client)
        courier.deliver([message("EMAIL", "a@example.com"), message("SMS", "+15555550123")])
    assert box.logins == [USER] and len(box.envelopes) == 1
    assert texts == [("+15555550123", "Your code is 123456.")]


def test_courier_for_fails_on_a_missing_secret() -> None:
    senders = Senders(email=EmailSender(from_email="a@example.com", username="u", password=secret("SMTP_PASSWORD")))
    with pytest.raises(SenderSettingsError, match="SMTP_PASSWORD"):
        courier_for(senders, {}, sandbox=True)


def test_no_senders_is_the_sandbox_outbox() -> None:
    tx, echoed = FakeTx(), list[Message]()
    courier = courier_for(Senders(), {}, sandbox=True, echo=echoed.append)
    batch = [message("EMAIL", "a@example.com")]
    courier.record(tx, batch)  # type: ignore[arg-type]
    courier.deliver(batch)
    assert tx.kept == batch and echoed == batch


# -- through a pool: the flow's writes stay when the send fails ------------------------------------------


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[PoolHarness]:
    h = make_pool(tmp_path)
    yield h
    h.store.close()


def _mailer(port: int) -> SmtpEmailSender:
    return SmtpEmailSender(EmailSender(from_email="no-reply@example.com", host="127.0.0.1", port=port, tls="none"), {})


def _code_in(box: Any) -> str:
    body = box.mails[-1].get_content()
    return str(body.rsplit(" ", 1)[-1].strip().rstrip("."))


def test_a_failed_sign_up_email_keeps_the_user_and_a_resend_delivers(harness: PoolHarness) -> None:
    port = free_port()  # nothing listens there yet: the mail server is down
    harness.pool.courier = DeliveringCourier(outbox=False, email=_mailer(port))
    with pytest.raises(CodeDeliveryFailureException, match="by EMAIL: the mail server refused the connection"):
        harness.sign_up("carol@example.com")
    assert harness.count_users() == 1
    with pytest.raises(UsernameExistsException):
        harness.sign_up("carol@example.com")
    with harness.store.begin() as tx:
        assert list(tx.list_messages(harness.pool.config.pool_id)) == []  # serve mode keeps no copy

    with smtp_server(port=port) as (box, _):
        run = harness.pool.run
        delivery = run(sign_up.resend_confirmation_code, client_id=harness.client_id, username="carol@example.com")
        assert delivery.medium == "EMAIL"
        assert box.envelopes[0].rcpt_tos == ["carol@example.com"]
    user = run(sign_up.confirm_sign_up, client_id=harness.client_id, username="carol@example.com", code=_code_in(box))
    assert user.status == UserStatus.CONFIRMED


def test_the_sandbox_outbox_keeps_the_code_when_the_send_fails(harness: PoolHarness) -> None:
    harness.pool.courier = DeliveringCourier(outbox=True, email=_mailer(free_port()))
    with pytest.raises(CodeDeliveryFailureException):
        harness.sign_up("dave@example.com")
    with harness.store.begin() as tx:
        (kept,) = tx.list_messages(harness.pool.config.pool_id)
    assert kept.to == "dave@example.com" and kept.code


def test_the_json_api_answers_code_delivery_failure_and_keeps_the_user(harness: PoolHarness) -> None:
    harness.pool.courier = DeliveringCourier(outbox=False, email=_mailer(free_port()))
    body = {"ClientId": harness.client_id, "Username": "erin@example.com", "Password": "Corr3ct-Horse!"}
    body["UserAttributes"] = [{"Name": "email", "Value": "erin@example.com"}]  # type: ignore[assignment]
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.SignUp",
    }
    with TestClient(build_app(harness.pool, sandbox_mode=False)) as http:
        first = http.post("/", json=body, headers=headers)
        again = http.post("/", json=body, headers=headers)
    assert first.status_code == 400
    assert first.json()["__type"] == "CodeDeliveryFailureException"
    assert first.headers["x-amzn-errortype"].startswith("CodeDeliveryFailureException")
    assert "123456" not in first.text and "127.0.0.1" not in first.text
    assert again.json()["__type"] == "UsernameExistsException"
