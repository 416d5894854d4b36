"""SmtpEmailSender against a real SMTP server (aiosmtpd) on 127.0.0.1: plaintext, STARTTLS, implicit TLS."""

from __future__ import annotations

import logging
import socket
import ssl
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.courier.conftest import PASSWORD, USER, Tls, free_port, smtp_server
from userpool.core.errors import CodeDeliveryFailureException
from userpool.core.model import Message
from userpool.courier.delivery import DeliveringCourier
from userpool.courier.senders import DeliveryError, SenderSettingsError
from userpool.courier.smtp import SmtpEmailSender
from userpool.definition.models import EmailSender
from userpool.definition.secrets import secret

CODE = "482913"


def message(to: str = "alice@example.com", **kw: Any) -> Message:
    fields: dict[str, Any] = {
        "subject": "Your verification code",
        "body": f"Your verification code is {CODE}.",
        "purpose": "sign_up",
        "code": CODE,
    } | kw
    return Message(pool_id="us-east-1_test", to=to, channel="EMAIL", created_at=1_790_000_000.0, **fields)


def settings(port: int, **kw: Any) -> EmailSender:
    base: dict[str, Any] = {
        "from_email": "no-reply@example.com",
        "from_name": "Example App",
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "timeout": 5,
    }
    return EmailSender(**(base | kw))


def with_login(port: int, tls: str, **kw: Any) -> EmailSender:
    return settings(port, tls=tls, host="localhost", username=USER, password=secret("SMTP_PASSWORD"), **kw)


SECRETS = {"SMTP_PASSWORD": PASSWORD}


def test_plaintext_to_localhost_sends_a_well_formed_email() -> None:
    with smtp_server() as (box, port):
        SmtpEmailSender(settings(port, reply_to="help@example.com"), {}).send(message())
    (envelope,) = box.envelopes
    assert envelope.mail_from == "no-reply@example.com"
    assert envelope.rcpt_tos == ["alice@example.com"]
    (mail,) = box.mails
    assert mail["From"] == "Example App <no-reply@example.com>"
    assert mail["To"] == "alice@example.com"
    assert mail["Reply-To"] == "help@example.com"
    assert mail["Subject"] == "Your verification code"
    assert mail["Date"].datetime == datetime.fromtimestamp(1_790_000_000, UTC)  # the message's time, not the send's
    assert mail["Message-ID"].endswith("@example.com>")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().strip() == f"Your verification code is {CODE}."


def test_non_ascii_name_subject_and_body_are_encoded() -> None:
    with smtp_server() as (box, port):
        sender = SmtpEmailSender(settings(port, from_name='Zoë "Café" Ltd'), {})
        sender.send(message(subject="Vérifiez votre adresse ✓", body=f"Bonjour ☃ — votre code est {CODE}."))
    raw = box.envelopes[0].original_content or b""
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # RFC 2047 words in the headers, no raw UTF-8
    assert b"=?utf-8?" in head
    (mail,) = box.mails
    assert mail["From"].addresses[0].display_name == 'Zoë "Café" Ltd'
    assert mail["From"].addresses[0].addr_spec == "no-reply@example.com"
    assert mail["Subject"] == "Vérifiez votre adresse ✓"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().strip() == f"Bonjour ☃ — votre code est {CODE}."


def test_a_subject_cannot_inject_headers() -> None:
    with smtp_server() as (box, port):
        SmtpEmailSender(settings(port), {}).send(message(subject="Hi\r\nBcc: eve@example.com"))
    (mail,) = box.mails
    assert mail["Bcc"] is None
    assert box.envelopes[0].rcpt_tos == ["alice@example.com"]


def test_a_link_body_gets_an_html_alternative_and_a_plain_url() -> None:
    url = "https://auth.example.com/confirmUser?client_id=abc&code=482913"
    body = (
        'Hi <b>bob</b>,\nplease <a href="https://auth.example.com/confirmUser?client_id=abc&amp;code=482913">'
        'Verify Email</a>.\nNot this one: <a href="javascript:alert(1)">x</a>'
    )
    with smtp_server() as (box, port):
        SmtpEmailSender(settings(port), {}).send(message(body=body, code=None))
    (mail,) = box.mails
    assert mail.get_content_type() == "multipart/alternative"
    plain = mail.get_body(("plain",))
    rich = mail.get_body(("html",))
    assert plain is not None and rich is not None
    text, page = plain.get_content(), rich.get_content()
    assert f"please Verify Email: {url}." in text
    assert "<a href" not in text.split("Not this one")[0]
    assert '<a href="https://auth.example.com/confirmUser?client_id=abc&amp;code=482913">Verify Email</a>' in page
    assert "Hi &lt;b&gt;bob&lt;/b&gt;,<br>" in page  # the rest of the body is text, escaped
    assert 'href="javascript' not in page


def test_starttls_with_login(tls: Tls) -> None:
    # The password is not ASCII: smtplib alone cannot send it (it encodes credentials as ASCII).
    with smtp_server("starttls", tls=tls, auth=True) as (box, port):
        SmtpEmailSender(with_login(port, "starttls"), SECRETS, context=tls.client).send(message())
    assert box.logins == [USER]
    assert len(box.envelopes) == 1


def test_implicit_tls_with_login(tls: Tls) -> None:
    # An ASCII password goes through smtplib's own login (the UTF-8 one above through AUTH PLAIN).
    with smtp_server("ssl", tls=tls, auth=True) as (box, port):
        box.password = "ascii-Passw0rd"
        sender = SmtpEmailSender(with_login(port, "ssl"), {"SMTP_PASSWORD": "ascii-Passw0rd"}, context=tls.client)
        sender.send(message())
    assert box.logins == [USER]
    assert len(box.envelopes) == 1


def test_a_wrong_password_is_a_delivery_failure(tls: Tls) -> None:
    with smtp_server("starttls", tls=tls, auth=True) as (box, port):
        sender = SmtpEmailSender(with_login(port, "starttls"), {"SMTP_PASSWORD": "nope"}, context=tls.client)
        with pytest.raises(DeliveryError, match=r"refused the credentials \(535\)"):
            sender.send(message())
    assert box.envelopes == []


def test_an_untrusted_certificate_is_refused(tls: Tls, untrusted: ssl.SSLContext) -> None:
    with smtp_server("starttls", tls=tls, auth=True) as (box, port):
        sender = SmtpEmailSender(with_login(port, "starttls"), SECRETS, context=untrusted)
        with pytest.raises(DeliveryError, match="certificate did not verify"):
            sender.send(message())
    assert box.logins == [] and box.envelopes == []


def test_starttls_is_required_when_configured() -> None:
    # A server (or a meddler) that does not offer STARTTLS gets nothing: no login, no mail.
    with smtp_server("none", auth=True) as (box, port):
        sender = SmtpEmailSender(with_login(port, "starttls"), SECRETS)
        with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
            sender.send(message())
    assert box.logins == [] and box.envelopes == []


def test_credentials_are_never_sent_in_plaintext() -> None:
    with pytest.raises(SenderSettingsError, match="credentials are never sent over plaintext"):
        SmtpEmailSender(with_login(2525, "none"), SECRETS)


def test_plaintext_only_to_this_machine() -> None:
    with pytest.raises(
        SenderSettingsError, match=r"allowed only to localhost or 127\.0\.0\.1, not 'smtp\.example\.com'"
    ):
        SmtpEmailSender(settings(25, host="smtp.example.com"), {})
    for host in ("localhost", "127.0.0.1", "::1"):
        SmtpEmailSender(settings(25, host=host), {})


def test_a_secret_without_a_value_fails_at_construction() -> None:
    with pytest.raises(SenderSettingsError, match=r"senders\.email\.password: secret 'SMTP_PASSWORD' has no value"):
        SmtpEmailSender(with_login(587, "starttls"), {})


def test_a_refused_recipient_is_a_code_delivery_failure(caplog: pytest.LogCaptureFixture) -> None:
    with smtp_server() as (box, port), caplog.at_level(logging.INFO, "userpool.courier"):
        box.refuse.add("ghost@example.com")
        courier = DeliveringCourier(outbox=False, email=SmtpEmailSender(settings(port), {}))
        with pytest.raises(
            CodeDeliveryFailureException, match=r"by EMAIL: the mail server refused the recipient \(550\)"
        ):
            courier.deliver([message("ghost@example.com")])
    assert box.envelopes == []
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("userpool"))
    assert CODE not in ours and "verification code is" not in ours
    assert "g***@e***" in ours


def test_a_server_that_is_down_is_a_code_delivery_failure() -> None:
    courier = DeliveringCourier(outbox=False, email=SmtpEmailSender(settings(free_port()), {}))
    with pytest.raises(CodeDeliveryFailureException, match="refused the connection") as err:
        courier.deliver([message()])
    assert CODE not in str(err.value)


def test_a_server_that_never_answers_is_abandoned_at_the_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) but never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        sender = SmtpEmailSender(settings(silent.getsockname()[1], timeout=0.5), {})
        # The server never greets, so only the sender's own timeout can end this call: the error is the proof.
        with pytest.raises(DeliveryError, match=r"did not answer within 0\.5 s"):
            sender.send(message())


def test_success_logs_no_body_and_no_code(caplog: pytest.LogCaptureFixture) -> None:
    with smtp_server() as (_, port), caplog.at_level(logging.DEBUG):
        SmtpEmailSender(settings(port), {}).send(message())
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("userpool"))
    assert "a***@e***" in ours
    assert CODE not in ours and "verification code is" not in ours
