"""The courier that really delivers: an email sender, an SMS sender, and the outbox where neither applies.

What is kept in the store's outbox (`record`, inside the request's unit of work):

- in the sandbox, every message (`outbox=True`): the developer reads codes at /_sandbox/messages even when
  real senders are configured too;
- under `serve`, only the messages of a channel with no sender configured — they have nowhere else to go, and
  an operator can still reach them (sealed, in the store). A channel with a sender keeps no copy: a code
  stored in the clear beside its hash would defeat the hash.

What is sent (`deliver`, after commit): each message through its channel's sender, every one tried even when
an earlier one failed. Then, if any failed, one `CodeDeliveryFailureException` naming each channel and why.
The unit of work has committed by then, so the user (and the new code) is kept: a later resend can succeed,
and the client hears, as from Cognito, that the code did not leave.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping, Sequence

from userpool.core.errors import CodeDeliveryFailureException
from userpool.core.model import Message
from userpool.core.store import Tx
from userpool.courier import Courier
from userpool.courier.senders import DeliveryError, Sender
from userpool.courier.sms import CallableSmsSender, WebhookSmsSender
from userpool.courier.smtp import SmtpEmailSender
from userpool.definition.models import Senders, SmsWebhook

__all__ = ["DeliveringCourier", "courier_for"]


class DeliveringCourier:
    """A `Courier` that hands each message to the sender for its channel ("EMAIL" or "SMS")."""

    def __init__(
        self,
        *,
        outbox: bool,
        email: Sender | None = None,
        sms: Sender | None = None,
        echo: Callable[[Message], None] | None = None,
    ) -> None:
        self._outbox = outbox
        self._senders: dict[str, Sender] = {}
        if email is not None:
            self._senders["EMAIL"] = email
        if sms is not None:
            self._senders["SMS"] = sms
        self._echo = echo

    def record(self, tx: Tx, messages: Sequence[Message]) -> None:
        for message in messages:
            if self._outbox or message.channel not in self._senders:
                message.id = tx.add_message(message)

    def deliver(self, messages: Sequence[Message]) -> None:
        failures: list[DeliveryError] = []
        for message in messages:
            if self._echo is not None:
                self._echo(message)
            sender = self._senders.get(message.channel)
            if sender is None:
                continue
            try:
                sender.send(message)
            except DeliveryError as err:
                failures.append(err)
        if failures:
            raise CodeDeliveryFailureException(
                "; ".join(f"Could not deliver the message by {f.channel}: {f.reason}" for f in failures)
            )


def courier_for(
    senders: Senders,
    secrets: Mapping[str, str],
    *,
    sandbox: bool,
    echo: Callable[[Message], None] | None = None,
    context: ssl.SSLContext | None = None,
) -> Courier:
    """The courier a deploy wires into its `UserPool`: the definition's `senders`, its secrets resolved.

    Raises `SenderSettingsError` (a `ValueError`) when the senders cannot work as configured: a secret without
    a value, plaintext to another host, credentials without TLS. `context` replaces the system's CAs (tests).
    """
    email = SmtpEmailSender(senders.email, secrets, context=context) if senders.email is not None else None
    sms: Sender | None = None
    if isinstance(senders.sms, SmsWebhook):
        sms = WebhookSmsSender(senders.sms, secrets, context=context)
    elif senders.sms is not None:
        sms = CallableSmsSender(senders.sms)
    return DeliveringCourier(outbox=sandbox, email=email, sms=sms, echo=echo)
