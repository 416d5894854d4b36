"""Operators signing in to the console: a password and then a TOTP code, always; the throttle; sessions
that end (idle, expired, signed out, operator reset); CSRF; the headers every page carries."""

from __future__ import annotations

import pyotp

from tests.console.conftest import CSRF, OPERATOR, OPERATOR_PASSWORD, Console, add_operator
from userpool.core.flows import console_sign_in


def _start(c: Console, name: str = OPERATOR, password: str = OPERATOR_PASSWORD) -> object:
    token = c.csrf(c.client.get("/console/sign-in").text)
    return c.client.post("/console/sign-in", data={"csrf_token": token, "name": name, "password": password},
                         follow_redirects=False)  # fmt: skip


def test_signed_out_pages_send_to_sign_in(console: Console) -> None:
    for path in ("/console", "/console/users", "/console/user?username=x", "/console/groups", "/console/audit"):
        response = console.client.get(path, follow_redirects=True)
        assert response.url.path == "/console/sign-in", path
        assert "Sign in to the console" in response.text


def test_password_alone_does_not_sign_in(console: Console) -> None:
    first = _start(console)
    assert first.status_code == 303 and first.headers["location"] == "/console/sign-in/code"
    # Half-way: the password was right, but no page opens without the code.
    page = console.client.get("/console/users", follow_redirects=True)
    assert page.url.path == "/console/sign-in"
    assert console.client.get("/console/sign-in/code").status_code == 200


def test_sign_in_with_password_and_code_then_sign_out(console: Console) -> None:
    console.sign_in()
    users = console.client.get("/console/users")
    assert users.status_code == 200 and "Users" in users.text and OPERATOR in users.text
    out = console.post("/console/sign-out")
    assert out.status_code == 303 and out.headers["location"].startswith("/console/sign-in")
    assert console.client.get("/console/users", follow_redirects=True).url.path == "/console/sign-in"
    assert [a for _, a, _ in console.audit()] == ["console.sign_out", "console.sign_in"]


def test_wrong_password_unknown_name_and_wrong_code_get_one_answer(console: Console) -> None:
    wrong = _start(console, password="not-the-password")
    unknown = _start(console, name="mallory")
    assert wrong.status_code == unknown.status_code == 400
    assert console_sign_in.WRONG in wrong.text and console_sign_in.WRONG in unknown.text
    assert _start(console).status_code == 303
    token = console.csrf(console.client.get("/console/sign-in/code").text)
    bad = console.client.post("/console/sign-in/code", data={"csrf_token": token, "code": "000000"})
    assert bad.status_code == 400 and console_sign_in.WRONG in bad.text
    good = console.client.post("/console/sign-in/code", data={"csrf_token": token, "code": console.code()},
                               follow_redirects=False)  # fmt: skip
    assert good.headers["location"] == "/console/users"


def test_a_code_works_once(console: Console) -> None:
    code = console.code()
    assert _start(console).status_code == 303
    token = console.csrf(console.client.get("/console/sign-in/code").text)
    assert console.client.post("/console/sign-in/code", data={"csrf_token": token, "code": code},
                               follow_redirects=False).status_code == 303  # fmt: skip
    console.client.cookies.clear()
    assert _start(console).status_code == 303
    token = console.csrf(console.client.get("/console/sign-in/code").text)
    again = console.client.post("/console/sign-in/code", data={"csrf_token": token, "code": code})
    assert again.status_code == 400 and console_sign_in.WRONG in again.text


def test_five_failures_lock_the_name_for_longer_each_time(console: Console) -> None:
    for _ in range(console_sign_in.LOCKOUT.max_attempts - 1):
        assert _start(console, password="wrong-password-x").status_code == 400
    assert _start(console, password="wrong-password-x").status_code == 400  # the fifth: now locked for 30 s
    locked = _start(console)  # even the right password is not looked at
    assert locked.status_code == 429 and "try again in" in locked.text
    console.h.clock.advance(31)
    assert _start(console, password="wrong-password-x").status_code == 400  # sixth: locked for 60 s
    console.h.clock.advance(31)
    assert _start(console).status_code == 429
    console.h.clock.advance(30)
    assert _start(console).status_code == 303
    # Unknown names are throttled the same way, so the lock tells nothing about which names exist.
    for _ in range(console_sign_in.LOCKOUT.max_attempts):
        _start(console, name="nobody")
    assert _start(console, name="nobody").status_code == 429


def test_session_ends_after_idle_time_and_at_most_after_eight_hours(console: Console) -> None:
    console.sign_in()
    console.h.clock.advance(console_sign_in.IDLE_SECONDS + 1)
    assert console.client.get("/console/users", follow_redirects=True).url.path == "/console/sign-in"
    console.sign_in()
    for _ in range(int(console_sign_in.MAX_SECONDS // 1500)):
        console.h.clock.advance(1500)  # active every 25 minutes
        assert console.client.get("/console/users").status_code == 200
    console.h.clock.advance(1500)
    assert console.client.get("/console/users", follow_redirects=True).url.path == "/console/sign-in"


def test_the_half_way_session_expires(console: Console) -> None:
    assert _start(console).status_code == 303
    console.h.clock.advance(console_sign_in.MFA_SECONDS + 1)
    token = console.csrf(console.client.get("/console/sign-in/code").text)
    late = console.client.post("/console/sign-in/code", data={"csrf_token": token, "code": console.code()})
    assert late.status_code == 400 and "expired" in late.text


def test_reset_admin_ends_sessions_and_replaces_the_secret(console: Console) -> None:
    console.sign_in()
    with console.h.store.begin() as tx:
        admin = console_sign_in.create_admin(tx, console.h.pool.hasher, console.h.pool.random, console.h.clock.now(),
                                             name=OPERATOR, password="a-new-password-1", reset=True)  # fmt: skip
    assert console.client.get("/console/users", follow_redirects=True).url.path == "/console/sign-in"
    console.totp_secret = admin.totp_secret
    console.sign_in(password="a-new-password-1")


def test_csrf_is_required_on_every_form(console: Console) -> None:
    refused = console.client.post("/console/sign-in", data={"name": OPERATOR, "password": OPERATOR_PASSWORD})
    assert refused.status_code == 403 and "CSRF" in refused.text
    console.sign_in()
    h = console.h
    h.confirmed_user("ada@example.com")
    for path, fields in (
        ("/console/user/enabled", {"username": "ada@example.com", "enabled": "false"}),
        ("/console/user/delete", {"username": "ada@example.com", "confirm": "ada@example.com"}),
        ("/console/groups", {"name": "evil"}),
        ("/console/sign-out", {}),
    ):
        forged = console.client.post(path, data={"csrf_token": "0" * 64, **fields})
        assert forged.status_code == 403, path
    with h.store.begin() as tx:
        user = tx.find_user(h.pool.config.pool_id, "email:ada@example.com")
        assert user is not None and user.enabled
        assert tx.get_group(h.pool.config.pool_id, "evil") is None
    assert console.client.get("/console/users").status_code == 200  # still signed in


def test_pages_carry_strict_headers_and_cookies(console: Console) -> None:
    page = console.client.get("/console/sign-in")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and "style=" not in page.text
    first = _start(console)
    cookie = first.headers["set-cookie"]
    assert "userpool-console=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_a_second_operator_signs_in_with_their_own_secret(console: Console) -> None:
    secret = add_operator(console.h, "bob", "bobs-password-99")
    assert _start(console, "bob", "bobs-password-99").status_code == 303
    token = CSRF.search(console.client.get("/console/sign-in/code").text)
    assert token is not None
    code = pyotp.TOTP(secret).at(console.h.clock.t)
    done = console.client.post(
        "/console/sign-in/code", follow_redirects=False, data={"csrf_token": token.group(1), "code": code}
    )
    assert done.status_code == 303
    assert "bob" in console.client.get("/console/users").text
