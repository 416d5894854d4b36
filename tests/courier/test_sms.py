"""WebhookSmsSender against a real local HTTP(S) server; CallableSmsSender with the signatures people write."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.courier.conftest import Hook, Tls, free_port, webhook_server
from userpool.core.errors import CodeDeliveryFailureException
from userpool.core.model import Message
from userpool.courier.delivery import DeliveringCourier
from userpool.courier.senders import DeliveryError, SenderSettingsError
from userpool.courier.sms import CallableSmsSender, WebhookSmsSender
from userpool.definition.models import SmsCallable, SmsWebhook
from userpool.definition.secrets import secret

CODE = "771204"


def sms(to: str = "+15555550123") -> Message:
    return Message(
        pool_id="us-east-1_test",
        to=to,
        channel="SMS",
        subject="",
        body=f"Your verification code is {CODE}.",
        created_at=1_790_000_000.0,
        purpose="sign_up",
        code=CODE,
    )


def hook_settings(url: str, **kw: Any) -> SmsWebhook:
    return SmsWebhook(webhook=url, **({"timeout": 5} | kw))


def test_webhook_gets_json_and_headers_with_secrets_resolved() -> None:
    hook = Hook()
    with webhook_server(hook) as url:
        settings = hook_settings(url, headers={"Authorization": secret("SMS_TOKEN"), "X-Tenant": "acme"})
        WebhookSmsSender(settings, {"SMS_TOKEN": "Bearer t0k3n"}).send(sms())
    ((path, headers, payload),) = hook.requests
    assert path == "/sms"
    assert headers["authorization"] == "Bearer t0k3n"
    assert headers["x-tenant"] == "acme"
    assert headers["content-type"] == "application/json"
    assert payload == {"to": "+15555550123", "body": f"Your verification code is {CODE}.", "purpose": "sign_up"}


def test_webhook_over_https_verifies_the_certificate(tls: Tls) -> None:
    hook = Hook()
    with webhook_server(hook, tls=tls.server) as url:
        WebhookSmsSender(hook_settings(url), {}, context=tls.client).send(sms())
        assert len(hook.requests) == 1
        with pytest.raises(DeliveryError, match="could not be reached"):
            WebhookSmsSender(hook_settings(url), {}).send(sms())  # the system CAs do not know the test CA
    assert len(hook.requests) == 1


@pytest.mark.parametrize("status", [201, 204])
def test_any_2xx_is_delivered(status: int) -> None:
    with webhook_server(Hook(status=status)) as url:
        WebhookSmsSender(hook_settings(url), {}).send(sms())


@pytest.mark.parametrize("status", [302, 400, 401, 500, 503])
def test_anything_else_is_a_code_delivery_failure(status: int, caplog: pytest.LogCaptureFixture) -> None:
    hook = Hook(status=status)
    with webhook_server(hook) as url, caplog.at_level(logging.INFO, "userpool.courier"):
        courier = DeliveringCourier(outbox=False, sms=WebhookSmsSender(hook_settings(url), {}))
        with pytest.raises(CodeDeliveryFailureException, match=f"by SMS: the SMS webhook answered HTTP {status}"):
            courier.deliver([sms()])
    assert len(hook.requests) == 1  # a redirect is not followed
    assert CODE not in caplog.text and "+15555550123" not in caplog.text


def test_a_webhook_that_is_down_fails() -> None:
    sender = WebhookSmsSender(hook_settings(f"http://127.0.0.1:{free_port()}/sms"), {})
    with pytest.raises(DeliveryError, match="could not be reached") as err:
        sender.send(sms())
    assert CODE not in str(err.value)


def test_a_webhook_that_hangs_is_abandoned_at_the_timeout() -> None:
    hook = Hook(delay=60)  # holds each request until released (60 s only so a broken test cannot hang forever)
    with webhook_server(hook) as url:
        sender = WebhookSmsSender(hook_settings(url, timeout=0.3), {})
        with pytest.raises(DeliveryError, match=r"did not answer within 0\.3 s"):
            sender.send(sms())
        # The sender gave up while the hook still held the request: it stopped waiting, no answer came.
        assert len(hook.requests) == 1 and not hook.answered.is_set()


def test_plain_http_only_to_this_machine() -> None:
    with pytest.raises(SenderSettingsError, match="plain http:// is allowed only to localhost"):
        WebhookSmsSender(hook_settings("http://sms.example.com/send"), {})
    WebhookSmsSender(hook_settings("https://sms.example.com/send"), {})
    WebhookSmsSender(hook_settings("http://localhost:9000/send"), {})


def test_a_header_secret_without_a_value_fails_at_construction() -> None:
    settings = hook_settings("https://sms.example.com/send", headers={"Authorization": secret("SMS_TOKEN")})
    with pytest.raises(SenderSettingsError, match=r"senders\.sms\.headers\.Authorization: secret 'SMS_TOKEN'"):
        WebhookSmsSender(settings, {})


# -- a Python function -----------------------------------------------------------------------------------


def test_a_two_argument_function_gets_to_and_body() -> None:
    calls: list[tuple[str, str]] = []

    def send(to: str, body: str) -> None:
        calls.append((to, body))

    CallableSmsSender(SmsCallable(send=send)).send(sms())
    assert calls == [("+15555550123", f"Your verification code is {CODE}.")]


def test_a_function_taking_keywords_gets_purpose_and_code() -> None:
    calls: list[dict[str, Any]] = []

    def send(to: str, body: str, *, purpose: str, code: str | None = None) -> None:
        calls.append({"to": to, "purpose": purpose, "code": code})

    CallableSmsSender(SmsCallable(send=send)).send(sms())
    assert calls == [{"to": "+15555550123", "purpose": "sign_up", "code": CODE}]


def test_a_function_with_kwargs_gets_everything_and_one_keyword_only_what_it_names() -> None:
    seen: list[dict[str, Any]] = []
    CallableSmsSender(SmsCallable(send=lambda to, body, **kw: seen.append(kw))).send(sms())
    CallableSmsSender(SmsCallable(send=lambda to, body, purpose: seen.append({"purpose": purpose}))).send(sms())
    assert seen == [{"purpose": "sign_up", "code": CODE}, {"purpose": "sign_up"}]


def test_a_function_that_raises_or_returns_false_fails_without_leaking(caplog: pytest.LogCaptureFixture) -> None:
    def broken(to: str, body: str) -> None:
        raise RuntimeError(f"provider said no to {body}")

    with caplog.at_level(logging.INFO, "userpool.courier"):
        with pytest.raises(DeliveryError, match="the SMS function raised RuntimeError") as err:
            CallableSmsSender(SmsCallable(send=broken)).send(sms())
        with pytest.raises(DeliveryError, match="reported a failure"):
            CallableSmsSender(SmsCallable(send=lambda to, body: False)).send(sms())
    assert CODE not in str(err.value) and CODE not in caplog.text


def test_an_async_function_is_refused_at_construction() -> None:
    async def send(to: str, body: str) -> None:
        return None

    with pytest.raises(SenderSettingsError, match="not `async def`"):
        CallableSmsSender(SmsCallable(send=send))
