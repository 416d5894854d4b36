"""Real servers for the senders to talk to: aiosmtpd's SMTP server and a stdlib HTTP server, on 127.0.0.1.

TLS uses a throwaway CA made here with `cryptography`; a sender trusts it through the SSL context it is given.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

USER, PASSWORD = "mailer", "s3cret-pässword"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext  # presents a certificate for localhost and 127.0.0.1
    client: ssl.SSLContext  # trusts only the test CA, verifies the host name


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "userpool test CA")])
    ca = _cert("userpool test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("localhost", key, ca_name, ca_key, ca=False)
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return Tls(server=server, client=client)


@pytest.fixture(scope="session")
def untrusted() -> ssl.SSLContext:
    """A client context that trusts another CA only: what a sender with the wrong trust store sees."""
    return ssl.create_default_context(cadata=_other_ca_pem())


def _other_ca_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone else's CA")])
    return _cert("someone else's CA", key, name, key, ca=True).public_bytes(serialization.Encoding.PEM).decode()


# -- SMTP ------------------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """aiosmtpd handler: keeps what it is given, refuses the recipients listed in `refuse`."""

    refuse: set[str] = field(default_factory=set)
    password: str = PASSWORD
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            self.password.encode(),
        )
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)  # handled=True (the default) would send no reply

    @property
    def mails(self) -> list[EmailMessage]:
        out: list[EmailMessage] = []
        for envelope in self.envelopes:
            content = envelope.original_content or b""
            parsed = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            out.append(parsed)
        return out


@contextmanager
def smtp_server(
    mode: str = "none", *, tls: Tls | None = None, auth: bool = False, port: int | None = None
) -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server in this process. mode: none (plaintext), starttls (offered, required), ssl."""
    box = Mailbox()
    port = port or free_port()
    params: dict[str, Any] = {}
    if mode == "starttls":
        assert tls is not None
        params.update(tls_context=tls.server, require_starttls=True)
    if mode == "ssl":
        assert tls is not None
        params.update(ssl_context=tls.server)
    if auth:
        # aiosmtpd counts only STARTTLS as TLS for `auth_require_tls`: implicit TLS and the plaintext server
        # (which must offer AUTH, to show the sender never uses it there) turn it off.
        params.update(authenticator=box.authenticate, auth_require_tls=mode == "starttls")
    controller = Controller(box, hostname="127.0.0.1", port=port, server_hostname="mx.test", **params)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


# -- HTTP (the SMS webhook) ------------------------------------------------------------------------------


@dataclass
class Hook:
    status: int = 200
    delay: float = 0.0
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)  # set once a response was sent


@contextmanager
def webhook_server(hook: Hook, *, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """A stdlib HTTP(S) server on 127.0.0.1 recording each POST; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            hook.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
            if hook.delay:
                hook.release.wait(hook.delay)
            self.send_response(hook.status)
            if 300 <= hook.status < 400:
                self.send_header("location", "/elsewhere")
            self.send_header("content-length", "2")
            try:
                self.end_headers()
                self.wfile.write(b"ok")
                hook.answered.set()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (the slow-hook tests): expected, not a failure to print

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/sms"
    finally:
        hook.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
