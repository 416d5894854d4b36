"""The web console in Chromium, as an operator uses it: sign in with a password and a TOTP code, find a
user, disable them, add them to a group, and read the audit entries — with axe-core on every page, and
the screenshot docs/console.md shows."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.hosted_support import DOCS_IMAGES, assert_accessible
from tests.support.sandbox import PASSWORD, Sandbox, free_port, userpool_command, write_app

pytestmark = pytest.mark.browser
OPERATOR, OPERATOR_PASSWORD = "ops", "console-operator-pass"
ADA = "ada@example.com"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, str]]:
    app = write_app(tmp_path_factory.mktemp("console"))
    sandbox = Sandbox(app_dir=app, port=free_port()).start(timeout=90)
    try:
        made = subprocess.run(
            [*userpool_command(), "console", "create-admin", OPERATOR, "--password-stdin", "--json", "--dir", str(app)],
            input=OPERATOR_PASSWORD + "\n", capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        for email in (ADA, "bob@example.com"):
            sandbox.call("SignUp", {"ClientId": sandbox.client_id, "Username": email, "Password": PASSWORD,
                                    "UserAttributes": [{"Name": "email", "Value": email}]})  # fmt: skip
            sandbox.call("ConfirmSignUp", {"ClientId": sandbox.client_id, "Username": email,
                                           "ConfirmationCode": sandbox.last_code(email)})  # fmt: skip
        yield sandbox, json.loads(made.stdout)["totp_secret"]
    finally:
        sandbox.stop()


@pytest.fixture
def console_page(chromium: Browser) -> Iterator[Page]:
    # bypass_csp lets axe-core be injected; the pages themselves run no script at all.
    context = chromium.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_operator_finds_disables_and_groups_a_user(box: tuple[Sandbox, str], console_page: Page) -> None:
    sandbox, secret = box
    page = console_page
    page.goto(f"{sandbox.endpoint}/console")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the console")
    assert_accessible(page, "/console/sign-in")
    page.get_by_label("Operator name").fill(OPERATOR)
    page.get_by_label("Password").fill(OPERATOR_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your authenticator code")
    assert_accessible(page, "/console/sign-in/code")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    assert_accessible(page, "/console/users")

    # A group to add Ada to.
    page.get_by_role("link", name="Groups").click()
    page.get_by_label("Name", exact=True).fill("beta-testers")
    page.get_by_label("Precedence").fill("3")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("status")).to_have_text("Group created.")
    assert_accessible(page, "/console/group")

    # Find Ada by her email.
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Attribute").select_option("email")
    page.get_by_label("Value").fill("ada")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ADA)
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ADA)
    assert_accessible(page, "/console/user")
    page.screenshot(path=str(DOCS_IMAGES / "console-user.png"), full_page=False)

    page.get_by_role("button", name="Disable user").click()
    expect(page.get_by_role("status")).to_contain_text("User disabled")
    expect(page.locator(".badge.off")).to_have_text("Disabled")
    refused = sandbox.call("InitiateAuth", {"ClientId": sandbox.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                            "AuthParameters": {"USERNAME": ADA, "PASSWORD": PASSWORD}})  # fmt: skip
    assert refused.status_code == 400 and "disabled" in refused.json()["message"]

    page.get_by_label("Add to group").select_option("beta-testers")
    page.get_by_role("button", name="Add to group").click()
    expect(page.get_by_role("status")).to_have_text("Added to the group.")
    expect(page.locator(".chips")).to_contain_text("beta-testers")

    page.get_by_role("link", name="Audit log").click()
    table = page.get_by_role("table")
    expect(table.locator("tbody tr").nth(0)).to_contain_text("group.add_member")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("user.disable")
    expect(table.locator("tbody tr").nth(2)).to_contain_text("group.create")
    expect(table).to_contain_text("127.0.0.1")
    assert_accessible(page, "/console/audit")
    page.screenshot(path=str(DOCS_IMAGES / "console-audit.png"), full_page=False)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{sandbox.endpoint}/console/users")
    assert re.search(r"/console/sign-in$", page.url)


def test_console_works_without_javascript(box: tuple[Sandbox, str], chromium: Browser) -> None:
    sandbox, _ = box
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{sandbox.endpoint}/console/sign-in")
        page.get_by_label("Operator name").fill(OPERATOR)
        page.get_by_label("Password").fill("not-the-password-at-all")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_have_text("Incorrect name, password or code.")
    finally:
        context.close()
