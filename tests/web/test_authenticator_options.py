"""The definition's `authenticator` option on the hosted pages, in process: initial state, hide sign-up,
form fields, modal, theme (the stylesheet, its hash, the logo's CSP), translations and the language
choice, the social buttons and their authorize request — and a redeploy applying at once."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.sandbox import PASSWORD, unique_email
from tests.web.browser import CALLBACK, Pkce, alert, link, query_of
from tests.web.hosted_app import hosted
from userpool import secret

PROVIDERS = {
    "google": {"client_id": "g", "client_secret": secret("GOOGLE")},
    "login_with_amazon": {"client_id": "a", "client_secret": secret("AMAZON")},
    "oidc": [
        {"name": "AcmeSSO", "client_id": "o", "client_secret": secret("OIDC"), "issuer_url": "https://sso.example"}
    ],
    "callback_urls": ["http://localhost:3000/callback"],
    "logout_urls": ["http://localhost:3000/"],
}


def _labels(page: httpx.Response) -> list[str]:
    return re.findall(r'<label class="amplify-label[^"]*" for="[^"]+">([^<]+)</label>', page.text)


def test_initial_state_and_hide_sign_up(tmp_path: Path) -> None:
    with hosted(tmp_path, authenticator={"initialState": "signUp"}) as app, app.browser() as b:
        start = b.authorize(b.authorize_query(Pkce.new()))
        assert start.status_code == 302 and start.headers["location"].startswith("/signup?")
        app.redeploy(authenticator={"initial_state": "forgot_password", "hide_sign_up": True})
        start = b.authorize(b.authorize_query(Pkce.new()))
        assert start.headers["location"].startswith("/forgotPassword?")
        login = app.get("/login")
        assert "Create Account" not in login.text
        refused = app.get("/signup")
        assert refused.status_code == 403 and "New accounts cannot be created here." in alert(refused)


def test_form_fields_labels_placeholders_order_required_and_hidden_labels(tmp_path: Path) -> None:
    fields = {
        "signUp": {
            "given_name": {"label": "First name", "order": 1, "isRequired": True},
            "username": {"label": "Work email", "placeholder": "you@company.com", "order": 2},
            "confirm_password": {"labelHidden": True},
        },
        "sign_in": {"password": {"placeholder": "Your secret"}},
        "confirmSignUp": {"confirmation_code": {"label": "The code from the email"}},
    }
    with hosted(tmp_path, authenticator={"form_fields": fields}) as app, app.browser() as b:
        page = app.get("/signup")
        assert _labels(page)[:2] == ["First name", "Work email"]
        assert 'placeholder="you@company.com"' in page.text
        assert 'class="amplify-label amplify-visually-hidden" for="field-confirm_password"' in page.text
        email = unique_email("ff")
        missing = b.submit(page, {"username": email, "password": PASSWORD, "confirm_password": PASSWORD})
        assert missing.status_code == 400 and alert(missing) == "First name is required."
        made = b.submit(
            page, {"given_name": "Ada", "username": email, "password": PASSWORD, "confirm_password": PASSWORD}
        )
        assert made.status_code == 303, alert(made)
        confirm = b.follow(made)
        assert _labels(confirm) == ["The code from the email"]
        assert 'placeholder="Your secret"' in app.get("/login").text


def test_modal_variation(tmp_path: Path) -> None:
    with hosted(tmp_path, authenticator={"variation": "modal"}) as app:
        assert "amplify-authenticator--modal" in app.get("/login").text
        app.redeploy(authenticator={"variation": "default"})  # Amplify's name for the page variation
        assert "amplify-authenticator--modal" not in app.get("/login").text


def test_the_theme_stylesheet_its_hash_and_a_redeploy(tmp_path: Path) -> None:
    theme = {
        "tokens": {
            "brandPrimary": "#5b21b6",
            "font_family": '"Open Sans", sans-serif',
            "radius": "12px",
            "--amplify-components-button-primary-color": "#ffffff",
        },
        "dark_tokens": {"brand_primary": "rgb(109, 40, 217)"},
        "header": "Acme <b>Cloud</b>",
        "color_mode": "dark",
    }
    with hosted(tmp_path, authenticator={"theme": theme}) as app:
        page = app.get("/login")
        href = re.search(r'href="(/static/authenticator/theme\.css\?v=([0-9a-f]+))"', page.text)
        assert href and 'data-amplify-color-mode="dark"' in page.text
        assert "Acme &lt;b&gt;Cloud&lt;/b&gt;" in page.text  # text, escaped
        css = app.http.get(href.group(1))
        assert css.headers["content-type"].startswith("text/css") and "immutable" in css.headers["cache-control"]
        assert "--amplify-colors-brand-primary-80: #5b21b6;" in css.text
        assert '--amplify-fonts-default-variable: "Open Sans", sans-serif;' in css.text
        assert (
            "--amplify-radii-small: 12px;" in css.text
            and "--amplify-components-button-primary-color: #ffffff;" in css.text
        )
        assert "@media (prefers-color-scheme: dark)" in css.text and "rgb(109, 40, 217)" in css.text
        app.redeploy(authenticator={"theme": {"tokens": {"brand_primary": "#0f766e"}}})
        again = app.get("/login")
        new_href = re.search(r'href="(/static/authenticator/theme\.css\?v=([0-9a-f]+))"', again.text)
        assert new_href and new_href.group(2) != href.group(2)
        assert "#0f766e" in app.http.get(new_href.group(1)).text
        assert app.http.get(href.group(1)).headers["cache-control"] == "no-cache"  # an old hash: not cached


def test_a_logo_url_is_allowed_by_the_csp_and_nothing_else(tmp_path: Path) -> None:
    logo = "https://cdn.example.com/brand/logo.svg"
    with hosted(tmp_path, authenticator={"theme": {"logo": logo, "header": "Acme"}}) as app:
        page = app.get("/login")
        assert f'src="{logo}" alt=""' in page.text
        assert "img-src 'self' data: https://cdn.example.com;" in page.headers["content-security-policy"]


def test_translations_override_and_the_language_choice(tmp_path: Path) -> None:
    options = {
        "language": "fr",
        "translations": {"fr": {"sign_in.title": "Bienvenue"}, "it": {"sign_in.title": "Accedi"}},
    }
    with hosted(tmp_path, authenticator=options) as app:
        assert ">Bienvenue</h1>" in app.get("/login").text  # no Accept-Language: the definition's default
        assert 'lang="fr"' in app.get("/login").text

        def title(**headers: str) -> str:
            found = re.search(
                r"<h1[^>]*>([^<]+)</h1>",
                app.http.get(f"/login?client_id={app.pool.default_client_id}", headers=headers).text,
            )
            assert found
            return found.group(1)

        assert title(**{"Accept-Language": "de-CH, de;q=0.9, en;q=0.8"}) == "Anmelden"
        assert title(**{"Accept-Language": "xx, ja;q=0.5, es;q=0.7"}) == "Iniciar sesión"  # by q-value
        assert title(**{"Accept-Language": "it-IT"}) == "Accedi"  # a language the definition adds
        assert title(**{"Accept-Language": "ko, *;q=0.1"}) == "Bienvenue"  # none we have: the default
        chosen = app.get("/login", lang="pt")
        assert ">Entrar</h1>" in chosen.text and "userpool-lang=pt" in chosen.headers["set-cookie"]
        assert title(**{"Accept-Language": "de"}) == "Entrar"  # the cookie wins over the browser
        assert ">Iniciar sesión</h1>" in app.get("/login", lang="es").text  # ?lang= over the cookie
        spanish = app.get("/signup", lang="es")
        assert "Al menos 8 caracteres" in spanish.text  # the password rules too


def test_social_buttons_and_their_authorize_request(tmp_path: Path) -> None:
    with hosted(tmp_path, login_with={"email": True, "external_providers": PROVIDERS}) as app, app.browser() as b:
        params = b.authorize_query(Pkce.new())
        login = b.follow(b.authorize(params))
        assert re.findall(r'data-provider="([^"]+)"', login.text) == ["Google", "LoginWithAmazon", "AcmeSSO"]
        for name, text in (("Google", "Google"), ("LoginWithAmazon", "Amazon"), ("AcmeSSO", "AcmeSSO")):
            href = link(login, f"Sign In with {text}")
            assert href.startswith(f"/oauth2/authorize?identity_provider={name}&client_id=")
            assert f"state={params['state']}" in href and "code_challenge=" in href
            answer = b.get(href)  # the secrets were never set: the app hears why, no page is left half-done
            assert answer.status_code == 302 and answer.headers["location"].startswith(CALLBACK + "?")
            sent = query_of(answer.headers["location"])
            assert sent["error"] == "server_error" and "secret" in sent["error_description"]
            assert sent["state"] == params["state"]
        unknown = b.get(f"/oauth2/authorize?identity_provider=Nope&client_id={app.pool.default_client_id}")
        assert unknown.status_code == 400 and alert(unknown) == "This app does not offer sign-in with that provider."
        bad_client = b.get("/oauth2/authorize?identity_provider=Google&client_id=nope")
        assert bad_client.status_code == 400 and "not known to this user pool" in alert(bad_client)
        german = b.get(f"/oauth2/authorize?identity_provider=Nope&client_id={app.pool.default_client_id}&lang=de")
        assert alert(german) == "Diese App bietet keine Anmeldung mit diesem Anbieter an."
    (tmp_path / "plain").mkdir()
    with hosted(tmp_path / "plain") as app:
        assert "amplify-providers" not in app.get("/login").text


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/signup",
        "/confirm",
        "/forgotPassword",
        "/confirmForgotPassword",
        "/confirmSignIn",
        "/selectMfaType",
        "/setupTotp",
        "/setupEmail",
        "/forceNewPassword",
        "/verifyUser",
        "/confirmVerifyUser",
        "/recoveryCodes",
    ],
)
def test_every_page_answers_a_fresh_browser_without_an_error(tmp_path: Path, path: str) -> None:
    """Pages that need a sign-in in progress (or done) send a fresh browser to /login; none fails."""
    with hosted(tmp_path) as app:
        first = app.get(path)
        assert first.status_code in (200, 303), first.text[:300]
        if first.status_code == 303:
            assert first.headers["location"].startswith("/login?")
        for lang in ("de", "ja", "zh"):
            assert app.get(path, lang=lang).status_code in (200, 303)
