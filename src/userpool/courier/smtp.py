"""Email over SMTP (RFC 5321) with the standard library: one connection per message, TLS by default.

TLS modes, from the `senders.email.tls` option:

- `starttls` (default, port 587): the server must offer STARTTLS (RFC 3207), or nothing is sent at all —
  a server (or someone in the middle) that drops it cannot downgrade us to plaintext.
- `ssl` (port 465): implicit TLS from the first byte (RFC 8314).
- `none`: plaintext, only to this machine (a local relay or a test server), and never with credentials.

Certificates are verified against the system's CAs (`ssl.create_default_context()`); tests pass their own
context. Neither the body nor the code is ever logged: a log line names the purpose and the masked recipient.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from userpool.core.attributes import mask
from userpool.core.model import Message
from userpool.courier.mime import address, compose
from userpool.courier.senders import DeliveryError, SenderSettingsError, is_loopback, reveal
from userpool.definition.models import EmailSender

__all__ = ["SmtpEmailSender"]

log = logging.getLogger("userpool.courier")


class SmtpEmailSender:
    """Sends EMAIL messages through the SMTP server of `settings` (`senders.email`)."""

    def __init__(
        self, settings: EmailSender, secrets: Mapping[str, str], *, context: ssl.SSLContext | None = None
    ) -> None:
        self._settings = settings
        self._username = reveal(settings.username, secrets, "senders.email.username")
        self._password = reveal(settings.password, secrets, "senders.email.password")
        if settings.tls == "none":
            if not is_loopback(settings.host):
                raise SenderSettingsError(
                    f"senders.email.tls: 'none' sends mail in plaintext, allowed only to localhost or 127.0.0.1, "
                    f"not {settings.host!r}; use 'starttls' (port 587) or 'ssl' (port 465)"
                )
            if self._username is not None:
                raise SenderSettingsError(
                    "senders.email: credentials are never sent over plaintext; use tls 'starttls' or 'ssl'"
                )
        try:
            self._from = address(settings.from_email, settings.from_name)
            self._reply_to = address(settings.reply_to) if settings.reply_to else None
        except ValueError as err:
            raise SenderSettingsError(f"senders.email: {err}") from None
        self._context = context or ssl.create_default_context()

    def send(self, message: Message) -> None:
        try:
            mail = compose(message, sender=self._from, reply_to=self._reply_to)
        except ValueError:
            raise DeliveryError("EMAIL", "the recipient's address is not a valid email address") from None
        where = f"{self._settings.host}:{self._settings.port}"
        try:
            self._transmit(mail)
        except DeliveryError as err:
            log.warning("email (%s) to %s not sent via %s: %s", message.purpose, mask(message.to), where, err.reason)
            raise
        except (smtplib.SMTPException, OSError) as err:
            log.warning("email (%s) to %s not sent via %s: %s", message.purpose, mask(message.to), where, _detail(err))
            raise DeliveryError("EMAIL", _reason(err, self._settings.timeout)) from err
        log.info("email (%s) to %s handed to %s", message.purpose, mask(message.to), where)

    def _transmit(self, mail: EmailMessage) -> None:
        smtp = self._connect()
        try:
            if self._username is not None and self._password is not None:
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("auth"):
                    raise DeliveryError("EMAIL", "the mail server does not offer AUTH for the configured username")
                _login(smtp, self._username, self._password)
            smtp.send_message(mail)
            # The server has taken the message (250 after DATA): a failing QUIT changes nothing.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
        finally:
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        if s.tls == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context)
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.tls == "none":
            return smtp
        try:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise DeliveryError("EMAIL", "the mail server does not offer STARTTLS; nothing was sent in plaintext")
            smtp.starttls(context=self._context)
            smtp.ehlo()  # RFC 3207 §4.2: what the server offers before TLS is forgotten; ask again
        except BaseException:
            smtp.close()
            raise
        return smtp


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    if (username + password).isascii():
        smtp.login(username, password)  # the mechanism the server prefers among CRAM-MD5, PLAIN, LOGIN
        return
    # smtplib encodes credentials as ASCII; AUTH PLAIN (RFC 4616) carries UTF-8, so send that ourselves.
    if "plain" not in smtp.esmtp_features.get("auth", "").lower().split():
        raise DeliveryError("EMAIL", "non-ASCII credentials need AUTH PLAIN, which the mail server does not offer")
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode()
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _reason(err: smtplib.SMTPException | OSError, timeout: float) -> str:
    """Why, in words safe for a client: the kind of failure and the SMTP reply code, never the server's text."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = ", ".join(sorted({str(code) for code, _ in err.recipients.values()}))
        return f"the mail server refused the recipient ({codes})"
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return f"the mail server refused the credentials ({err.smtp_code})"
    if isinstance(err, smtplib.SMTPSenderRefused):
        return f"the mail server refused the sender address ({err.smtp_code})"
    if isinstance(err, smtplib.SMTPResponseException):
        return f"the mail server refused the message ({err.smtp_code})"
    if isinstance(err, smtplib.SMTPServerDisconnected):
        # smtplib turns a read that timed out into "disconnected"; the timeout is still its context.
        if isinstance(err.__context__, TimeoutError):
            return f"the mail server did not answer within {timeout:g} s"
        return "the mail server closed the connection"
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"the mail server's TLS certificate did not verify ({err.verify_message})"
    if isinstance(err, ssl.SSLError):
        return "the TLS handshake with the mail server failed"
    if isinstance(err, TimeoutError):
        return f"the mail server did not answer within {timeout:g} s"
    if isinstance(err, ConnectionRefusedError):
        return "the mail server refused the connection"
    if isinstance(err, OSError):
        return "the mail server could not be reached"
    return "the mail server did not take the message"


def _detail(err: Exception) -> str:
    """For the operator's log: the server's own words too (they hold no body and no code)."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        replies = {f"{code} {text.decode(errors='replace')}" for code, text in err.recipients.values()}
        return f"recipient refused: {'; '.join(sorted(replies))[:300]}"
    if isinstance(err, smtplib.SMTPResponseException):
        text = err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) else str(err.smtp_error)
        return f"{type(err).__name__}: {err.smtp_code} {text[:300]}"
    return f"{type(err).__name__}: {err}"[:300]
