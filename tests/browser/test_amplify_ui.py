"""Amplify UI's React `<Authenticator>` and `withAuthenticator`, unchanged, against a userpool sandbox in Chromium.

examples/react-authenticator is copied to a temporary folder (its `node_modules` linked, not copied), given a
sandbox with TOTP MFA (OPTIONAL, and a REQUIRED variant), and built with Vite against the `amplify_outputs.json`
that sandbox wrote, exactly as a developer would (`userpool sandbox`, then `npm run build`). The built app is served
from `localhost` and talks to the sandbox on `127.0.0.1`: a different origin, so CORS is exercised too.

OPTIONAL (`<Authenticator>` page): create an account, confirm it with the emailed code, be signed in, turn on an
authenticator app (setUpTOTP / verifyTOTPSetup / updateMFAPreference, from a button in the example), sign out,
sign in answering the TOTP challenge, reset the password through "Forgot your password?", sign in with the new
password (and TOTP), sign out.

REQUIRED (`withAuthenticator` page): create an account, confirm it, set up TOTP on the Authenticator's own
"Setup TOTP" screen (QR code and the secret as text), be signed in, sign out, sign in with a TOTP code, sign out.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.sandbox import PASSWORD, Sandbox, start_sandbox, unique_email

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "react-authenticator"
NODE_MODULES = EXAMPLE / "node_modules"
VITE = NODE_MODULES / ".bin" / "vite"
NEW_PASSWORD = "N3w-Horse-Battery!"
# SRP, device SRP and a build's worth of JavaScript on a busy two-core machine: wait longer than expect's 5 s.
WAIT_MS = 15_000
REQUIRED_RESOURCE = """from userpool import define_auth

auth = define_auth(login_with={"email": True}, multifactor={"mode": "REQUIRED", "totp": True})
"""
NO_APP = (
    "AMPLIFY UI TESTS SKIPPED: {what}. Install the example's packages with "
    "`npm ci --prefix examples/react-authenticator` (what `scripts/setup --all` runs) to run them."
)


@dataclass
class BuiltApp:
    url: str
    sandbox: Sandbox


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the test's output stays readable
        pass


@contextmanager
def _static_server(root: Path, port: int = 0) -> Iterator[str]:
    """The built app on `localhost`, as `vite preview` or any static host would serve it."""
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def _built_app(tmp: Path, resource: str | None) -> Iterator[BuiltApp]:
    if not VITE.exists():
        pytest.skip(NO_APP.format(what=f"no {VITE.relative_to(EXAMPLE.parents[1])}"))
    if shutil.which("node") is None:
        pytest.skip(NO_APP.format(what="no `node` on PATH"))
    app_dir = tmp / "react-authenticator"
    shutil.copytree(
        EXAMPLE,
        app_dir,
        ignore=shutil.ignore_patterns(
            "node_modules", "dist", ".amplify", "amplify_outputs.json", "__pycache__", "*.log"
        ),
    )
    (app_dir / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    if resource is None:
        resource = (app_dir / "amplify" / "auth" / "resource.py").read_text()
    box = start_sandbox(app_dir, resource)
    try:
        build = subprocess.run(
            [str(VITE), "build", "--logLevel", "warn"],
            cwd=app_dir,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert build.returncode == 0, f"vite build failed:\n{build.stdout}\n{build.stderr}"
        with _static_server(app_dir / "dist") as url:
            yield BuiltApp(url, box)
    finally:
        box.stop()


@pytest.fixture(scope="module")
def optional_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltApp]:
    with _built_app(tmp_path_factory.mktemp("amplify-ui-optional"), None) as app:
        yield app


@pytest.fixture(scope="module")
def required_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltApp]:
    with _built_app(tmp_path_factory.mktemp("amplify-ui-required"), REQUIRED_RESOURCE) as app:
        yield app


class AuthenticatorApp:
    """What a phone's authenticator app does with the secret, and the server's rule that a 30-second step is
    used at most once (each code comes from a later step than the last, waiting when it must)."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step: int | None = None

    def code(self) -> str:
        while True:
            now = time.time()
            step, into = divmod(now, 30)
            if into > 27:  # the code could expire on the way; wait for the next step
                time.sleep(30.2 - into)
                continue
            wanted = int(step) if self.last_step is None else max(int(step), self.last_step + 1)
            if wanted <= step + 1:  # the server accepts one step either side of its clock
                self.last_step = wanted
                return self.totp.at(wanted * 30)
            time.sleep(30.2 - into)


@pytest.fixture
def console_errors(page: Page) -> Iterator[list[str]]:
    """What the app logs as errors (a request the server refused shows up here too): none, by the end."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    yield errors
    assert errors == []


def _codes(box: Sandbox, email: str) -> list[str]:
    return [str(m["code"]) for m in box.messages() if m["to"].lower() == email.lower() and m.get("code")]


def _new_code(box: Sandbox, email: str, after: int) -> str:
    """The code in the first message to `email` beyond the `after` already there (delivery follows the commit)."""
    deadline = time.monotonic() + 10
    while len(codes := _codes(box, email)) <= after:
        assert time.monotonic() < deadline, f"no new message with a code to {email}"
        time.sleep(0.05)
    return codes[after]


def _heading(page: Page, name: str) -> Locator:
    return page.get_by_role("heading", name=name, exact=True)


def _create_account(page: Page, app: BuiltApp, email: str) -> None:
    page.get_by_role("tab", name="Create Account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm Password").fill(PASSWORD)
    page.get_by_role("button", name="Create Account").click()

    expect(_heading(page, "We Emailed You")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Confirmation Code").fill(app.sandbox.last_code(email))
    page.get_by_role("button", name="Confirm", exact=True).click()


def _sign_in(page: Page, email: str, password: str) -> None:
    expect(page.get_by_role("tab", name="Sign In")).to_have_attribute("aria-selected", "true", timeout=WAIT_MS)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _answer_totp(page: Page, authenticator: AuthenticatorApp) -> None:
    expect(_heading(page, "Confirm TOTP Code")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Code").fill(authenticator.code())
    page.get_by_role("button", name="Confirm", exact=True).click()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("tab", name="Sign In")).to_have_attribute("aria-selected", "true", timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Hello")).to_have_count(0, timeout=WAIT_MS)


def test_authenticator_sign_up_totp_and_password_reset(
    page: Page, optional_app: BuiltApp, console_errors: list[str]
) -> None:
    email = unique_email("amplify-ui")
    hello = page.get_by_role("heading", name=f"Hello {email}", exact=True)

    page.goto(optional_app.url + "/")
    _create_account(page, optional_app, email)
    expect(hello).to_be_visible(timeout=WAIT_MS)  # confirmSignUp signs the new user in (Amplify's autoSignIn)

    # Turn on an authenticator app: the secret is shown as text, and a first code proves the app has it.
    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.get_by_label("Secret key").inner_text().strip()
    link = page.get_by_role("link", name="Open in an authenticator app")
    expect(link).to_have_attribute("href", re.compile(rf"^otpauth://totp/.*[?&]secret={secret}(&|$)"))
    authenticator = AuthenticatorApp(secret)
    page.get_by_label("Code from the app").fill(authenticator.code())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Authenticator app: on")).to_be_visible(timeout=WAIT_MS)

    _sign_out(page)
    _sign_in(page, email, PASSWORD)
    _answer_totp(page, authenticator)
    expect(hello).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Authenticator app: on")).to_be_visible(timeout=WAIT_MS)

    # Forgot your password: the code goes to the email address, then the new password signs in.
    _sign_out(page)
    codes_before = len(_codes(optional_app.sandbox, email))
    page.get_by_role("button", name="Forgot your password?").click()
    expect(_heading(page, "Reset Password")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Enter your email").fill(email)
    page.get_by_role("button", name="Send code").click()
    # confirmResetPassword: the heading stays "Reset Password"
    expect(page.get_by_label("New Password", exact=True)).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Code").fill(_new_code(optional_app.sandbox, email, after=codes_before))
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Submit").click()

    _sign_in(page, email, NEW_PASSWORD)
    _answer_totp(page, authenticator)
    expect(hello).to_be_visible(timeout=WAIT_MS)
    _sign_out(page)

    page.reload()  # signed out for good: no tokens left behind in the browser
    expect(page.get_by_role("tab", name="Sign In")).to_have_attribute("aria-selected", "true", timeout=WAIT_MS)
    assert page.evaluate("Object.keys(localStorage).filter((k) => /(idToken|accessToken|refreshToken)$/.test(k))") == []


def test_with_authenticator_required_totp(page: Page, required_app: BuiltApp, console_errors: list[str]) -> None:
    email = unique_email("with-authenticator")
    hello = page.get_by_role("heading", name=f"Hello {email}", exact=True)

    page.goto(required_app.url + "/#/with-authenticator")
    _create_account(page, required_app, email)

    # MFA is REQUIRED and the user has none: the Authenticator's own setupTotp screen, QR code and secret.
    expect(_heading(page, "Setup TOTP")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("img", name="qr code")).to_be_visible(timeout=WAIT_MS)
    secret = page.locator("[data-amplify-copy] > div").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    authenticator = AuthenticatorApp(secret)
    page.get_by_label("Code").fill(authenticator.code())
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(hello).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("This page is wrapped in withAuthenticator.")).to_be_visible(timeout=WAIT_MS)

    _sign_out(page)
    _sign_in(page, email, PASSWORD)
    _answer_totp(page, authenticator)
    expect(hello).to_be_visible(timeout=WAIT_MS)
    _sign_out(page)
