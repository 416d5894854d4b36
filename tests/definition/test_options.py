"""Every define_auth option: what it accepts, what it refuses (and how it says so), and what it shapes."""

from __future__ import annotations

from typing import Any

import pytest

from userpool import define_auth
from userpool.core.config import PoolConfig
from userpool.definition import DefinitionError
from userpool.definition.compile import pool_config
from userpool.definition.secrets import secret

PROVIDERS = {"callback_urls": ["https://app.example.com/cb"], "logout_urls": ["https://app.example.com/"]}


def _config(**options: Any) -> PoolConfig:
    return pool_config(
        define_auth(**options),
        pool_id="us-east-1_abcdefghi",
        region="us-east-1",
        issuer="http://127.0.0.1:7429/us-east-1_abcdefghi",
    )


def _refused(expected: str, **options: Any) -> str:
    with pytest.raises(DefinitionError) as exc:
        _config(**options)
    message = str(exc.value)
    assert expected in message, message
    assert "test_options.py:" in message  # the file and line of the define_auth call
    return message


# -- login_with ------------------------------------------------------------------------------------------


def test_phone_login() -> None:
    config = _config(login_with={"phone": True})
    assert config.username_attributes == ("phone_number",) and config.attributes["phone_number"].required
    assert config.recovery_mechanisms == ("phone_number",)


def test_email_and_phone_login() -> None:
    config = _config(login_with={"email": True, "phone": True})
    assert config.username_attributes == ("email", "phone_number")
    assert config.auto_verified_attributes == ("email", "phone_number")
    assert config.recovery_mechanisms == ("email",)


def test_link_verification_style_renders_a_link() -> None:
    config = _config(
        login_with={
            "email": {
                "verification_email_style": "LINK",
                "verification_email_body": lambda create_link: f"Click {create_link('here')}!",
            }
        }
    )
    assert config.verification_style == "LINK"
    _, body = config.templates.verification_email.render("abc", link="https://x/confirmUser?c=1&d=2")
    assert body == 'Click <a href="https://x/confirmUser?c=1&amp;d=2">here</a>!'


def test_link_style_default_body_has_a_link() -> None:
    config = _config(login_with={"email": {"verification_email_style": "LINK"}})
    assert "Verify Email</a>" in config.templates.verification_email.render("c", link="https://x")[1]


def test_user_invitation_messages() -> None:
    config = _config(
        login_with={
            "email": {
                "user_invitation": {
                    "email_subject": "Welcome aboard",
                    "email_body": lambda username, code: f"Hi {username()}, your password is {code()}",
                    "sms_message": lambda username, code: f"{username()} / {code()}",
                }
            }
        }
    )
    assert config.templates.invitation_email.render("Tmp-123", username="ada") == (
        "Welcome aboard",
        "Hi ada, your password is Tmp-123",
    )
    assert config.templates.invitation_sms.render("Tmp-123", username="ada")[1] == "ada / Tmp-123"


def test_invitation_must_use_username_and_code() -> None:
    _refused(
        "user_invitation.email_body: must use both the username and the code",
        login_with={"email": {"user_invitation": {"email_body": lambda username, code: f"{code()}"}}},
    )


def test_message_callables_that_fail_or_return_nonsense() -> None:
    def boom(create_code: Any) -> str:
        raise RuntimeError("template bug")

    _refused(
        "verification_email_body: calling it failed: RuntimeError('template bug')",
        login_with={"email": {"verification_email_body": boom}},
    )
    _refused(
        "verification_message: must return a string, got int",
        login_with={"phone": {"verification_message": lambda create_code: 5}},
    )
    _refused(
        "verification_email_body: must be a function",
        login_with={"email": {"verification_email_body": "Your code is {####}"}},
    )


def test_web_authn_and_otp_login_are_validated() -> None:
    defn = define_auth(
        login_with={"email": {"otp_login": True}, "web_authn": True},
        passwordless_options={"preferred_challenge": "EMAIL_OTP"},
    )
    assert defn.login_with.web_authn is not None and defn.login_with.web_authn.relying_party_id == "AUTO"
    _refused(
        "user_verification: Input should be 'required' or 'preferred'",
        login_with={"email": True, "web_authn": {"user_verification": "always"}},
    )
    _refused(
        "preferred_challenge: SMS_OTP is not enabled in login_with",
        login_with={"email": True},
        passwordless_options={"preferred_challenge": "SMS_OTP"},
    )


def test_external_providers_need_secrets_and_https_urls() -> None:
    defn = define_auth(
        login_with={
            "email": True,
            "external_providers": {
                "google": {
                    "client_id": secret("GOOGLE_ID"),
                    "client_secret": secret("GOOGLE_SECRET"),
                    "scopes": ["email"],
                    "attribute_mapping": {"email": "email"},
                },
                "sign_in_with_apple": {
                    "client_id": "com.example",
                    "team_id": "T",
                    "key_id": "K",
                    "private_key": secret("APPLE_KEY"),
                },
                "oidc": [
                    {
                        "name": "Corp",
                        "client_id": "c",
                        "client_secret": secret("CORP"),
                        "issuer_url": "https://sso.example.com",
                        "attribute_request_method": "POST",
                    }
                ],
                "saml": {"name": "Okta", "metadata": {"metadata_content": "https://okta/meta", "metadata_type": "URL"}},
                **PROVIDERS,
            },
        }
    )
    providers = defn.login_with.external_providers
    assert providers is not None and providers.scopes == ["PHONE", "EMAIL", "OPENID", "PROFILE", "COGNITO_ADMIN"]
    _refused(
        "google.client_secret: must be secret('NAME')",
        login_with={
            "email": True,
            "external_providers": {"google": {"client_id": "a", "client_secret": "b"}, **PROVIDERS},
        },
    )
    _refused(
        "callback_urls: List should have at least 1 item",
        login_with={"email": True, "external_providers": {"callback_urls": [], "logout_urls": ["https://a/"]}},
    )
    _refused(
        "plain http is allowed only for localhost",
        login_with={
            "email": True,
            "external_providers": {"callback_urls": ["http://evil.example/cb"], "logout_urls": ["https://a/"]},
        },
    )
    _refused(
        "provider name 'Corp' is used twice",
        login_with={
            "email": True,
            "external_providers": {
                "oidc": [
                    {"name": "Corp", "client_id": "c", "client_secret": secret("A"), "issuer_url": "https://a"},
                    {"name": "Corp", "client_id": "d", "client_secret": secret("B"), "issuer_url": "https://b"},
                ],
                **PROVIDERS,
            },
        },
    )


def test_secret_names_are_checked() -> None:
    with pytest.raises(ValueError, match="secret names are"):
        secret("has spaces")
    assert repr(secret("GOOGLE_ID")) == "secret('GOOGLE_ID')"


# -- multifactor -----------------------------------------------------------------------------------------


def test_multifactor_carried_into_the_pool() -> None:
    config = _config(
        login_with={"email": True},
        multifactor={
            "mode": "OPTIONAL",
            "totp": True,
            "sms": {"sms_message": lambda create_code: f"MFA {create_code()}"},
        },
    )
    assert config.mfa_mode == "OPTIONAL" and config.mfa_factors == ("SMS", "TOTP")
    assert config.templates.mfa_sms.render("123456")[1] == "MFA 123456"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"multifactor": {"mode": "OPTIONAL"}}, "mode OPTIONAL needs at least one factor: totp, sms or email"),
        ({"multifactor": {"mode": "OFF", "totp": True}}, "mode OFF takes no factors"),
        ({"multifactor": {"mode": "on", "totp": True}}, "Input should be 'OFF', 'OPTIONAL' or 'REQUIRED' (got 'on')"),
        (
            {"login_with": {"phone": True}, "multifactor": {"mode": "REQUIRED", "totp": True}},
            "SMS must be enabled in multifactor when login_with phone is enabled",
        ),
        (
            {"login_with": {"email": {"otp_login": True}}, "multifactor": {"mode": "REQUIRED", "totp": True}},
            "REQUIRED cannot be combined with passwordless sign-in",
        ),
        ({"multifactor": {"mode": "OPTIONAL", "email": True}}, "email MFA needs senders.email"),
        (
            {"multifactor": {"mode": "OPTIONAL", "sms": {"sms_message": lambda create_code: "no code"}}},
            "multifactor.sms.sms_message: must return a string that uses the code",
        ),
    ],
)
def test_multifactor_rules(options: dict[str, Any], expected: str) -> None:
    _refused(expected, **{"login_with": {"email": True}, **options})


# -- account recovery, groups, password policy ------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "mechanisms"),
    [
        ("EMAIL_ONLY", ("email",)),
        ("PHONE_ONLY_WITHOUT_MFA", ("phone_number",)),
        ("EMAIL_AND_PHONE_WITHOUT_MFA", ("email", "phone_number")),
        ("PHONE_WITHOUT_MFA_AND_EMAIL", ("phone_number", "email")),
        ("PHONE_AND_EMAIL", ("phone_number", "email")),
        ("NONE", ()),
    ],
)
def test_account_recovery(setting: str, mechanisms: tuple[str, ...]) -> None:
    assert (
        _config(login_with={"email": True, "phone": True}, account_recovery=setting).recovery_mechanisms == mechanisms
    )


def test_account_recovery_needs_the_channel() -> None:
    _refused(
        "account_recovery: PHONE_ONLY_WITHOUT_MFA needs a phone_number",
        login_with={"email": True},
        account_recovery="PHONE_ONLY_WITHOUT_MFA",
    )
    _refused("Input should be 'EMAIL_AND_PHONE_WITHOUT_MFA'", login_with={"email": True}, account_recovery="SMOKE")


def test_groups() -> None:
    assert _config(groups=["ADMINS", "EDITORS"]).groups == ("ADMINS", "EDITORS")
    _refused("group 'admins' is listed twice", groups=["ADMINS", "admins"])
    _refused("must be 1-128 characters without spaces", groups=["two words"])


def test_password_policy_is_a_first_class_option() -> None:
    policy = _config(password_policy={"min_length": 12, "require_symbols": False}).password_policy
    assert (policy.min_length, policy.require_symbols, policy.require_uppercase) == (12, False, True)
    _refused(
        "password_policy.min_length: Input should be less than or equal to 99", password_policy={"min_length": 100}
    )
    _refused(
        "temporary_password_validity_days: Input should be greater than or equal to 1",
        password_policy={"temporary_password_validity_days": 0},
    )


# -- senders and triggers --------------------------------------------------------------------------------


def test_senders() -> None:
    defn = define_auth(
        senders={
            "email": {
                "from_email": "noreply@example.com",
                "host": "smtp.example.com",
                "username": "me",
                "password": secret("SMTP_PASSWORD"),
            },
            "sms": lambda to, body: None,
        }
    )
    assert defn.senders.email is not None and defn.senders.email.tls == "starttls"
    defn = define_auth(senders={"sms": {"webhook": "https://sms.example.com/send", "headers": {"X-Key": secret("K")}}})
    assert defn.senders.sms is not None
    _refused("username and password go together", senders={"email": {"from_email": "a@b.c", "username": "me"}})
    _refused(
        "senders.email.password: must be secret('NAME')",
        senders={"email": {"from_email": "a@b.c", "username": "me", "password": "hunter2"}},
    )
    _refused("senders.sms: must be a function send(to, body) or a webhook", senders={"sms": 42})
    _refused(
        "senders.email.tls: Input should be 'starttls', 'ssl' or 'none'",
        senders={"email": {"from_email": "a@b.c", "tls": "yes"}},
    )


def test_triggers_accept_both_spellings() -> None:
    def hook(event: dict[str, Any]) -> dict[str, Any]:
        return event

    config = _config(triggers={"preSignUp": hook, "post_confirmation": hook})
    assert set(config.triggers) == {"pre_sign_up", "post_confirmation"}
    _refused("unknown trigger 'onFire'; the triggers are create_auth_challenge", triggers={"onFire": hook})
    _refused("trigger 'preSignUp' must be a function taking the Cognito event, got int", triggers={"preSignUp": 1})


def test_access_gets_a_clear_answer() -> None:
    _refused("access: grants permissions to Amplify functions, and userpool runs none", access=lambda allow: [])


def test_external_providers_compile_with_their_secrets_mapping_and_url_overrides() -> None:
    defn = define_auth(
        login_with={
            "email": True,
            "external_providers": {
                "google": {
                    "client_id": secret("GID"),
                    "client_secret": secret("GSECRET"),
                    "attribute_mapping": {"givenName": "given_name", "custom": {"custom:team": "hd"}},
                    "issuer_url": "http://127.0.0.1:9000",
                },
                "oidc": [
                    {
                        "name": "Corp",
                        "client_id": "corp",
                        "client_secret": secret("CSECRET"),
                        "issuer_url": "https://sso.corp.example",
                        "identifiers": ["corp.example"],
                        "attribute_request_method": "POST",
                        "endpoints": {"token": "https://sso.corp.example/token2"},
                        "attribute_mapping": {"email": "mail"},
                    }
                ],
                "link_by_verified_email": True,
                **PROVIDERS,
            },
        },
        user_attributes={"custom:team": {"data_type": "String"}},
    )
    config = pool_config(
        defn,
        pool_id="us-east-1_abcdefghi",
        region="us-east-1",
        issuer="http://x/us-east-1_abcdefghi",
        secrets={"GID": "gid-value", "GSECRET": "gsecret-value", "CSECRET": "csecret-value"},
    )
    google, corp = config.upstreams["Google"], config.upstreams["Corp"]
    assert (google.kind, google.client_id, google.client_secret) == ("google", "gid-value", "gsecret-value")
    assert dict(google.attribute_mapping) == {"given_name": "given_name", "custom:team": "hd", "email": "email"}
    assert google.issuer == "http://127.0.0.1:9000"
    assert dict(corp.attribute_mapping) == {"email": "mail"}  # the definition's own mapping of email wins
    assert corp.token_endpoint == "https://sso.corp.example/token2" and corp.attribute_request_method == "POST"
    assert corp.identifiers == ("corp.example",) and config.link_by_verified_email


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ({"attribute_mapping": {"shoe_size": "size"}}, "unknown attribute 'shoe_size'"),
        ({"attribute_mapping": {"custom": {"team": "t"}}}, 'a dict of {"custom:<name>"'),
        ({"issuer_url": "ftp://idp.example"}, "issuer_url"),
        ({"endpoints": {"token": "not a url"}}, "endpoints.token"),
    ],
)
def test_external_provider_options_are_checked(provider: dict[str, Any], expected: str) -> None:
    google = {"client_id": "a", "client_secret": secret("S"), **provider}
    _refused(expected, login_with={"email": True, "external_providers": {"google": google, **PROVIDERS}})


def test_resource_servers_and_client_credentials_clients() -> None:
    server = {"identifier": "https://api.example.com", "name": "API", "scopes": [{"name": "read"}]}
    worker = {
        "name": "worker",
        "generate_secret": True,
        "oauth_flows": ["client_credentials"],
        "oauth_scopes": ["https://api.example.com/read"],
    }
    config = _config(login_with={"email": True}, resource_servers=[server], clients=[worker])
    assert config.resource_scopes == ("https://api.example.com/read",)
    _refused("not a scope of any resource_servers entry", login_with={"email": True}, clients=[worker])
    _refused(
        "needs generate_secret",
        login_with={"email": True},
        resource_servers=[server],
        clients=[{**worker, "generate_secret": False}],
    )
    _refused(
        "cannot be combined with code",
        login_with={"email": True},
        resource_servers=[server],
        clients=[{**worker, "oauth_flows": ["code", "client_credentials"]}],
    )
    _refused(
        "only resource servers' custom scopes",
        login_with={"email": True},
        resource_servers=[server],
        clients=[{**worker, "oauth_scopes": ["OPENID", "https://api.example.com/read"]}],
    )
    _refused("each identifier may appear once", login_with={"email": True}, resource_servers=[server, server])
