"""The hosted pages against the sandbox: texts and labels, CSRF, headers, errors, password reset."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.sandbox import PASSWORD, Sandbox, start_sandbox, unique_email
from tests.web.browser import Browser, Pkce, alert, create_user, link

PAGES = ["/login", "/signup", "/confirm", "/forgotPassword", "/confirmForgotPassword"]


def _labels(page: httpx.Response) -> dict[str, str]:
    """label text → the id of the input it names; every input must have one."""
    labels = {text: for_id for for_id, text in re.findall(r'<label [^>]*for="([^"]+)">([^<]+)</label>', page.text)}
    inputs = re.findall(r'<input [^>]*id="([^"]+)"', page.text)
    assert sorted(inputs) == sorted(labels.values()), (inputs, labels)
    return labels


def _static_url(page: httpx.Response, name: str) -> str:
    found = re.search(r'"(/static/authenticator/' + re.escape(name) + r'\?v=[0-9a-f]+)"', page.text)
    assert found, name
    return found.group(1)


def _buttons(page: httpx.Response) -> list[str]:
    return [b.strip() for b in re.findall(r"<button [^>]*>([^<]*)</button>", page.text)]


def test_texts_and_labels_follow_amplify(sandbox: Sandbox) -> None:
    with Browser(sandbox) as b:
        sign_in = b.get("/login", client_id=sandbox.client_id)
        assert '<h1 class="amplify-heading">Sign In</h1>' in sign_in.text
        assert list(_labels(sign_in)) == ["Email", "Password"]
        assert _buttons(sign_in) == ["Sign in"]
        assert link(sign_in, "Create Account").startswith("/signup")
        assert link(sign_in, "Forgot your password?").startswith("/forgotPassword")

        sign_up = b.get("/signup", client_id=sandbox.client_id)
        assert ">Create Account</h1>" in sign_up.text
        assert list(_labels(sign_up)) == ["Email", "Password", "Confirm Password"]
        assert _buttons(sign_up) == ["Create Account"]
        assert "At least 8 characters" in sign_up.text  # the pool's password policy

        confirm = b.get("/confirm", client_id=sandbox.client_id, username="ada@example.com")
        assert ">We Emailed You</h1>" in confirm.text
        assert list(_labels(confirm)) == ["Confirmation Code"]
        assert _buttons(confirm) == ["Confirm", "Resend Code"]

        forgot = b.get("/forgotPassword", client_id=sandbox.client_id)
        assert ">Reset Password</h1>" in forgot.text
        assert list(_labels(forgot)) == ["Email"]
        assert _buttons(forgot) == ["Send code"]
        assert link(forgot, "Back to Sign In").startswith("/login")

        reset = b.get("/confirmForgotPassword", client_id=sandbox.client_id, username="ada@example.com")
        assert list(_labels(reset)) == ["Code", "New Password", "Confirm Password"]
        assert _buttons(reset) == ["Submit", "Resend Code"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_and_cookie_flags(sandbox: Sandbox, path: str) -> None:
    with Browser(sandbox) as b:
        page = b.get(path, client_id=sandbox.client_id)
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        for directive in ("default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"):
            assert directive in csp
        assert "form-action 'self'" in csp
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "style=" not in page.text
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", page.text, re.DOTALL)
        assert scripts and all(s == "" for s in scripts)  # only <script src=...> from this origin, no inline code
        assert re.findall(r'<script src="([^"]+)"', page.text) == [_static_url(page, "authenticator.js")]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


def test_the_sign_in_form_may_end_at_the_apps_origin(sandbox: Sandbox) -> None:
    """Chrome checks form-action on every redirect after a submission: the validated app origin is allowed."""
    with Browser(sandbox) as b:
        login = b.follow(b.authorize(b.authorize_query(Pkce.new())))
        assert "form-action 'self' http://localhost:3000;" in login.headers["content-security-policy"]


@pytest.mark.parametrize("csrf", ["missing", "wrong", "other-browser"])
def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(sandbox: Sandbox, csrf: str) -> None:
    email = unique_email("csrf")
    with Browser(sandbox) as b, Browser(sandbox) as other:
        page = b.get("/signup", client_id=sandbox.client_id)
        fields = {"username": email, "password": PASSWORD, "confirm_password": PASSWORD}
        if csrf == "missing":
            response = b.submit(page, fields, csrf=False)
        elif csrf == "wrong":
            response = b.submit(page, {**fields, "csrf_token": "0" * 64})
        else:
            other.get("/signup", client_id=sandbox.client_id)
            response = other.submit(page, fields)  # another browser's token with this browser's cookie
        assert response.status_code == 403
        assert "This form has expired" in response.text
    assert not [m for m in sandbox.messages() if m["to"] == email]
    body = {"ClientId": sandbox.client_id, "Username": email, "Password": PASSWORD}
    assert sandbox.call("SignUp", {**body, "UserAttributes": [{"Name": "email", "Value": email}]}).status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(sandbox: Sandbox) -> None:
    email = unique_email("same")
    create_user(sandbox, email)
    answers = []
    with Browser(sandbox) as b:
        for username, password in ((email, "Wr0ng-Password!"), (unique_email("ghost"), "Wr0ng-Password!")):
            page = b.get("/login", client_id=sandbox.client_id)
            response = b.submit(page, {"username": username, "password": password})
            answers.append((response.status_code, alert(response)))
            assert f'value="{username}"' in response.text  # the typed name is kept ...
            assert password not in response.text  # ... the password never
            assert "set-cookie" not in response.headers or "userpool-session" not in response.headers["set-cookie"]
    assert answers[0] == answers[1] == (400, "Incorrect username or password.")


def test_sign_in_without_a_redirect_shows_who_is_signed_in(sandbox: Sandbox) -> None:
    email = unique_email("plain")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        page = b.get("/login", client_id=sandbox.client_id)
        done = b.submit(page, {"username": email, "password": PASSWORD})
        assert done.status_code == 303
        signed_in = b.follow(done)
        assert f"You are signed in as {email}." in signed_in.text
        out = b.get(link(signed_in, "Sign Out"))
        assert "You have signed out" in out.text
        assert "Sign In</h1>" in b.get("/login", client_id=sandbox.client_id).text


def test_sign_up_errors_are_shown_and_keep_the_input(sandbox: Sandbox) -> None:
    email = unique_email("errs")
    with Browser(sandbox) as b:
        page = b.get("/signup", client_id=sandbox.client_id)
        mismatch = b.submit(page, {"username": email, "password": PASSWORD, "confirm_password": PASSWORD + "x"})
        assert alert(mismatch) == "Your passwords must match"
        weak = b.submit(page, {"username": email, "password": "short", "confirm_password": "short"})
        assert weak.status_code == 400
        assert alert(weak) == "Your password must have: at least 8 characters, an uppercase letter, a number, a symbol."
        assert f'value="{email}"' in weak.text
        create_user(sandbox, email)
        taken = b.submit(page, {"username": email, "password": PASSWORD, "confirm_password": PASSWORD})
        assert alert(taken) == "An account with the given email already exists."


def test_an_unconfirmed_user_is_sent_to_confirm_with_a_new_code(sandbox: Sandbox) -> None:
    email = unique_email("unconf")
    with Browser(sandbox) as b:
        page = b.get("/signup", client_id=sandbox.client_id)
        b.submit(page, {"username": email, "password": PASSWORD, "confirm_password": PASSWORD})
        first = sandbox.last_code(email)
        login = b.get("/login", client_id=sandbox.client_id)
        response = b.submit(login, {"username": email, "password": PASSWORD})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/confirm?")
        confirm = b.follow(response)
        resent = b.submit(confirm, {"action": "resend"})
        assert "We sent you a new code." in resent.text
        assert len([m for m in sandbox.messages() if m["to"] == email]) == 3
        wrong = b.submit(confirm, {"code": "000000" if first != "000000" else "111111", "action": "confirm"})
        assert alert(wrong) == "Invalid verification code provided, please try again."
        ok = b.submit(confirm, {"code": sandbox.last_code(email), "action": "confirm"})
        assert ok.status_code == 303


def test_forgot_and_reset_password_through_the_pages(sandbox: Sandbox) -> None:
    email = unique_email("reset")
    create_user(sandbox, email)
    new_password = "N3w-Password!"
    with Browser(sandbox) as b:
        params = b.authorize_query(Pkce.new())
        login = b.follow(b.authorize(params))
        forgot = b.get(link(login, "Forgot your password?"))
        sent = b.submit(forgot, {"username": email})
        assert sent.status_code == 303
        reset = b.follow(sent)
        assert ">Reset Password</h1>" in reset.text
        mismatch = b.submit(reset, {"code": "123456", "password": new_password, "confirm_password": "x"})
        assert alert(mismatch) == "Your passwords must match"
        code = sandbox.last_code(email)
        weak = b.submit(reset, {"code": code, "password": "weak", "confirm_password": "weak"})
        assert alert(weak).startswith("Your password must have: at least 8 characters")
        done = b.submit(reset, {"code": code, "password": new_password, "confirm_password": new_password})
        assert done.status_code == 303, alert(done)
        login = b.follow(done)
        assert "Your password has been reset." in login.text
        old = b.submit(login, {"username": email, "password": PASSWORD})
        assert alert(old) == "Incorrect username or password."
        assert b.sign_in(params, email, new_password)["code"]


def test_forgot_password_for_an_unknown_user_looks_like_a_known_one(sandbox: Sandbox) -> None:
    with Browser(sandbox) as b:
        page = b.get("/forgotPassword", client_id=sandbox.client_id)
        sent = b.submit(page, {"username": unique_email("nobody")})
        assert sent.status_code == 303
        assert sent.headers["location"].startswith("/confirmForgotPassword?")


def test_a_phone_pool_asks_for_a_phone_number_and_texts_the_code(tmp_path: Path) -> None:
    box = start_sandbox(
        tmp_path, 'from userpool import define_auth\n\nauth = define_auth(login_with={"phone": True})\n'
    )
    try:
        phone = "+1415555" + str(uuid.uuid4().int)[:4]
        with Browser(box) as b:
            page = b.get("/signup", client_id=box.client_id)
            assert list(_labels(page)) == ["Phone Number", "Password", "Confirm Password"]
            assert 'type="tel"' in page.text
            created = b.submit(page, {"username": phone, "password": PASSWORD, "confirm_password": PASSWORD})
            assert created.status_code == 303, alert(created)
            confirm = b.follow(created)
            assert ">We Texted You</h1>" in confirm.text
            done = b.submit(confirm, {"code": box.last_code(phone), "action": "confirm"})
            assert done.status_code == 303, alert(done)
            login = b.follow(done)
            assert list(_labels(login)) == ["Phone Number", "Password"]
            signed_in = b.follow(b.submit(login, {"username": phone, "password": PASSWORD}))
            assert f"You are signed in as {phone}." in signed_in.text
    finally:
        box.stop()


def test_the_sign_in_page_locks_after_five_wrong_passwords(sandbox: Sandbox) -> None:
    """The hosted /login counts towards the same lockout as the JSON API (docs/security-defences.md)."""
    email = unique_email("locked")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        for _ in range(5):
            page = b.get("/login", client_id=sandbox.client_id)
            wrong = b.submit(page, {"username": email, "password": "Wr0ng-Password!"})
            assert alert(wrong) == "Incorrect username or password."
        page = b.get("/login", client_id=sandbox.client_id)
        locked = b.submit(page, {"username": email, "password": PASSWORD})  # the right one, not even checked
        assert locked.status_code == 400
        assert alert(locked) == "Attempt limit exceeded, please try after some time."


def test_a_common_password_is_refused_on_the_sign_up_page(sandbox: Sandbox) -> None:
    with Browser(sandbox) as b:
        page = b.get("/signup", client_id=sandbox.client_id)
        email = unique_email("common")
        response = b.submit(page, {"username": email, "password": "P@ssw0rd", "confirm_password": "P@ssw0rd"})
        assert response.status_code == 400
        assert "Password is too common" in alert(response)
