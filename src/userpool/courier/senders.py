"""What every sender shares: the `Sender` protocol, its one failure, and resolving settings' secrets.

A sender takes one `Message` and either hands it on or raises `DeliveryError` with a reason that is safe to
show a client: it never holds the body, the code, a secret, or the server's address (those stay in the log,
and the body and code not even there).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Protocol

from userpool.core.model import Message
from userpool.definition.secrets import Secret

__all__ = ["DeliveryError", "Sender", "SenderSettingsError", "is_loopback", "reveal"]


class Sender(Protocol):
    def send(self, message: Message) -> None:
        """Hand `message` to the outside world, or raise `DeliveryError`."""
        ...


class DeliveryError(Exception):
    """One message could not be handed on. `reason` is client-safe: no secret, no body, no code, no host."""

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"{channel}: {reason}")
        self.channel = channel
        self.reason = reason


class SenderSettingsError(ValueError):
    """The `senders` option cannot work as given (a missing secret, credentials over plaintext, ...).

    Raised when the courier is built, so a deploy fails before any user waits for a code that cannot leave.
    """


def reveal(value: Secret | str | None, secrets: Mapping[str, str], where: str) -> str | None:
    """The value an option stands for: a `secret("NAME")` looked up in the deploy's resolved secrets."""
    if not isinstance(value, Secret):
        return value
    found = secrets.get(value.name)
    if found is None:
        raise SenderSettingsError(f"{where}: secret {value.name!r} has no value (set it before deploying)")
    return found


def is_loopback(host: str) -> bool:
    """True for a name or address that never leaves this machine: plaintext to it crosses no network."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761 §6.3: always the loopback
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
