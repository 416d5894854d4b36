"""`define_auth(authenticator={...})`: Amplify's Authenticator props for the hosted pages, checked at load
(camelCase too), carried into PoolConfig.authenticator; a logo file under amplify/ read into a data: URI."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.support.sandbox import write_app
from userpool.definition import DefinitionError, define_auth, load_definition
from userpool.definition.compile import authenticator, identity_providers, pool_config


def _refused(**options: object) -> str:
    with pytest.raises(DefinitionError) as caught:
        define_auth(login_with={"email": True}, authenticator=options)
    return str(caught.value)


def test_defaults_and_camel_case() -> None:
    assert authenticator(define_auth()).initial_state == "sign_in"
    defn = define_auth(
        authenticator={
            "initialState": "forgotPassword",
            "hideSignUp": True,
            "variation": "modal",
            "formFields": {"confirmResetPassword": {"confirmation_code": {"label": "Code", "isRequired": True}}},
            "theme": {
                "tokens": {"brandPrimary": "#000000"},
                "colorMode": "system",
                "darkTokens": {"fontPrimary": "#fff"},
            },
            "language": "ja",
        }
    )
    settings = pool_config(defn, pool_id="us-east-1_x", region="us-east-1", issuer="http://x/us-east-1_x").authenticator
    assert (settings.initial_state, settings.hide_sign_up, settings.variation) == ("forgot_password", True, "modal")
    options = settings.form_fields["confirm_reset_password"]["confirmation_code"]
    assert (options.label, options.is_required) == ("Code", True)
    assert settings.theme.tokens == {"brand_primary": "#000000"} and settings.theme.dark_tokens == {
        "font_primary": "#fff"
    }
    assert (settings.theme.color_mode, settings.language) == ("system", "ja")


def test_each_refusal_names_the_way_forward() -> None:
    assert "unknown message id(s) sign_in.titel; the ids are sign_in.title" in _refused(
        translations={"fr": {"sign_in.titel": "x"}}
    )
    assert "unknown placeholder(s) {user}; this text may use {name}" in _refused(
        translations={"de": {"signed_in.body": "Hallo {user}"}}
    )
    assert "'xx' is not a language of the pages; they are en, de, es, fr, ja, pt, zh" in _refused(language="xx")
    assert "'it' is not a language" not in _refused(
        language="it", translations={"it": {"sign_in.title": "Accedi"}}, variation="nope"
    )
    assert "form_fields.sign_in: unknown field 'email'; its fields are username, password" in _refused(
        form_fields={"signIn": {"email": {"label": "x"}}}
    )
    assert "unknown page 'setupSms'" in _refused(form_fields={"setupSms": {}})
    assert "brand_primary: 'red;}' is not a colour" in _refused(theme={"tokens": {"brand_primary": "red;}"}})
    assert "header and footer must be plain text" in _refused(theme={"header": "a\x00b"})
    assert "a logo URL must be https://" in _refused(theme={"logo": "http://evil.example/x.png"})
    assert "initial_state: Input should be 'sign_in', 'sign_up' or 'forgot_password'" in _refused(
        initial_state="confirmSignUp"
    )


def test_form_fields_cross_checks_with_the_attributes() -> None:
    with pytest.raises(DefinitionError, match=r"custom:plan: not declared in user_attributes"):
        define_auth(authenticator={"form_fields": {"sign_up": {"custom:plan": {"label": "Plan"}}}})
    with pytest.raises(DefinitionError, match=r"given_name: a required attribute cannot be optional"):
        define_auth(
            user_attributes={"givenName": {"required": True}},
            authenticator={"form_fields": {"sign_up": {"givenName": {"is_required": False}}}},
        )
    defn = define_auth(
        user_attributes={"custom:plan": {"data_type": "String"}},
        authenticator={"form_fields": {"sign_up": {"custom:plan": {"label": "Plan"}, "familyName": {"order": 1}}}},
    )
    assert set(authenticator(defn).form_fields["sign_up"]) == {"custom:plan", "family_name"}


LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def test_a_logo_file_under_amplify_is_read_at_load(tmp_path: Path) -> None:
    resource = 'auth = define_auth(authenticator={"theme": {"logo": "amplify/brand/logo.svg"}})\n'
    app = write_app(tmp_path / "app", "from userpool import define_auth\n\n" + resource)
    (app / "amplify" / "brand").mkdir()
    (app / "amplify" / "brand" / "logo.svg").write_bytes(LOGO)
    logo = load_definition(app).authenticator.theme.logo
    assert logo == "data:image/svg+xml;base64," + base64.b64encode(LOGO).decode()


def test_a_theme_from_a_json_file(tmp_path: Path) -> None:
    resource = 'auth = define_auth(authenticator={"theme": "amplify/theme.json"})\n'
    app = write_app(tmp_path / "app", "from userpool import define_auth\n\n" + resource)
    (app / "amplify" / "theme.json").write_text('{"tokens": {"brandPrimary": "#112233"}, "colorMode": "dark"}')
    theme = load_definition(app).authenticator.theme
    assert theme.tokens == {"brand_primary": "#112233"} and theme.color_mode == "dark"
    (app / "amplify" / "theme.json").write_text('{"tokens": {"brand_primary": "red;}"}}')
    with pytest.raises(DefinitionError, match="is not a colour"):
        load_definition(app)


@pytest.mark.parametrize(
    ("logo", "problem"),
    [
        ("amplify/../secret.png", "must be under amplify/"),
        ("amplify/missing.png", "cannot read the logo"),
        ("amplify/auth/resource.py", "a logo file is a .png"),
    ],
)
def test_a_logo_file_elsewhere_is_refused(tmp_path: Path, logo: str, problem: str) -> None:
    app = write_app(
        tmp_path / "app",
        f'from userpool import define_auth\n\nauth = define_auth(authenticator={{"theme": {{"logo": "{logo}"}}}})\n',
    )
    (tmp_path / "app" / "secret.png").write_bytes(b"x")
    with pytest.raises(DefinitionError, match=problem):
        load_definition(app)


def test_identity_providers_in_a_stable_order() -> None:
    defn = define_auth(
        login_with={
            "email": True,
            "external_providers": {
                "sign_in_with_apple": {"client_id": "a", "team_id": "t", "key_id": "k", "private_key": _secret()},
                "facebook": {"client_id": "f", "client_secret": _secret()},
                "saml": {
                    "name": "Okta",
                    "metadata": {"metadata_content": "https://okta.example/m", "metadata_type": "URL"},
                },
                "callback_urls": ["https://app.example.com/cb"],
                "logout_urls": ["https://app.example.com/"],
            },
        }
    )
    assert identity_providers(defn) == ("Facebook", "SignInWithApple", "Okta")


def _secret() -> object:
    from userpool import secret

    return secret("X")
