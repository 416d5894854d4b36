"""Setting up MFA during sign-in in Chromium, in a pool that requires it (authenticator app or email), for
users without a verified email (confirmed by a pre-sign-up trigger): selectMfaType (which factor to set
up), setupTotp (the QR code and the secret as text; the code from pyotp; then verifyUser, skipped),
setupEmail (an address, then its code on confirmSignIn, which verifies it), in light and dark mode with
axe-core on each page."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.hosted_support import (
    REQUIRED,
    assert_accessible,
    authorize_url,
    confirmed_user,
    heading,
    new_page,
    route_to_callback,
    sign_in,
    start,
    wait_for_callback,
)
from tests.support.sandbox import Sandbox, unique_email

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def required(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    yield from start(tmp_path_factory, REQUIRED)


@pytest.fixture(params=["light", "dark"])
def visitor(request: pytest.FixtureRequest, chromium: Browser) -> Iterator[Page]:
    context, page = new_page(chromium, request.param)
    route_to_callback(context)
    yield page
    context.close()


def _to_setup_choice(page: Page, box: Sandbox, email: str) -> None:
    confirmed_user(box, email)
    page.goto(authorize_url(box))
    sign_in(page, email)
    heading(page, "Set Up Multi-Factor Authentication")
    assert_accessible(page, "selectMfaType (setup)")


def test_setup_totp_with_the_qr_code_or_the_secret(visitor: Page, required: Sandbox) -> None:
    page, email = visitor, unique_email("pw-setup-totp").replace("@example.com", "@unverified.example.com")
    _to_setup_choice(page, required, email)
    page.get_by_label("Authenticator app (TOTP)").check()
    page.get_by_role("button", name="Confirm").click()
    heading(page, "Setup TOTP")
    expect(page.get_by_role("img", name="QR code of the secret key, for an authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    link = page.get_by_role("link", name="Open in an authenticator app").get_attribute("href") or ""
    assert link.startswith("otpauth://totp/") and f"secret={secret}" in link
    assert_accessible(page, "setupTotp")
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    heading(page, "Account recovery requires verified contact information")  # the email is still unverified
    page.get_by_role("button", name="Skip").click()
    wait_for_callback(page)


def test_setup_email_then_its_code(visitor: Page, required: Sandbox) -> None:
    page, email = visitor, unique_email("pw-setup-email").replace("@example.com", "@unverified.example.com")
    _to_setup_choice(page, required, email)
    page.get_by_label("Email").check()
    page.get_by_role("button", name="Confirm").click()
    heading(page, "Setup Email")
    assert_accessible(page, "setupEmail")
    expect(page.get_by_label("Email")).to_have_value(email)  # the account's own address, to change if wished
    page.get_by_role("button", name="Send code").click()
    heading(page, "Confirm Email Code")
    page.get_by_label("Code", exact=True).fill(required.last_code(email))
    page.get_by_role("button", name="Confirm").click()
    wait_for_callback(page)
