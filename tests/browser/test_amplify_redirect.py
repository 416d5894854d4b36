"""Amplify's signInWithRedirect, unchanged, against a userpool sandbox in Chromium: the React example's
`<Authenticator>` shows "Sign In with Google" because the outputs' `oauth` section lists GOOGLE; the button
calls signInWithRedirect, which always goes to `https://<domain>/oauth2/authorize` — so the sandbox runs
with `--tls` — and from there to a real local OpenID Connect provider standing in for Google; back in the
app, Amplify exchanges the code at `https://<domain>/oauth2/token` (a cross-origin fetch: CORS) and the
Authenticator shows the signed-in user. Signing out goes through `/logout` and back to the app.

The browser context ignores certificate errors instead of trusting the sandbox's CA (which needs NSS tools
in the user's profile; docs/federation.md shows how a developer trusts it); the TLS itself is tested in
tests/cli/test_sandbox_tls.py.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_amplify_ui import EXAMPLE, NO_APP, NODE_MODULES, VITE, WAIT_MS, _static_server
from tests.support.sandbox import Sandbox, free_port, write_app
from tests.web.federation_support import Upstream, upstreams
from userpool.definition.secrets import SandboxSecrets

pytestmark = pytest.mark.browser

IDENTIFIER = "redirect"
RESOURCE = """from userpool import define_auth, secret

auth = define_auth(
    login_with={{
        "email": True,
        "external_providers": {{
            "google": {{"client_id": "google-client", "client_secret": secret("GOOGLE_SECRET"), "issuer_url": "{idp}"}},
            "callback_urls": ["{app}/"],
            "logout_urls": ["{app}/"],
        }},
    }},
)
"""


@pytest.fixture(scope="module")
def idp() -> Iterator[Upstream]:
    with upstreams(1) as found:
        yield found[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, idp: Upstream) -> Iterator[tuple[str, Sandbox]]:
    if not VITE.exists():
        pytest.skip(NO_APP.format(what=f"no {VITE.relative_to(EXAMPLE.parents[1])}"))
    if shutil.which("node") is None:
        pytest.skip(NO_APP.format(what="no `node` on PATH"))
    root = tmp_path_factory.mktemp("amplify-redirect")
    app_dir = root / "react-authenticator"
    shutil.copytree(
        EXAMPLE,
        app_dir,
        ignore=shutil.ignore_patterns("node_modules", "dist", ".amplify", "amplify_outputs.json", "*.log"),
    )
    (app_dir / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    port = free_port()
    app_url = f"http://localhost:{port}"
    write_app(app_dir, RESOURCE.format(idp=idp.url, app=app_url))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("USERPOOL_CONFIG_DIR", str(root / "config"))
        SandboxSecrets(app_dir, IDENTIFIER, config_dir=root / "config").set("GOOGLE_SECRET", "google-secret-value")
        box = Sandbox(app_dir=app_dir, port=free_port(), extra_args=["--tls", "--identifier", IDENTIFIER]).start(
            timeout=40
        )
    try:
        oauth = box.outputs["auth"]["oauth"]
        assert oauth["domain"] == f"127.0.0.1:{box.port}" and oauth["identity_providers"] == ["GOOGLE"]
        build = subprocess.run(
            [str(VITE), "build", "--logLevel", "warn"],
            cwd=app_dir,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert build.returncode == 0, f"vite build failed:\n{build.stdout}\n{build.stderr}"
        with _static_server(app_dir / "dist", port=port) as url:
            assert url == app_url
            yield url, box
    finally:
        box.stop()


def test_sign_in_with_redirect_through_google_and_sign_out(
    chromium: Browser, idp: Upstream, built: tuple[str, Sandbox]
) -> None:
    app_url, _ = built
    idp.set_user("amplify-google-1", {"email": "amp@gmail.example", "email_verified": True})
    context = chromium.new_context(ignore_https_errors=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto(app_url)
        page.get_by_role("button", name="Sign In with Google").click()
        expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()  # the provider's page
        assert page.url.startswith(idp.url)
        page.get_by_placeholder("sub").fill("amplify-google-1")
        page.get_by_role("button", name="Authorize").click()
        expect(page.get_by_role("heading", name="Hello Google_amplify-google-1")).to_be_visible()
        assert page.url.startswith(app_url)
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign In with Google")).to_be_visible()
        assert page.url.startswith(app_url)
    finally:
        context.close()
