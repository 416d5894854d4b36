"""Every hosted route a signed-out visitor walks, in Chromium against a real sandbox, in light and dark mode,
with axe-core on each page: signIn (keyboard only, errors announced), signUp (password rules ticked as
typed), confirmSignUp (resend), signOut, forgotPassword, confirmResetPassword, forceNewPassword,
confirmSignIn (authenticator app, email, SMS, a recovery code), selectMfaType, verifyUser and
confirmVerifyUser (verify, and skip). Codes come from the sandbox's outbox, TOTP codes from pyotp."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.hosted_support import (
    BRANDED,
    CALLBACK,
    assert_accessible,
    authorize_url,
    confirmed_user,
    factor_user,
    force_change_password,
    heading,
    new_page,
    route_to_callback,
    sign_in,
    start,
    totp_user,
    wait_for_callback,
)
from tests.support.sandbox import PASSWORD, Sandbox, unique_email

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def branded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    yield from start(tmp_path_factory, BRANDED)


SCHEMES = ["light", "dark"]
NEW_PASSWORD = "N3w-Passw0rd!"


@pytest.fixture(params=SCHEMES)
def visitor(request: pytest.FixtureRequest, chromium: Browser) -> object:
    context, page = new_page(chromium, request.param)
    route_to_callback(context)
    yield page
    context.close()


def _start(page: Page, box: Sandbox) -> None:
    page.goto(authorize_url(box))
    heading(page, "Sign In")


def test_sign_up_confirm_with_a_resent_code_sign_in_and_sign_out(visitor: Page, branded: Sandbox) -> None:
    page, email = visitor, unique_email("pw-signup")
    _start(page, branded)
    assert_accessible(page, "signIn")
    page.get_by_role("link", name="Create Account").click()
    heading(page, "Create Account")
    password = page.get_by_label("Password", exact=True)
    password.fill("abc")
    rules = page.locator("[data-password-rules] li")
    expect(rules.filter(has_text="A lowercase letter")).to_have_attribute("data-met", "true")
    expect(rules.filter(has_text="At least 8 characters")).to_have_attribute("data-met", "false")
    assert password.evaluate("e => !e.checkValidity()")  # the browser holds the form until the rules are met
    page.get_by_label("Email").fill(email)
    password.fill(PASSWORD)
    expect(rules.filter(has_text="A symbol")).to_have_attribute("data-met", "true")
    page.get_by_label("Confirm Password").fill(PASSWORD)
    assert_accessible(page, "signUp")
    page.get_by_role("button", name="Create Account").click()

    heading(page, "We Emailed You")
    first = branded.last_code(email)
    page.get_by_role("button", name="Resend Code").click()
    expect(page.get_by_role("status")).to_have_text("We sent you a new code.")
    assert_accessible(page, "confirmSignUp")
    code = branded.last_code(email)
    assert code != first or len([m for m in branded.messages() if m["to"] == email]) == 2
    page.get_by_label("Confirmation Code").fill(code)
    page.get_by_role("button", name="Confirm", exact=True).click()

    heading(page, "Sign In")
    expect(page.get_by_role("status")).to_have_text("Your account is confirmed. Sign in to continue.")
    page.get_by_label("Password", exact=True).fill(PASSWORD)  # the email is filled in already
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert "code=" in wait_for_callback(page)

    page.goto(f"{branded.endpoint}/login?client_id={branded.client_id}")
    heading(page, "Signed In")
    assert_accessible(page, "signedIn")
    page.get_by_role("link", name="Sign Out").click()
    heading(page, "You have signed out")
    assert_accessible(page, "signOut")


def test_keyboard_only_sign_in_with_errors_announced(visitor: Page, branded: Sandbox) -> None:
    page, email = visitor, unique_email("pw-keys")
    confirmed_user(branded, email)
    _start(page, branded)
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert order == [
        "field-username",
        "field-password",
        "Sign in",
        "Sign In with Google",
        "Sign In with AcmeSSO",
        "Forgot your password?",
    ]
    page.locator("#field-username").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type("Wr0ng-Password!")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Incorrect username or password.")
    assert alert.get_attribute("aria-live") == "assertive"
    assert_accessible(page, "signIn (error)")
    expect(page.locator("#field-username")).to_have_value(email)  # kept; the password is not
    page.locator("#field-password").focus()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    assert "code=" in wait_for_callback(page)


def test_forgot_password_and_reset(visitor: Page, branded: Sandbox) -> None:
    page, email = visitor, unique_email("pw-reset")
    confirmed_user(branded, email)
    _start(page, branded)
    page.get_by_role("link", name="Forgot your password?").click()
    heading(page, "Reset Password")
    assert_accessible(page, "forgotPassword")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("New Password")).to_be_visible()
    assert_accessible(page, "confirmResetPassword")
    page.get_by_label("Code", exact=True).fill(branded.last_code(email))
    page.get_by_label("New Password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Submit").click()
    heading(page, "Sign In")
    expect(page.get_by_role("status")).to_contain_text("Your password has been reset.")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_callback(page)


def test_a_temporary_password_is_changed_first(visitor: Page, branded: Sandbox) -> None:
    page, email = visitor, unique_email("pw-force")
    force_change_password(branded, email)
    _start(page, branded)
    sign_in(page, email)
    heading(page, "Change Password")
    assert_accessible(page, "forceNewPassword")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    wait_for_callback(page)


def test_confirm_sign_in_with_an_authenticator_app_then_a_recovery_code(
    visitor: Page, branded: Sandbox, chromium: Browser
) -> None:
    page, email = visitor, unique_email("pw-totp")
    app = totp_user(branded, email)
    _start(page, branded)
    sign_in(page, email)
    heading(page, "Confirm TOTP Code")
    assert_accessible(page, "confirmSignIn (TOTP)")
    page.get_by_label("Code", exact=True).fill(app.now())
    page.get_by_role("button", name="Confirm").click()
    wait_for_callback(page)

    page.goto(f"{branded.endpoint}/recoveryCodes?client_id={branded.client_id}")
    heading(page, "Recovery Codes")
    page.get_by_role("button", name="Generate new recovery codes").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page, "recoveryCodes")

    context, other = new_page(chromium)
    route_to_callback(context)
    try:
        _start(other, branded)
        sign_in(other, email)
        heading(other, "Confirm TOTP Code")
        other.get_by_text("Use a recovery code").click()
        other.get_by_label("Recovery Code").fill(codes[0])
        other.get_by_role("button", name="Use recovery code").click()
        wait_for_callback(other)
    finally:
        context.close()


@pytest.mark.parametrize("factor", ["EMAIL", "SMS"])
def test_confirm_sign_in_with_a_code_by_email_or_sms(visitor: Page, branded: Sandbox, factor: str) -> None:
    page, email = visitor, unique_email(f"pw-{factor.lower()}")
    phone = "+1415555" + re.sub(r"\D", "", email)[:4].ljust(4, "0")
    factor_user(branded, email, factor, phone if factor == "SMS" else "")
    _start(page, branded)
    sign_in(page, email)
    heading(page, "Confirm Email Code" if factor == "EMAIL" else "Confirm SMS Code")
    assert_accessible(page, f"confirmSignIn ({factor})")
    page.get_by_label("Code", exact=True).fill(branded.last_code(email if factor == "EMAIL" else phone))
    page.get_by_role("button", name="Confirm").click()
    wait_for_callback(page)


def test_select_mfa_type(visitor: Page, branded: Sandbox) -> None:
    page, email = visitor, unique_email("pw-select")
    totp_user(branded, email, also_email=True)
    _start(page, branded)
    sign_in(page, email)
    heading(page, "Multi-Factor Authentication")
    assert_accessible(page, "selectMfaType")
    page.get_by_label("Email").check()
    page.get_by_role("button", name="Confirm").click()
    heading(page, "Confirm Email Code")
    page.get_by_label("Code", exact=True).fill(branded.last_code(email))
    page.get_by_role("button", name="Confirm").click()
    wait_for_callback(page)


@pytest.mark.parametrize("choice", ["verify", "skip"])
def test_verify_user_after_sign_in(visitor: Page, branded: Sandbox, choice: str) -> None:
    page, email = visitor, unique_email("pw-verify").replace("@example.com", "@unverified.example.com")
    confirmed_user(branded, email)  # confirmed by the pre-sign-up trigger, the email not verified
    _start(page, branded)
    sign_in(page, email)
    heading(page, "Account recovery requires verified contact information")
    assert_accessible(page, "verifyUser")
    if choice == "skip":
        page.get_by_role("button", name="Skip").click()
        wait_for_callback(page)
        return
    expect(page.get_by_label(re.compile(r"^Email: "))).to_be_checked()
    page.get_by_role("button", name="Verify").click()
    heading(page, "Verify Contact")
    assert_accessible(page, "confirmVerifyUser")
    page.get_by_label("Code", exact=True).fill("000000" if branded.last_code(email) != "000000" else "111111")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_have_text("Invalid verification code provided, please try again.")
    page.get_by_label("Code", exact=True).fill(branded.last_code(email))
    page.get_by_role("button", name="Submit").click()
    wait_for_callback(page)
    assert CALLBACK in page.url
