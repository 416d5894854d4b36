"""The hosted pages' protections as Chromium enforces them: the strict CSP lets the page's own script run and
nothing else (no violation reported), framing is refused, cookies are HttpOnly and SameSite=Lax, and the
whole sign-up → confirm → sign-in journey works with JavaScript off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.hosted_support import (
    BRANDED,
    authorize_url,
    heading,
    route_to_callback,
    start,
    wait_for_callback,
)
from tests.support.sandbox import PASSWORD, Sandbox, unique_email

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def branded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    yield from start(tmp_path_factory, BRANDED)


def test_the_csp_holds_and_the_pages_own_script_runs(chromium: Browser, branded: Sandbox) -> None:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if _csp(m) else None)
    try:
        page.goto(f"{branded.endpoint}/signup?client_id={branded.client_id}")
        heading(page, "Create Account")
        page.get_by_label("Password", exact=True).fill("Abcdefg1!")
        expect(page.locator("[data-rule=length]")).to_have_attribute("data-met", "true")  # the script ran
        page.get_by_label("Confirm Password").fill("other")
        assert page.get_by_label("Confirm Password").evaluate("e => e.validationMessage") == "Your passwords must match"
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
            " document.head.appendChild(s); }"
        )
        assert page.evaluate("() => window.x") is None  # inline script refused
        assert any("Content Security Policy" in p for p in problems)  # ... and reported; nothing else was
        assert len(problems) == 1, problems
        cookies = {c["name"]: c for c in context.cookies()}
        browser_cookie = cookies["userpool-browser"]
        assert browser_cookie["httpOnly"] and browser_cookie["sameSite"] == "Lax"
    finally:
        context.close()


def _csp(message: ConsoleMessage) -> bool:
    return "Content Security Policy" in message.text or "Refused to" in message.text


def test_the_pages_refuse_to_be_framed(chromium: Browser, branded: Sandbox) -> None:
    context = chromium.new_context()
    page = context.new_page()
    try:
        login = f"{branded.endpoint}/login?client_id={branded.client_id}"
        page.set_content(f'<iframe id="f" src="{login}" title="login"></iframe>')
        page.wait_for_timeout(1000)
        (framed,) = [f for f in page.frames if f != page.main_frame]
        assert framed.url.startswith("chrome-error://")  # blocked by frame-ancestors 'none' / X-Frame-Options
        assert "Sign In" not in framed.content()
    finally:
        context.close()


def test_sign_up_and_sign_in_without_javascript(chromium: Browser, branded: Sandbox) -> None:
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    route_to_callback(context)
    page, email = context.new_page(), unique_email("nojs")
    try:
        page.goto(authorize_url(branded))
        page.get_by_role("link", name="Create Account").click()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill("short")
        page.get_by_label("Confirm Password").fill("short")
        page.get_by_role("button", name="Create Account").click()  # no script: the server answers
        expect(page.get_by_role("alert")).to_contain_text("Your password must have: at least 8 characters")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Confirm Password").fill(PASSWORD)
        page.get_by_role("button", name="Create Account").click()
        heading(page, "We Emailed You")
        page.get_by_label("Confirmation Code").fill(branded.last_code(email))
        page.get_by_role("button", name="Confirm", exact=True).click()
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        assert "code=" in wait_for_callback(page)
    finally:
        context.close()
