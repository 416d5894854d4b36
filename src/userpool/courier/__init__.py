"""Outgoing messages: the `Courier` port and the sandbox outbox; real senders in `delivery`, `smtp`, `sms`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from userpool.core.model import Message
from userpool.core.store import Tx


class Courier(Protocol):
    def record(self, tx: Tx, messages: Sequence[Message]) -> None:
        """Inside the request's unit of work: keep what must survive with it (the sandbox outbox)."""
        ...

    def deliver(self, messages: Sequence[Message]) -> None:
        """After commit: hand the messages to the outside world."""
        ...


class SandboxCourier:
    """Every message is kept in the outbox (readable at /_sandbox/messages) and printed on the console."""

    def __init__(self, echo: Callable[[Message], None] | None = None) -> None:
        self._echo = echo

    def record(self, tx: Tx, messages: Sequence[Message]) -> None:
        for message in messages:
            message.id = tx.add_message(message)

    def deliver(self, messages: Sequence[Message]) -> None:
        if self._echo is not None:
            for message in messages:
                self._echo(message)


def describe(message: Message) -> str:
    """One console line per message, as the sandbox prints it."""
    head = f"[{message.channel.lower()} to {message.to}]"
    subject = f" {message.subject} —" if message.subject else ""
    return f"{head}{subject} {message.body}"
