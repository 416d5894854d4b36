"""SMS through the developer's provider: a webhook userpool POSTs to, or a Python function it calls.

There is no SMS protocol to speak, so userpool hands the text over and the developer's side talks to Twilio,
SNS, Vonage, ... The webhook gets `{"to", "body", "purpose"}` as JSON (`purpose`: sign_up, forgot_password,
verify_attribute, ...); any 2xx answer means delivered. The function is `send(to, body)`, and gets
`purpose=` and `code=` too when its signature takes them (or `**kwargs`); it fails by raising (or by
returning `False`).
"""

from __future__ import annotations

import inspect
import logging
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from userpool.core.attributes import mask
from userpool.core.model import Message
from userpool.courier.senders import DeliveryError, SenderSettingsError, is_loopback, reveal
from userpool.definition.models import SmsCallable, SmsWebhook

__all__ = ["CallableSmsSender", "WebhookSmsSender"]

log = logging.getLogger("userpool.courier")


class WebhookSmsSender:
    """POSTs each SMS message as JSON to `settings.webhook`, with `settings.headers` (secrets resolved)."""

    def __init__(
        self, settings: SmsWebhook, secrets: Mapping[str, str], *, context: ssl.SSLContext | None = None
    ) -> None:
        self._url = settings.webhook
        self._host = urlsplit(settings.webhook).hostname or ""
        # Header values are often API keys; a plaintext hop off this machine would hand them (and the code) out.
        if settings.webhook.lower().startswith("http://") and not is_loopback(self._host):
            raise SenderSettingsError(
                f"senders.sms.webhook: plain http:// is allowed only to localhost or 127.0.0.1, not "
                f"{self._host!r}; use https://"
            )
        self._headers: dict[str, str] = {}
        for name, value in settings.headers.items():
            revealed = reveal(value, secrets, f"senders.sms.headers.{name}")
            assert revealed is not None  # a header value is never None in the schema
            self._headers[name] = revealed
        self._timeout = settings.timeout
        self._context = context or ssl.create_default_context()  # built once: loading the CAs costs

    def send(self, message: Message) -> None:
        import httpx  # here: SMS are rare, and a server without an SMS webhook need not hold httpx in memory

        payload = {"to": message.to, "body": message.body, "purpose": message.purpose}
        try:
            # A client per message: SMS are rare, and nothing is left open between requests.
            with httpx.Client(timeout=self._timeout, verify=self._context, follow_redirects=False) as client:
                response = client.post(self._url, json=payload, headers=self._headers)
        except httpx.TimeoutException as err:
            self._failed(message, type(err).__name__)
            raise DeliveryError("SMS", f"the SMS webhook did not answer within {self._timeout:g} s") from None
        except httpx.HTTPError as err:
            # httpx's text can quote the URL, which may carry a token: only the kind of error goes out.
            self._failed(message, type(err).__name__)
            raise DeliveryError("SMS", "the SMS webhook could not be reached") from None
        if not response.is_success:
            self._failed(message, f"HTTP {response.status_code}")
            raise DeliveryError("SMS", f"the SMS webhook answered HTTP {response.status_code}")
        log.info("sms (%s) to %s handed to the webhook at %s", message.purpose, mask(message.to), self._host)

    def _failed(self, message: Message, why: str) -> None:
        to = mask(message.to)
        log.warning("sms (%s) to %s not sent via the webhook at %s: %s", message.purpose, to, self._host, why)


class CallableSmsSender:
    """Calls the definition's `send(to, body, purpose=..., code=...)` function for each SMS message."""

    def __init__(self, settings: SmsCallable) -> None:
        self._send = settings.send
        if inspect.iscoroutinefunction(settings.send):
            raise SenderSettingsError("senders.sms: the send function must be a plain `def`, not `async def`")
        self._keywords = _accepted(settings.send, ("purpose", "code"))

    def send(self, message: Message) -> None:
        extra: dict[str, Any] = {}
        if "purpose" in self._keywords:
            extra["purpose"] = message.purpose
        if "code" in self._keywords:
            extra["code"] = message.code
        name = getattr(self._send, "__name__", "send")
        try:
            result = self._send(message.to, message.body, **extra)
        except Exception as err:
            # Its text is the developer's and could quote the body; the log gets the type and where it came from.
            log.warning(
                "sms (%s) to %s not sent: %s raised %s", message.purpose, mask(message.to), name, type(err).__name__
            )
            raise DeliveryError("SMS", f"the SMS function raised {type(err).__name__}") from None
        if result is False:
            log.warning("sms (%s) to %s not sent: %s returned False", message.purpose, mask(message.to), name)
            raise DeliveryError("SMS", "the SMS function reported a failure")
        log.info("sms (%s) to %s handed to %s", message.purpose, mask(message.to), name)


def _accepted(function: Any, names: tuple[str, ...]) -> frozenset[str]:
    """Which of `names` the function takes as keyword arguments — asked once, not on every message."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: call them with (to, body) only
        return frozenset()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return frozenset(names)
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(p.name for p in parameters if p.name in names and p.kind in keyword)
