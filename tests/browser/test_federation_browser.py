"""Social and enterprise sign-in in Chromium, end to end: the example app (examples/hello, Starlette) sends
a signed-out visitor to the hosted Authenticator, the visitor picks a provider's button, signs in at a real
local OpenID Connect provider (oidc-provider-mock, standing in for Google, Facebook, Login with Amazon,
Sign in with Apple and an enterprise OIDC issuer, their URLs overridden in the definition), and lands back
in the app greeted as the right user; the same through a SAML 2.0 IdP (pysaml2). Cancelling at the provider
brings the user back to start again."""

from __future__ import annotations

import html
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_seed_guide import EXAMPLE, RunningApp, start_app, stop_app
from tests.support.sandbox import Sandbox, free_port
from tests.web.browser import query_of
from tests.web.federation_support import Upstream, apple_key_pem, upstreams
from tests.web.saml_support import Idp, idp_metadata, key_and_cert
from userpool.core.config import UpstreamSettings
from userpool.definition.secrets import SandboxSecrets
from userpool.federation.saml import SamlProvider

pytestmark = pytest.mark.browser

IDENTIFIER = "federation"
RESOURCE = """from userpool import define_auth, secret

IDP = "{idp}"
ENDPOINTS = {{
    "authorization": IDP + "/oauth2/authorize",
    "token": IDP + "/oauth2/token",
    "user_info": IDP + "/userinfo",
    "jwks_uri": IDP + "/jwks",
}}

SAML_METADATA = r'''{saml_metadata}'''

auth = define_auth(
    login_with={{
        "email": True,
        "external_providers": {{
            "google": {{"client_id": "google-client", "client_secret": secret("GOOGLE_SECRET"), "issuer_url": IDP}},
            "facebook": {{"client_id": "fb-app", "client_secret": secret("FACEBOOK_SECRET"), "scopes": ["email"],
                          "endpoints": ENDPOINTS}},
            "login_with_amazon": {{"client_id": "amzn-client", "client_secret": secret("AMAZON_SECRET"),
                                   "scopes": ["profile", "email"], "endpoints": ENDPOINTS}},
            "sign_in_with_apple": {{"client_id": "com.example.app", "team_id": "TEAM123456", "key_id": "KEY1234567",
                                    "private_key": secret("APPLE_PRIVATE_KEY"), "scopes": ["openid", "email", "name"],
                                    "issuer_url": IDP, "endpoints": ENDPOINTS}},
            "oidc": [{{"name": "Corp", "client_id": "corp-client", "client_secret": secret("CORP_SECRET"),
                       "issuer_url": IDP, "scopes": ["openid", "email"]}}],
            "saml": {{"name": "Okta", "metadata": {{"metadata_content": SAML_METADATA, "metadata_type": "FILE"}},
                      "attribute_mapping": {{"email": "mail"}}}},
            "callback_urls": ["http://localhost:3000/callback"],
            "logout_urls": ["http://localhost:3000/"],
        }},
    }},
    groups=["ADMINS"],
)
"""

USERS = {  # provider button → (subject typed at the provider, the claims it holds)
    "Google": ("google-ada", {"email": "ada@gmail.example", "email_verified": True}),
    "Facebook": ("fb-bo", {"id": "1002", "email": "bo@facebook.example"}),
    "Amazon": ("amzn-cy", {"user_id": "amzn1.account.CY", "email": "cy@amazon.example"}),
    "Apple": ("apple-di", {"email": "di@privaterelay.example", "email_verified": "true"}),
    "Corp": ("corp-ed", {"email": "ed@corp.example"}),
}


@pytest.fixture(scope="module")
def idp() -> Iterator[Upstream]:
    with upstreams(1) as found:
        yield found[0]


@dataclass
class SamlIdp:
    keys: tuple[Path, Path]
    sso: str
    metadata: str


@pytest.fixture(scope="module")
def saml_keys(tmp_path_factory: pytest.TempPathFactory) -> SamlIdp:
    keys = key_and_cert(tmp_path_factory.mktemp("saml-idp"))
    sso = f"http://127.0.0.1:{free_port()}/sso"
    return SamlIdp(keys, sso, idp_metadata(keys, sso))


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory, idp: Upstream, saml_keys: SamlIdp) -> Iterator[tuple[Sandbox, Path]]:
    root = tmp_path_factory.mktemp("federation")
    app_dir = root / "hello"
    shutil.copytree(
        EXAMPLE, app_dir, ignore=shutil.ignore_patterns("amplify_outputs.json", ".amplify", "__pycache__", "*.log")
    )
    resource = RESOURCE.format(idp=idp.url, saml_metadata=saml_keys.metadata)
    (app_dir / "amplify" / "auth" / "resource.py").write_text(resource)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("USERPOOL_CONFIG_DIR", str(root / "config"))
        secrets = SandboxSecrets(app_dir, IDENTIFIER, config_dir=root / "config")
        for name in ("GOOGLE_SECRET", "FACEBOOK_SECRET", "AMAZON_SECRET", "CORP_SECRET"):
            secrets.set(name, f"{name.lower()}-value")
        secrets.set("APPLE_PRIVATE_KEY", apple_key_pem())
        box = Sandbox(app_dir=app_dir, port=free_port(), extra_args=["--identifier", IDENTIFIER]).start()
        try:
            yield box, app_dir
        finally:
            box.stop()


@pytest.fixture(scope="module")
def app(pool: tuple[Sandbox, Path]) -> Iterator[RunningApp]:
    running = start_app("starlette", pool[1], "federation-browser-secret-0123456789")
    yield running
    stop_app(running)


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("button", list(USERS))
def test_each_provider_signs_in_through_the_hosted_authenticator(
    page: Page, idp: Upstream, app: RunningApp, button: str
) -> None:
    subject, claims = USERS[button]
    idp.set_user(subject, claims)
    page.goto(app.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")
    page.get_by_role("link", name=f"Sign In with {button}").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()  # the provider's own page
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello {claims['email']}")
    assert page.url.startswith(app.url)


def test_cancelling_at_the_provider_comes_back_to_the_sign_in_page(page: Page, app: RunningApp) -> None:
    """oidc-provider-mock's Deny drops `state`, so nothing ties the answer to a sign-in: the user is told to
    start again from the app, and nobody is signed in."""
    page.goto(app.url)
    page.get_by_role("link", name="Sign In with Google").click()
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("alert")).to_contain_text("Go back to the app and sign in again.")
    page.goto(app.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")


class _IdpPages(BaseHTTPRequestHandler):
    """The SAML IdP's two pages: sign in (a user name), then the form that posts the assertion back (a
    "Continue" button, as IdPs show when scripts are off)."""

    idp: Idp

    def do_GET(self) -> None:
        url = self.idp.sso.rsplit("/", 1)[0] + self.path
        if self.path.startswith("/sso/answer?"):
            query = query_of(url)
            sso = self.idp.sso + "?" + urlencode({k: query[k] for k in ("SAMLRequest", "RelayState")})
            form = self.idp.answer(sso, query["user"], {"mail": [f"{query['user']}@okta.example"]})
            fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in form.items())
            body = f'<h1>Okta</h1><form method="post" action="{self.idp.acs}">{fields}<button>Continue</button></form>'
        else:
            query = query_of(url)
            hidden = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(query[k])}">'
                for k in ("SAMLRequest", "RelayState")
            )
            body = (
                '<h1>Okta sign-in</h1><form method="get" action="/sso/answer">'
                f'<label>User name <input name="user"></label>{hidden}<button>Sign in</button></form>'
            )
        page = f"<!doctype html><html lang='en'><title>Okta</title><main>{body}</main></html>".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def saml_idp(pool: tuple[Sandbox, Path], saml_keys: SamlIdp) -> Iterator[Idp]:
    box = pool[0]
    settings = UpstreamSettings(name="Okta", kind="saml", saml_metadata=saml_keys.metadata)
    sp = SamlProvider(settings, pool_id=box.pool_id, endpoint=box.endpoint)
    idp = Idp.for_sp(sp, saml_keys.keys, saml_keys.sso, saml_keys.metadata)
    port = int(saml_keys.sso.rsplit(":", 1)[1].split("/")[0])
    server = ThreadingHTTPServer(("127.0.0.1", port), type("Pages", (_IdpPages,), {"idp": idp}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield idp
    server.shutdown()
    server.server_close()


def test_a_saml_idp_signs_in_through_the_hosted_authenticator(page: Page, saml_idp: Idp, app: RunningApp) -> None:
    page.goto(app.url)
    page.get_by_role("link", name="Sign In with Okta").click()
    expect(page.get_by_role("heading", name="Okta sign-in")).to_be_visible()
    page.get_by_label("User name").fill("vera")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Continue").click()  # the IdP posts the signed assertion back
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello vera@okta.example")
