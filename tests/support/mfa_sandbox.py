"""Sandboxes with MFA on, for the real clients: an SMTP sink for email codes (email MFA needs an email
sender, as in Amplify), a Python SMS sender, and a way to give a user a temporary password."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.sandbox import PASSWORD, Sandbox, free_port, start_sandbox

RESOURCE = """from userpool import define_auth

auth = define_auth(
    login_with={{"email": True}},
    multifactor={{"mode": "{mode}", {factors}}},
    senders={{
        "email": {{"from_email": "noreply@example.com", "host": "127.0.0.1", "port": {port}, "tls": "none"}},
        "sms": lambda to, body, **kw: None,
    }},
)
"""
OPTIONAL_FACTORS = '"totp": True, "sms": True, "email": True'
REQUIRED_FACTORS = '"totp": True'
REQUIRED_TOTP_EMAIL = '"totp": True, "email": True'  # a user without a verified email chooses which to set up


class _Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[int]:
    """An SMTP server on 127.0.0.1 that accepts every message (the codes are read from the outbox)."""
    port = free_port()
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextmanager
def mfa_sandbox(app_dir: Path, mode: str, factors: str) -> Iterator[Sandbox]:
    with smtp_sink() as port:
        box = start_sandbox(app_dir, RESOURCE.format(mode=mode, factors=factors, port=port))
        try:
            yield box
        finally:
            box.stop()


def force_change_password(box: Sandbox, email: str, password: str = PASSWORD) -> None:
    """Make a signed-up user one an administrator created (FORCE_CHANGE_PASSWORD, `password` temporary), as
    AdminCreateUser will once the admin API exists: straight in the sandbox's database."""
    confirm_user(box, email, password)
    (db,) = (box.app_dir / ".amplify" / "userpool").glob("*/pool.db")
    with sqlite3.connect(db) as conn:
        done = conn.execute(
            "UPDATE users SET status = 'FORCE_CHANGE_PASSWORD' WHERE sub IN "
            "(SELECT user_sub FROM user_logins WHERE login_key = ?)",
            (f"email:{email.lower()}",),
        )
        assert done.rowcount == 1


def confirm_user(box: Sandbox, email: str, password: str = PASSWORD) -> None:
    attrs = [{"Name": "email", "Value": email}]
    body = {"ClientId": box.client_id, "Username": email, "Password": password, "UserAttributes": attrs}
    assert box.call("SignUp", body).status_code == 200
    confirm = {"ClientId": box.client_id, "Username": email, "ConfirmationCode": box.last_code(email)}
    assert box.call("ConfirmSignUp", confirm).status_code == 200


def unverify_email(box: Sandbox, email: str) -> None:
    """Mark the user's email unverified (as after an email change not yet confirmed), straight in the
    sandbox's database: in a REQUIRED pool with TOTP and email, such a user must set a factor up (MFA_SETUP)."""
    import json

    (db,) = (box.app_dir / ".amplify" / "userpool").glob("*/pool.db")
    with sqlite3.connect(db) as conn:
        (sub, attributes) = conn.execute(
            "SELECT sub, attributes FROM users WHERE sub IN (SELECT user_sub FROM user_logins WHERE login_key = ?)",
            (f"email:{email.lower()}",),
        ).fetchone()
        values = {**json.loads(attributes), "email_verified": "false"}
        conn.execute("UPDATE users SET attributes = ? WHERE sub = ?", (json.dumps(values), sub))
