"""The hosted Authenticator as people see it, in Chromium: the definition's theme (tokens as computed styles,
logo, header, footer) in light and dark mode, the screenshots in docs/, translations switched from the page
and from Accept-Language, social buttons, and axe-core on the entry pages in both colour modes."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.hosted_support import (
    BRANDED,
    assert_accessible,
    authorize_url,
    heading,
    new_page,
    route_to_callback,
    screenshot,
    start,
    wait_for_callback,
)
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def branded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    yield from start(tmp_path_factory, BRANDED)


def _css(page: object, selector: str, prop: str) -> str:
    return str(page.eval_on_selector(selector, f"e => getComputedStyle(e).getPropertyValue('{prop}')"))  # type: ignore[attr-defined]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_theme_applies_in_both_colour_modes_and_the_screenshots(
    chromium: Browser, branded: Sandbox, scheme: str
) -> None:
    context, page = new_page(chromium, scheme, viewport={"width": 760, "height": 900})
    try:
        page.goto(authorize_url(branded))
        heading(page, "Sign In")
        assert _css(page, ".amplify-button--primary", "background-color") == "rgb(91, 33, 182)" or scheme == "dark"
        if scheme == "dark":  # the dark tokens: a lighter brand and links
            assert _css(page, ".amplify-button--primary", "background-color") == "rgb(109, 40, 217)"
            assert _css(page, "body", "background-color") == "rgb(5, 11, 16)"
            assert _css(page, ".amplify-link", "color") == "rgb(196, 181, 253)"
        else:
            assert _css(page, "body", "background-color") == "rgb(245, 247, 250)"
            assert _css(page, ".amplify-link", "color") == "rgb(91, 33, 182)"
        assert _css(page, ".amplify-input", "border-top-left-radius") == "10px"
        expect(page.locator("header")).to_contain_text("Acme Cloud")
        expect(page.locator("footer")).to_contain_text("Acme Cloud · Terms · Privacy")
        logo = page.locator("img.amplify-authenticator__logo")
        assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
        assert (logo.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
        google = page.get_by_role("link", name="Sign In with Google")
        expect(google).to_be_visible()
        expect(page.get_by_role("link", name="Sign In with AcmeSSO")).to_be_visible()
        assert_accessible(page, f"signIn ({scheme})")
        shot = screenshot(page, f"{scheme}-sign-in")
        assert 5_000 < shot.stat().st_size < 400_000

        page.get_by_role("link", name="Create Account").click()
        heading(page, "Create Account")
        expect(page.get_by_label("Email")).to_have_attribute("placeholder", "you@company.com")  # form_fields
        page.get_by_label("Password", exact=True).fill("short")
        assert_accessible(page, f"signUp ({scheme})")
        shot = screenshot(page, f"{scheme}-sign-up")
        assert 5_000 < shot.stat().st_size < 400_000
    finally:
        context.close()


def test_a_social_button_carries_the_apps_request_and_an_outage_upstream_reaches_the_app(
    chromium: Browser, branded: Sandbox
) -> None:
    context, page = new_page(chromium)
    route_to_callback(context)
    try:
        page.goto(authorize_url(branded))
        href = page.get_by_role("link", name="Sign In with Google").get_attribute("href") or ""
        assert href.startswith("/oauth2/authorize?identity_provider=Google&client_id=")
        assert "redirect_uri=" in href and "code_challenge=" in href  # the app's request rides along
        page.get_by_role("link", name="Sign In with Google").click()
        back = parse_qs(urlsplit(wait_for_callback(page)).query)
        assert back["error"] == ["temporarily_unavailable"] and back["state"] == ["st-browser"]
    finally:
        context.close()


def test_translations_switch_from_the_page_and_follow_the_browser(chromium: Browser, branded: Sandbox) -> None:
    context, page = new_page(chromium)
    try:
        page.goto(authorize_url(branded))
        page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
        heading(page, "Anmelden")
        assert page.locator("html").get_attribute("lang") == "de"
        expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
        page.get_by_role("link", name="Konto erstellen").click()  # the cookie keeps the language
        heading(page, "Konto erstellen")
        assert "redirect_uri=" in page.url  # the app's request still rides along
        page.get_by_role("navigation", name="Sprache").get_by_role("link", name="日本語").click()
        heading(page, "アカウントを作成")
        assert_accessible(page, "signUp (ja)")
    finally:
        context.close()
    for locale, title in (("fr-FR", "Connexion"), ("pt-BR", "Entrar"), ("zh-CN", "登录"), ("es", "Iniciar sesión")):
        context, page = new_page(chromium, locale=locale)
        try:
            page.goto(authorize_url(branded))
            heading(page, title)
        finally:
            context.close()
