"""The Python integrations end to end in Chromium: examples/hello in Starlette, FastAPI, Flask and Django.

One sandbox for the module: a copy of examples/hello whose definition adds a pre token generation trigger
that puts users whose email starts with "admin" into ADMINS (what examples/hello/README.md shows). Each
framework's example app runs as its own process (as `localhost`; the pool is on 127.0.0.1), started the way
the README says. For each framework:

- a visitor signs up on the hosted pages, confirms with the code from the outbox, signs in, is greeted,
  is refused the ADMINS page (403), signs out, and is signed out for good;
- an admin signs in in two browsers, sees the ADMINS page, signs out everywhere in one, and the other
  browser's session ends as soon as its tokens need refreshing (their expiry is brought forward here by
  resealing its session cookie with the app's secret key, which the test chose).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_seed_guide import EXAMPLE, RunningApp, start_app, stop_app
from tests.support.sandbox import PASSWORD, Sandbox, free_port, unique_email
from userpool.integrations._client import AuthClient
from userpool.integrations._model import SESSION_COOKIE, WebRequest

pytestmark = pytest.mark.browser

FRAMEWORKS = ["starlette", "fastapi", "flask", "django"]
SECRET_KEY = "browser-test-secret-key-0123456789"

RESOURCE = '''from userpool import define_auth


def grant_admins(event):
    """Users whose email starts with "admin" are in ADMINS (until groups are assigned with the admin API)."""
    if event["request"]["userAttributes"].get("email", "").startswith("admin"):
        groups = [*event["request"]["groupConfiguration"]["groupsToOverride"], "ADMINS"]
        event["response"]["claimsOverrideDetails"] = {"groupOverrideDetails": {"groupsToOverride": groups}}
    return event


auth = define_auth(login_with={"email": True}, groups=["ADMINS"], triggers={"preTokenGeneration": grant_admins})
'''


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("integrations") / "hello"
    shutil.copytree(
        EXAMPLE, target, ignore=shutil.ignore_patterns("amplify_outputs.json", ".amplify", "__pycache__", "*.log")
    )
    (target / "amplify" / "auth" / "resource.py").write_text(RESOURCE)
    return target


@pytest.fixture(scope="module")
def pool(app_dir: Path) -> Iterator[Sandbox]:
    box = Sandbox(app_dir=app_dir, port=free_port()).start()
    yield box
    box.stop()


@pytest.fixture(scope="module", params=FRAMEWORKS)
def example(request: pytest.FixtureRequest, pool: Sandbox, app_dir: Path) -> Iterator[RunningApp]:
    app = start_app(request.param, app_dir, SECRET_KEY)
    yield app
    stop_app(app)


@pytest.fixture
def second(chromium: Browser) -> Iterator[Page]:
    """Another browser: a context with its own cookie jar."""
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def sign_in(page: Page, email: str) -> None:
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Sign In")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def confirmed_user(pool: Sandbox, email: str) -> str:
    attributes = [{"Name": "email", "Value": email}]
    body = {"ClientId": pool.client_id, "Username": email, "Password": PASSWORD, "UserAttributes": attributes}
    assert pool.call("SignUp", body).status_code == 200
    confirm = {"ClientId": pool.client_id, "Username": email, "ConfirmationCode": pool.last_code(email)}
    assert pool.call("ConfirmSignUp", confirm).status_code == 200
    return email


def expire_session(context: BrowserContext, app: RunningApp, pool: Sandbox) -> None:
    """Bring the expiry of the tokens in the app's session cookie forward to now, as time would."""
    client = AuthClient(pool.outputs, SECRET_KEY)
    jar = {c["name"]: c["value"] for c in context.cookies(app.url)}
    tokens = client.read_session(jar)
    assert tokens is not None
    request = WebRequest("GET", app.url, "/", "", "/", jar)
    cookies = client.session_cookies(replace(tokens, expires_at=tokens.signed_in_at - 1), request)
    context.add_cookies(
        [{"name": c.name, "value": c.value, "url": app.url, "httpOnly": True, "sameSite": "Lax"} for c in cookies]
    )


def test_sign_up_groups_and_sign_out(page: Page, pool: Sandbox, example: RunningApp) -> None:
    email = unique_email("user")
    heading = page.get_by_role("heading", level=1)

    page.goto(example.url + "/admins")  # signed out: to the hosted Authenticator, and back here after
    expect(heading).to_have_text("Sign In")
    assert page.url.startswith(pool.endpoint)

    page.get_by_role("link", name="Create Account").click()
    expect(heading).to_have_text("Create Account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm Password").fill(PASSWORD)
    page.get_by_role("button", name="Create Account").click()

    expect(heading).to_have_text("We Emailed You")
    page.get_by_label("Confirmation Code").fill(pool.last_code(email))
    page.get_by_role("button", name="Confirm", exact=True).click()
    sign_in(page, email)

    # Back on /admins, where the signed-in user is not in ADMINS: refused.
    expect(page).to_have_url(example.url + "/admins")
    response = page.goto(example.url + "/admins")
    assert response is not None and response.status == 403
    expect(page.locator("body")).to_contain_text(re.compile("ADMINS|403 Forbidden"))  # Django: its own 403 page

    page.goto(example.url)
    expect(heading).to_have_text(f"Hello {email}")
    assert not [c for c in page.context.cookies(example.url) if not c["httpOnly"]]

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(heading).to_have_text("Sign In")  # the hosted session ended too: no silent sign-in
    assert page.url.startswith(pool.endpoint)
    assert not [c for c in page.context.cookies(example.url) if c["name"].startswith(SESSION_COOKIE)]
    page.goto(example.url)
    expect(heading).to_have_text("Sign In")


def test_admins_page_and_global_sign_out(page: Page, second: Page, pool: Sandbox, example: RunningApp) -> None:
    email = confirmed_user(pool, unique_email("admin"))  # through the API: this account's sign-up is not the point
    heading = page.get_by_role("heading", level=1)

    page.goto(example.url)
    sign_in(page, email)
    expect(heading).to_have_text(f"Hello {email}")
    page.get_by_role("link", name="Admins").click()
    expect(heading).to_have_text("Admins")
    expect(page.get_by_text(f"Only the group ADMINS sees this, {email}.")).to_be_visible()

    second.goto(example.url + "/admins")  # another browser, signed in too
    sign_in(second, email)
    expect(second.get_by_role("heading", level=1)).to_have_text("Admins")

    page.goto(example.url)
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(heading).to_have_text("Sign In")
    assert page.url.startswith(pool.endpoint)

    # The other browser keeps its page while its tokens last (the app does not ask the pool on every request) ...
    second.reload()
    expect(second.get_by_role("heading", level=1)).to_have_text("Admins")
    # ... and is signed out when they need refreshing: the pool refuses, and its hosted session is gone too.
    expire_session(second.context, example, pool)
    second.goto(example.url)
    expect(second.get_by_role("heading", level=1)).to_have_text("Sign In")
    assert second.url.startswith(pool.endpoint)
    assert re.search(r"/login\?", second.url)
    assert (
        AuthClient(pool.outputs, SECRET_KEY).read_session(
            {c["name"]: c["value"] for c in second.context.cookies(example.url)}
        )
        is None
    )
