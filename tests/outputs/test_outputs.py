"""The outputs reflect the definition exactly, in every version and format Amplify's sandbox writes.

Each 1.x version is validated against Amplify's own schema for it (tests/fixtures/amplify_outputs_schema_v*.json,
vendored from aws-amplify/amplify-backend), and the legacy version 0 is checked field by field against the rules
of Amplify's client_config_to_legacy_converter.ts (amplify-surface §2.3).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from userpool import define_auth
from userpool.core.model import Client, Pool
from userpool.definition import AuthDefinition
from userpool.definition.secrets import secret
from userpool.deploy import Deployment
from userpool.outputs import (
    DEFAULT_VERSION,
    FILENAME,
    VERSIONS,
    build_outputs,
    filename,
    write_outputs,
)
from userpool.outputs._python import render_module

FIXTURES = Path(__file__).parents[1] / "fixtures"
SCHEMAS = {v: json.loads((FIXTURES / f"amplify_outputs_schema_v{v}.json").read_text()) for v in VERSIONS if v != "0"}
UNIFIED = tuple(SCHEMAS)

POOL_ID, CLIENT_ID, REGION = "us-east-1_AbCdEfGhI", "1example23456789abcdefghij", "us-east-1"
ENDPOINT = "http://127.0.0.1:7429"
CALLBACKS = ["http://localhost:3000/profile", "https://app.example.com/profile"]
LOGOUTS = ["http://localhost:3000/", "https://app.example.com/"]
ALL_SCOPES = ["phone", "email", "openid", "profile", "aws.cognito.signin.user.admin"]
# userpool has no identity pool, so these schema keys are never written (documented in userpool.outputs._auth).
NEVER_WRITTEN = {"identity_pool_id", "unauthenticated_identities_enabled"}

DEPLOYMENT = Deployment(
    pool=Pool(id=POOL_ID, name="amplifyAuth", region=REGION, created_at=0.0),
    client=Client(id=CLIENT_ID, pool_id=POOL_ID, name="amplifyAuth-web", created_at=0.0),
    keys=(),
    created=True,
)
CUSTOM = {
    "userpool": {
        "endpoint": ENDPOINT,
        "issuer": f"{ENDPOINT}/{POOL_ID}",
        "jwks_uri": f"{ENDPOINT}/{POOL_ID}/.well-known/jwks.json",
        "hosted_ui": f"{ENDPOINT}/login?client_id={CLIENT_ID}",
        "clients": {},
    }
}


def seed() -> AuthDefinition:
    return define_auth(login_with={"email": True})


def _google() -> dict[str, Any]:
    return {"client_id": secret("GOOGLE_CLIENT_ID"), "client_secret": secret("GOOGLE_CLIENT_SECRET")}


def rich(**overrides: Any) -> AuthDefinition:
    """Every option that shows in the outputs, passwordless included (only 1.4 has a key for it)."""
    options: dict[str, Any] = {
        "login_with": {
            "email": {"otp_login": True},
            "phone": True,
            "web_authn": True,
            "external_providers": {
                "google": _google(),
                "oidc": [
                    {
                        "name": "MicrosoftEntraID",
                        "client_id": secret("ENTRA_CLIENT_ID"),
                        "client_secret": secret("ENTRA_CLIENT_SECRET"),
                        "issuer_url": "https://login.microsoftonline.com/tenant/v2.0",
                    }
                ],
                "callback_urls": CALLBACKS,
                "logout_urls": LOGOUTS,
            },
        },
        "user_attributes": {
            "given_name": {"required": True},
            "birthdate": {"required": False},
            "custom:team": {"data_type": "String", "min_len": 1, "max_len": 32},
        },
        "multifactor": {"mode": "OPTIONAL", "totp": True, "sms": True},
        "groups": ["ADMINS", "EDITORS"],
        "password_policy": {"min_length": 12, "require_symbols": False},
        "passwordless_options": {"preferred_challenge": "EMAIL_OTP"},
    }
    options.update(overrides)
    return define_auth(**options)


RICH_AUTH_1_4: dict[str, Any] = {
    "user_pool_id": POOL_ID,
    "aws_region": REGION,
    "user_pool_client_id": CLIENT_ID,
    "mfa_methods": ["SMS", "TOTP"],
    "standard_required_attributes": ["email", "given_name", "phone_number"],
    "username_attributes": ["email", "phone_number"],
    "user_verification_types": ["email", "phone_number"],
    "groups": [{"ADMINS": {"precedence": 0}}, {"EDITORS": {"precedence": 1}}],
    "mfa_configuration": "OPTIONAL",
    "password_policy": {
        "min_length": 12,
        "require_lowercase": True,
        "require_numbers": True,
        "require_symbols": False,
        "require_uppercase": True,
    },
    "oauth": {
        "identity_providers": ["GOOGLE"],  # the OIDC provider is dropped, as Amplify does
        "redirect_sign_in_uri": CALLBACKS,
        "redirect_sign_out_uri": LOGOUTS,
        "response_type": "code",
        "scopes": ALL_SCOPES,
        "domain": "127.0.0.1:7429",
    },
    "passwordless": {
        "email_otp_enabled": True,
        "sms_otp_enabled": False,
        "web_authn": {"relying_party_id": "localhost", "user_verification": "preferred"},
        "preferred_challenge": "EMAIL_OTP",
    },
}
SEED_AUTH_1_4: dict[str, Any] = {
    "user_pool_id": POOL_ID,
    "aws_region": REGION,
    "user_pool_client_id": CLIENT_ID,
    "mfa_methods": [],
    "standard_required_attributes": ["email"],
    "username_attributes": ["email"],
    "user_verification_types": ["email"],
    "groups": [],
    "mfa_configuration": "NONE",
    "password_policy": {
        "min_length": 8,
        "require_lowercase": True,
        "require_numbers": True,
        "require_symbols": True,
        "require_uppercase": True,
    },
}


def _for_version(auth_1_4: dict[str, Any], version: str) -> dict[str, Any]:
    """The 1.4 expectation without the keys `version`'s schema lacks."""
    auth = dict(auth_1_4)
    if version in ("1", "1.1", "1.2"):
        auth.pop("groups", None)
    if version != "1.4":
        auth.pop("passwordless", None)
        auth["mfa_methods"] = [m for m in auth["mfa_methods"] if m != "EMAIL"]
    return auth


def validate(outputs: dict[str, Any], version: str) -> None:
    """Against that version's schema. Amplify's schema_v1.json says const "1.1" while Amplify writes "1" with
    it, so version 1 is checked as "1.1" after asserting it says "1"."""
    assert outputs["version"] == version
    jsonschema.validate({**outputs, "version": "1.1"} if version == "1" else outputs, SCHEMAS[version])


def outputs(defn: AuthDefinition, version: str = DEFAULT_VERSION, endpoint: str = ENDPOINT) -> dict[str, Any]:
    return build_outputs(defn, DEPLOYMENT, endpoint=endpoint, version=version)


# -- versions 1 … 1.4 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", UNIFIED)
def test_the_rich_definition_validates_and_every_key_is_as_defined(version: str) -> None:
    written = outputs(rich(), version)
    validate(written, version)
    assert written == {"version": version, "auth": _for_version(RICH_AUTH_1_4, version), "custom": CUSTOM}


@pytest.mark.parametrize("version", UNIFIED)
def test_the_seed_definition_validates_and_every_key_is_as_defined(version: str) -> None:
    written = outputs(seed(), version)
    validate(written, version)
    assert written == {"version": version, "auth": _for_version(SEED_AUTH_1_4, version), "custom": CUSTOM}


@pytest.mark.parametrize("version", UNIFIED)
def test_each_version_writes_every_auth_key_of_its_schema_but_the_identity_pool_ones(version: str) -> None:
    schema_keys = set(SCHEMAS[version]["properties"]["auth"]["properties"])
    assert set(outputs(rich(), version)["auth"]) == schema_keys - NEVER_WRITTEN


def test_schema_v1_really_says_1_1_and_only_the_version_differs() -> None:
    written = outputs(rich(), "1")
    errors = list(jsonschema.Draft202012Validator(SCHEMAS["1"]).iter_errors(written))
    assert [list(e.path) for e in errors] == [["version"]]


def test_the_keys_arrive_with_their_schema_versions() -> None:
    for version in UNIFIED:
        auth = SCHEMAS[version]["properties"]["auth"]["properties"]
        assert ("groups" in auth) == (version in ("1.3", "1.4"))
        assert ("passwordless" in auth) == (version == "1.4")
        assert ("EMAIL" in auth["mfa_methods"]["items"]["enum"]) == (version == "1.4")


@pytest.mark.parametrize(
    ("multifactor", "configuration", "methods"),
    [
        ({"mode": "OFF"}, "NONE", []),
        ({"mode": "OPTIONAL", "totp": True}, "OPTIONAL", ["TOTP"]),
        ({"mode": "REQUIRED", "sms": True, "totp": True}, "REQUIRED", ["SMS", "TOTP"]),
    ],
)
def test_mfa(multifactor: dict[str, Any], configuration: str, methods: list[str]) -> None:
    auth = outputs(define_auth(login_with={"email": True}, multifactor=multifactor))["auth"]
    assert (auth["mfa_configuration"], auth["mfa_methods"]) == (configuration, methods)


def test_email_mfa_is_written_from_1_4_only() -> None:
    defn = define_auth(
        login_with={"email": True},
        multifactor={"mode": "OPTIONAL", "totp": True, "email": True},
        senders={"email": {"from_email": "no-reply@example.com"}},
    )
    for version in UNIFIED:
        written = outputs(defn, version)
        validate(written, version)
        assert written["auth"]["mfa_methods"] == (["TOTP", "EMAIL"] if version == "1.4" else ["TOTP"])


def test_username_sign_in() -> None:
    auth = outputs(define_auth(login_with={"username": True, "email": True}))["auth"]
    assert auth["username_attributes"] == ["username"]
    assert auth["user_verification_types"] == ["email"]  # still verified at sign-up, as an alias
    assert auth["standard_required_attributes"] == []


def test_phone_sign_in_and_attribute_overrides() -> None:
    defn = define_auth(
        login_with={"phone": True},
        user_attributes={"phoneNumber": {"required": False}, "fullname": {"required": True}, "locale": {}},
    )
    auth = outputs(defn)["auth"]
    assert auth["username_attributes"] == ["phone_number"] and auth["user_verification_types"] == ["phone_number"]
    assert auth["standard_required_attributes"] == ["name"]


def test_groups_keep_their_order_as_precedence() -> None:
    auth = outputs(define_auth(login_with={"email": True}, groups=["STAFF", "ADMINS", "readers"]))["auth"]
    assert auth["groups"] == [
        {"STAFF": {"precedence": 0}},
        {"ADMINS": {"precedence": 1}},
        {"readers": {"precedence": 2}},
    ]


def test_no_oauth_without_external_providers() -> None:
    for version in VERSIONS:
        written = outputs(seed(), version)
        assert "oauth" not in written.get("auth", written)


def test_oauth_providers_scopes_and_urls() -> None:
    defn = define_auth(
        login_with={
            "email": True,
            "external_providers": {
                "sign_in_with_apple": {
                    "client_id": "com.example.app",
                    "team_id": "TEAM123456",
                    "key_id": "KEY1234567",
                    "private_key": secret("APPLE_PRIVATE_KEY"),
                },
                "login_with_amazon": {"client_id": "amzn1", "client_secret": secret("AMAZON_SECRET")},
                "facebook": {"client_id": "fb", "client_secret": secret("FACEBOOK_SECRET")},
                "google": _google(),
                "saml": {"name": "Okta", "metadata": {"metadata_content": "https://okta/x", "metadata_type": "URL"}},
                "scopes": ["OPENID", "EMAIL", "COGNITO_ADMIN"],
                "callback_urls": ["myapp://callback/", "myapp://callback/"],
                "logout_urls": ["myapp://signout/"],
            },
        }
    )
    written = outputs(defn, endpoint="http://localhost:7429/")
    validate(written, DEFAULT_VERSION)
    assert written["auth"]["oauth"] == {
        "identity_providers": ["GOOGLE", "FACEBOOK", "LOGIN_WITH_AMAZON", "SIGN_IN_WITH_APPLE"],  # SAML dropped
        "redirect_sign_in_uri": ["myapp://callback/"],  # the schema wants unique items
        "redirect_sign_out_uri": ["myapp://signout/"],
        "response_type": "code",
        "scopes": ["openid", "email", "aws.cognito.signin.user.admin"],
        "domain": "localhost:7429",
    }


def test_oauth_with_only_oidc_lists_no_identity_provider() -> None:
    defn = define_auth(
        login_with={
            "email": True,
            "external_providers": {
                "oidc": [
                    {
                        "name": "Auth0",
                        "client_id": "c",
                        "client_secret": secret("AUTH0_SECRET"),
                        "issuer_url": "https://tenant.auth0.com",
                    }
                ],
                "callback_urls": CALLBACKS,
                "logout_urls": LOGOUTS,
            },
        }
    )
    oauth = outputs(defn)["auth"]["oauth"]
    assert oauth["identity_providers"] == [] and oauth["scopes"] == ALL_SCOPES


@pytest.mark.parametrize(
    ("login_with", "passwordless_options", "expected"),
    [
        ({"email": True}, {}, None),
        ({"email": True}, {"preferred_challenge": "PASSWORD"}, {"preferred_challenge": "PASSWORD"}),
        (
            {"email": True, "phone": {"otp_login": True}},
            {"preferred_challenge": "SMS_OTP"},
            {"email_otp_enabled": False, "sms_otp_enabled": True, "preferred_challenge": "SMS_OTP"},
        ),
        (
            {"email": True, "web_authn": {"relying_party_id": "app.example.com", "user_verification": "required"}},
            {},
            {
                "email_otp_enabled": False,
                "sms_otp_enabled": False,
                "web_authn": {"relying_party_id": "app.example.com", "user_verification": "required"},
            },
        ),
    ],
)
def test_passwordless(
    login_with: dict[str, Any], passwordless_options: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    written = outputs(define_auth(login_with=login_with, passwordless_options=passwordless_options))
    validate(written, "1.4")
    assert written["auth"].get("passwordless") == expected
    assert "passwordless" not in outputs(define_auth(login_with=login_with), "1.3")["auth"]


def test_unknown_version_or_format() -> None:
    with pytest.raises(ValueError, match=re.escape("one of 0, 1, 1.1, 1.2, 1.3, 1.4")):
        outputs(seed(), "1.5")
    with pytest.raises(ValueError, match="one of json, py"):
        filename("1.4", "ts")


# -- legacy 0 -------------------------------------------------------------------------------------------

# The keys of Amplify's legacy AuthClientConfig (auth_client_config.ts), plus aws_project_region and custom.
LEGACY_KEYS = {
    "aws_project_region",
    "aws_cognito_region",
    "aws_user_pools_id",
    "aws_user_pools_web_client_id",
    "aws_cognito_identity_pool_id",
    "aws_mandatory_sign_in",
    "aws_cognito_username_attributes",
    "aws_cognito_signup_attributes",
    "aws_cognito_mfa_configuration",
    "aws_cognito_mfa_types",
    "aws_cognito_password_protection_settings",
    "aws_cognito_verification_mechanisms",
    "aws_cognito_social_providers",
    "allowUnauthenticatedIdentities",
    "oauth",
    "custom",
}
# The unit test's expected output ("when mfa is optional"), minus what userpool has no value for.
REFERENCE_KEYS_WITHOUT_IDENTITY_POOL = {
    "aws_project_region",
    "aws_user_pools_id",
    "aws_user_pools_web_client_id",
    "aws_cognito_region",
    "aws_cognito_mfa_configuration",
    "aws_cognito_mfa_types",
    "aws_cognito_password_protection_settings",
    "aws_cognito_signup_attributes",
    "aws_cognito_username_attributes",
    "aws_cognito_verification_mechanisms",
    "oauth",
    "aws_cognito_social_providers",
}


def test_legacy_rich_definition_field_by_field() -> None:
    legacy = outputs(rich(), "0")
    assert legacy == {
        "aws_project_region": REGION,
        "aws_user_pools_id": POOL_ID,
        "aws_cognito_region": REGION,
        "aws_user_pools_web_client_id": CLIENT_ID,
        "aws_cognito_mfa_types": ["SMS", "TOTP"],
        "aws_cognito_mfa_configuration": "OPTIONAL",
        "aws_cognito_signup_attributes": ["EMAIL", "GIVEN_NAME", "PHONE_NUMBER"],
        "aws_cognito_username_attributes": ["EMAIL", "PHONE_NUMBER"],
        "aws_cognito_verification_mechanisms": ["EMAIL", "PHONE_NUMBER"],
        "aws_cognito_password_protection_settings": {
            "passwordPolicyMinLength": 12,
            "passwordPolicyCharacters": ["REQUIRES_NUMBERS", "REQUIRES_LOWERCASE", "REQUIRES_UPPERCASE"],
        },
        "oauth": {
            "domain": "127.0.0.1:7429",
            "scope": ALL_SCOPES,
            "redirectSignIn": "http://localhost:3000/profile,https://app.example.com/profile",
            "redirectSignOut": "http://localhost:3000/,https://app.example.com/",
            "responseType": "code",
        },
        "aws_cognito_social_providers": ["GOOGLE"],
        "custom": CUSTOM,
    }
    assert set(legacy) - {"custom"} == REFERENCE_KEYS_WITHOUT_IDENTITY_POOL
    assert set(legacy) <= LEGACY_KEYS and "version" not in legacy


def test_legacy_seed_definition() -> None:
    assert outputs(seed(), "0") == {
        "aws_project_region": REGION,
        "aws_user_pools_id": POOL_ID,
        "aws_cognito_region": REGION,
        "aws_user_pools_web_client_id": CLIENT_ID,
        "aws_cognito_mfa_types": [],
        "aws_cognito_mfa_configuration": "OFF",
        "aws_cognito_signup_attributes": ["EMAIL"],
        "aws_cognito_username_attributes": ["EMAIL"],
        "aws_cognito_verification_mechanisms": ["EMAIL"],
        "aws_cognito_password_protection_settings": {
            "passwordPolicyMinLength": 8,
            "passwordPolicyCharacters": [
                "REQUIRES_NUMBERS",
                "REQUIRES_LOWERCASE",
                "REQUIRES_UPPERCASE",
                "REQUIRES_SYMBOLS",
            ],
        },
        "custom": CUSTOM,
    }


def test_legacy_renames_social_providers_and_maps_required_mfa_to_on() -> None:
    defn = define_auth(
        login_with={
            "email": True,
            "external_providers": {
                "google": _google(),
                "facebook": {"client_id": "fb", "client_secret": secret("FACEBOOK_SECRET")},
                "login_with_amazon": {"client_id": "amzn1", "client_secret": secret("AMAZON_SECRET")},
                "sign_in_with_apple": {
                    "client_id": "com.example.app",
                    "team_id": "T",
                    "key_id": "K",
                    "private_key": secret("APPLE_PRIVATE_KEY"),
                },
                "scopes": ["EMAIL", "PROFILE"],
                "callback_urls": ["http://localhost:3000/a", "http://localhost:3000/b"],
                "logout_urls": ["http://localhost:3000/c"],
            },
        },
        multifactor={"mode": "REQUIRED", "totp": True},
    )
    legacy = outputs(defn, "0")
    assert legacy["aws_cognito_social_providers"] == ["GOOGLE", "FACEBOOK", "AMAZON", "APPLE"]
    assert legacy["oauth"]["scope"] == ["email", "profile"]
    assert legacy["oauth"]["redirectSignIn"] == "http://localhost:3000/a,http://localhost:3000/b"
    assert legacy["aws_cognito_mfa_configuration"] == "ON" and legacy["aws_cognito_mfa_types"] == ["TOTP"]


def test_legacy_username_sign_in_reads_as_username_login() -> None:
    """parseAWSExports: loginWith.username = neither EMAIL nor PHONE_NUMBER among the username attributes."""
    legacy = outputs(define_auth(login_with={"username": True, "email": True}), "0")
    assert legacy["aws_cognito_username_attributes"] == ["USERNAME"]
    assert legacy["aws_cognito_signup_attributes"] == [] and legacy["aws_cognito_verification_mechanisms"] == ["EMAIL"]


# -- files: json and py -------------------------------------------------------------------------------------


def _import(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}_{time.monotonic_ns()}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ruff() -> str:
    found = Path(sys.executable).parent / "ruff"
    return str(found) if found.exists() else shutil.which("ruff") or pytest.skip("ruff is not installed")


@pytest.mark.parametrize("version", VERSIONS)
def test_files_are_named_per_version_and_format(tmp_path: Path, version: str) -> None:
    built = outputs(rich(), version)
    as_json = write_outputs(tmp_path, built)
    as_py = write_outputs(tmp_path, built, fmt="py")
    base = "amplifyconfiguration" if version == "0" else "amplify_outputs"
    assert (as_json.name, as_py.name) == (f"{base}.json", f"{base}.py")
    assert json.loads(as_json.read_text()) == built
    assert getattr(_import(as_py), base) == json.loads(as_json.read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([as_json.name, as_py.name])  # no temporary left


def test_the_default_file_is_amplify_outputs_json(tmp_path: Path) -> None:
    assert write_outputs(tmp_path / "new" / "dir", outputs(seed())) == tmp_path / "new" / "dir" / FILENAME


def test_the_python_module_is_ruff_formatted_and_says_it_is_generated(tmp_path: Path) -> None:
    tricky = ["ADMINS", 'say"hi"', "it's", 'both"\'s"', "café", "ünïcødé-☃"]
    path = write_outputs(tmp_path, outputs(rich(groups=tricky)), fmt="py")
    text = path.read_text()
    assert text.startswith("# Generated by userpool") and "Do not edit" in text
    for line_length in ("88", "120", "40"):
        result = subprocess.run(
            [_ruff(), "format", "--check", "--diff", "--isolated", "--line-length", line_length, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert [next(iter(g)) for g in _import(path).amplify_outputs["auth"]["groups"]] == tricky


def test_python_strings_round_trip_and_stay_formatted(tmp_path: Path) -> None:
    strings = ['"', "'", "\\", 'a\\"b', "tab\there", "line\nbreak\r", "\x00\x7f\u2028", "emoji 🎉", "\U0001f600"]
    text = render_module("values", {"strings": strings, "n": 6, "on": True, "off": False, "none": []}, header=["x"])
    tree = ast.parse(text)
    assert ast.literal_eval(tree.body[0].value) == {  # type: ignore[attr-defined]
        "strings": strings,
        "n": 6,
        "on": True,
        "off": False,
        "none": [],
    }
    module = tmp_path / "values.py"
    module.write_text(text, encoding="utf-8")
    result = subprocess.run([_ruff(), "format", "--check", "--diff", "--isolated", str(module)], check=False)
    assert result.returncode == 0


def test_a_rewrite_is_seen_by_the_next_import(tmp_path: Path) -> None:
    """Same size, same second: without dropping the cached bytecode the old module would be imported."""
    first = write_outputs(tmp_path, outputs(rich(password_policy={"min_length": 12})), fmt="py")
    sys.path.insert(0, str(tmp_path))
    dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    importlib.invalidate_caches()
    try:
        sys.modules.pop("amplify_outputs", None)
        import amplify_outputs  # type: ignore[import-not-found]

        assert amplify_outputs.amplify_outputs["auth"]["password_policy"]["min_length"] == 12
        assert list((tmp_path / "__pycache__").glob("amplify_outputs.*.pyc"))
        stat = first.stat()
        write_outputs(tmp_path, outputs(rich(password_policy={"min_length": 13})), fmt="py")
        os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as if within the same second
        sys.modules.pop("amplify_outputs", None)
        import amplify_outputs

        assert amplify_outputs.amplify_outputs["auth"]["password_policy"]["min_length"] == 13
    finally:
        sys.dont_write_bytecode = dont_write_bytecode
        sys.path.remove(str(tmp_path))
        sys.modules.pop("amplify_outputs", None)
