"""Sandboxes and helpers for the hosted Authenticator's browser tests (tests/browser/test_hosted_*.py).

Two real `userpool sandbox` processes: "branded" (a theme with a logo, header and footer, Google and an OIDC
provider, optional MFA with every factor, a pre-sign-up trigger that confirms @unverified.example.com users
without verifying their email) and "required" (MFA required, set up in the browser with an authenticator
app or email). Both follow the system's colour scheme, so a Chromium context's `color_scheme` picks light
or dark. axe-core (tests/node/node_modules/axe-core, from tests/node/package.json) checks each page.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.support.mfa_sandbox import smtp_sink
from tests.support.sandbox import PASSWORD, Sandbox, free_port, write_app
from userpool.definition.secrets import SandboxSecrets

AXE = Path(__file__).resolve().parents[1] / "node" / "node_modules" / "axe-core" / "axe.min.js"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
_APP_PORT = free_port()
CALLBACK = f"http://127.0.0.1:{_APP_PORT}/callback"  # the app: a tiny server (route_to_callback starts it)
IDENTIFIER = "hosted"
BRAND = "#5b21b6"  # rgb(91, 33, 182)

LOGO = """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32">
<rect width="32" height="32" rx="8" fill="#5b21b6"/><path d="M9 22 16 9l7 13z" fill="#fff"/>
<text x="40" y="22" font-family="sans-serif" font-size="16" font-weight="700" fill="#5b21b6">Acme</text></svg>
"""

BRANDED = """from userpool import define_auth, secret


def pre_sign_up(event):
    if event["request"]["userAttributes"].get("email", "").endswith("@unverified.example.com"):
        event["response"]["autoConfirmUser"] = True  # confirmed, the email left unverified: verifyUser asks
    return event


auth = define_auth(
    login_with={{
        "email": True,
        "external_providers": {{
            # Google's URLs point at a closed local port: the button's trip upstream fails as an outage would
            "google": {{"client_id": "google-client", "client_secret": secret("GOOGLE_CLIENT_SECRET"),
                        "issuer_url": "http://127.0.0.1:9"}},
            "oidc": [{{"name": "AcmeSSO", "client_id": "acme", "client_secret": secret("ACME_SSO_SECRET"),
                       "issuer_url": "https://sso.acme.example.com"}}],
            "callback_urls": ["http://localhost:3000/callback"],
            "logout_urls": ["http://localhost:3000/"],
        }},
    }},
    multifactor={{"mode": "OPTIONAL", "totp": True, "sms": True, "email": True}},
    senders={{
        "email": {{"from_email": "noreply@example.com", "host": "127.0.0.1", "port": {port}, "tls": "none"}},
        "sms": lambda to, body, **kw: None,
    }},
    triggers={{"pre_sign_up": pre_sign_up}},
    authenticator={{
        "theme": {{
            "tokens": {{"brand_primary": "{brand}", "brand_primary_hover": "#4c1d95", "font_interactive": "#5b21b6",
                        "radius": "10px"}},
            "dark_tokens": {{"font_interactive": "#c4b5fd", "brand_primary": "#6d28d9"}},
            "logo": "amplify/logo.svg",
            "header": "Acme Cloud",
            "footer": "Acme Cloud · Terms · Privacy",
            "color_mode": "system",
        }},
        "form_fields": {{"sign_up": {{"username": {{"placeholder": "you@company.com"}}}}}},
    }},
)
"""

REQUIRED = """from userpool import define_auth


def pre_sign_up(event):
    if event["request"]["userAttributes"].get("email", "").endswith("@unverified.example.com"):
        event["response"]["autoConfirmUser"] = True  # no verified email to send codes to: MFA_SETUP
    return event


auth = define_auth(
    login_with={{"email": True}},
    multifactor={{"mode": "REQUIRED", "totp": True, "email": True}},
    senders={{"email": {{"from_email": "noreply@example.com", "host": "127.0.0.1", "port": {port}, "tls": "none"}}}},
    triggers={{"pre_sign_up": pre_sign_up}},
    authenticator={{"theme": {{"color_mode": "system"}}}},
)
"""


@contextmanager
def hosted_sandbox(app_dir: Path, resource: str, config_dir: Path) -> Iterator[Sandbox]:
    with smtp_sink() as port, pytest.MonkeyPatch.context() as env:
        write_app(app_dir, resource.format(port=port, brand=BRAND))
        (app_dir / "amplify" / "logo.svg").write_text(LOGO)
        env.setenv("USERPOOL_CONFIG_DIR", str(config_dir))
        secrets = SandboxSecrets(app_dir, IDENTIFIER, config_dir=config_dir)
        for name in ("GOOGLE_CLIENT_SECRET", "ACME_SSO_SECRET"):
            secrets.set(name, "not-used-yet")
        box = Sandbox(app_dir=app_dir, port=free_port(), extra_args=["--identifier", IDENTIFIER]).start()
        try:
            yield box
        finally:
            box.stop()


def start(factory: pytest.TempPathFactory, resource: str) -> Iterator[Sandbox]:
    """A module fixture's body: `yield from start(tmp_path_factory, BRANDED)`."""
    root = factory.mktemp("hosted")
    with hosted_sandbox(root / "app", resource, root / "config") as box:
        yield box


# -- the browser -----------------------------------------------------------------------------------------


def new_page(chromium: Browser, scheme: str = "light", **options: Any) -> tuple[BrowserContext, Page]:
    """A fresh context (cookies of its own) in a colour scheme; axe is injected with add_script_tag, which
    the pages' CSP would block, so these contexts bypass CSP (test_hosted_security checks it without)."""
    context = chromium.new_context(color_scheme=scheme, bypass_csp=True, **options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def axe(page: Page) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations on the page (axe-core, WCAG 2.x A and AA rules)."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing: run `npm ci --prefix tests/node` ({AXE})")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
            resultTypes: ["violations"],
        })"""
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Page, route: str, seen: dict[str, int] | None = None) -> None:
    found = axe(page)
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]
    assert not found, f"{route}: {summary}"
    if seen is not None:
        seen[route] = seen.get(route, 0) + 1


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def authorize_url(box: Sandbox, **extra: str) -> str:
    from urllib.parse import urlencode

    from tests.web.browser import Pkce

    params = {
        "client_id": box.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid email",
        "state": "st-browser",
        "code_challenge": Pkce.new().challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{box.endpoint}/oauth2/authorize?{urlencode(params)}"


def wait_for_callback(page: Page) -> str:
    """The app's callback URL the hosted pages sent the browser to (answered by `route_to_callback`)."""
    page.wait_for_url(lambda url: url.startswith(CALLBACK + "?"))
    return page.url


class _App(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><html lang='en'><title>App</title><main><h1>App</h1></main></html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


_app_server: ThreadingHTTPServer | None = None


def route_to_callback(context: BrowserContext) -> None:
    """The app behind the callback URL: a small page on 127.0.0.1, started once, so a sign-in really ends
    there (its CSP form-action allows that origin)."""
    global _app_server  # noqa: PLW0603
    del context
    if _app_server is None:
        _app_server = ThreadingHTTPServer(("127.0.0.1", _APP_PORT), _App)
        threading.Thread(target=_app_server.serve_forever, daemon=True).start()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


# -- users, through the JSON API and the sandbox's database ----------------------------------------------


def idp(box: Sandbox) -> Any:
    keys = {"aws_access_key_id": "unused", "aws_secret_access_key": "unused"}
    return boto3.client("cognito-idp", endpoint_url=box.endpoint, region_name=box.region, **keys)


def confirmed_user(box: Sandbox, email: str, password: str = PASSWORD) -> None:
    body = {
        "ClientId": box.client_id,
        "Username": email,
        "Password": password,
        "UserAttributes": [{"Name": "email", "Value": email}],
    }
    assert box.call("SignUp", body).status_code == 200
    if not email.endswith("@unverified.example.com"):
        confirm = {"ClientId": box.client_id, "Username": email, "ConfirmationCode": box.last_code(email)}
        assert box.call("ConfirmSignUp", confirm).status_code == 200


def access_token(box: Sandbox, email: str, password: str = PASSWORD) -> str:
    params = {"USERNAME": email, "PASSWORD": password}
    result = idp(box).initiate_auth(ClientId=box.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params)
    return str(result["AuthenticationResult"]["AccessToken"])


def totp_user(box: Sandbox, email: str, *, also_email: bool = False) -> pyotp.TOTP:
    """A user with an authenticator app (preferred), or with email codes too and no preference (so each
    sign-in asks which: SELECT_MFA_TYPE)."""
    confirmed_user(box, email)
    client, token = idp(box), access_token(box, email)
    app = pyotp.TOTP(client.associate_software_token(AccessToken=token)["SecretCode"])
    client.verify_software_token(AccessToken=token, UserCode=app.at(time.time() - 30))
    email_settings = {"EmailMfaSettings": {"Enabled": True}} if also_email else {}
    client.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": not also_email}, **email_settings
    )
    return app


def _update_user(box: Sandbox, email: str, sql: str, *args: str) -> None:
    (db,) = (box.app_dir / ".amplify" / "userpool").glob("*/pool.db")
    with sqlite3.connect(db) as conn:
        done = conn.execute(
            f"UPDATE users SET {sql} WHERE sub IN (SELECT user_sub FROM user_logins WHERE login_key = ?)",
            (*args, f"email:{email.lower()}"),
        )
        assert done.rowcount == 1


def factor_user(box: Sandbox, email: str, factor: str, phone: str = "") -> None:
    """A user whose one MFA factor is email or SMS (a verified phone written straight to the database)."""
    confirmed_user(box, email)
    if phone:
        extra = json.dumps({"phone_number": phone, "phone_number_verified": "true"})
        _update_user(box, email, "attributes = json_patch(attributes, ?)", extra)
    token = access_token(box, email)
    settings = {"SMS": "SMSMfaSettings", "EMAIL": "EmailMfaSettings"}[factor]
    idp(box).set_user_mfa_preference(AccessToken=token, **{settings: {"Enabled": True, "PreferredMfa": True}})


def force_change_password(box: Sandbox, email: str) -> None:
    """An administrator-created user with a temporary password (as AdminCreateUser leaves one)."""
    confirmed_user(box, email)
    _update_user(box, email, "status = 'FORCE_CHANGE_PASSWORD'")


def screenshot(page: Page, name: str) -> Path:
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    path = DOCS_IMAGES / f"authenticator-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")
