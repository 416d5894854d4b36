"""Browser tier: Playwright for Python driving Debian's Chromium (never a downloaded browser build).

Install the browser with `apt-get install -y chromium`; without /usr/bin/chromium every test here is skipped,
and the skip reason says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = Path(os.environ.get("USERPOOL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 15_000

MISSING = (
    f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}. Install Debian's Chromium with "
    "`apt-get install -y chromium` (or point USERPOOL_CHROMIUM at a Chromium binary) to run them."
)


# Per module, not per session: Playwright's sync API keeps an asyncio loop running in the main thread while
# it is up, which later tiers (Django's async_to_sync in tests/integrations) cannot share.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; skips (saying how to install it) when it is not there."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context (its own cookie jar) and page per test."""
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
