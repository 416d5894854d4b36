"""define_auth: what it accepts, the errors it gives (file, line, option path, choices), and the loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from userpool import define_auth, define_backend
from userpool.definition import DefinitionError, load_definition
from userpool.definition.compile import pool_config


def _config(**options: object):  # type: ignore[no-untyped-def]
    return pool_config(
        define_auth(**options), pool_id="us-east-1_abcdefghi", region="us-east-1", issuer="http://x/us-east-1_abcdefghi"
    )


def test_the_seed_definition() -> None:
    config = _config(login_with={"email": True})
    assert config.username_attributes == ("email",) and config.auto_verified_attributes == ("email",)
    assert config.attributes["email"].required
    assert config.password_policy.min_length == 8 and config.password_policy.require_symbols


def test_no_options_means_email_login_as_in_amplify() -> None:
    assert define_auth().login_with.email is not None


def test_camel_case_names_from_the_docs_work() -> None:
    config = _config(
        loginWith={"email": True},
        userAttributes={
            "givenName": {"required": True},
            "profilePicture": {"mutable": False},
            "custom:plan": {"dataType": "String", "maxLen": 8},
        },
    )
    assert config.attributes["given_name"].required and not config.attributes["picture"].mutable
    assert config.attributes["custom:plan"].max_length == 8


def test_username_login_makes_email_an_alias() -> None:
    config = _config(login_with={"username": True, "email": True})
    assert config.username_attributes == () and config.alias_attributes == ("email",)


def test_message_callables_become_the_messages() -> None:
    config = _config(
        login_with={
            "email": {
                "verification_email_subject": "Welcome!",
                "verification_email_body": lambda create_code: f"Code: {create_code()}",
            },
            "phone": {"verification_message": lambda create_code: f"SMS {create_code()}"},
        }
    )
    assert config.templates.verification_email.render("123456") == ("Welcome!", "Code: 123456")
    assert config.templates.verification_sms.render("654321")[1] == "SMS 654321"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"login_with": {}}, "login_with: at least one of email, phone or username must be enabled"),
        (
            {"login_with": {"email": True, "fax": True}},
            "login_with.fax: unknown option (valid options: email, phone, username, web_authn, external_providers)",
        ),
        ({"login_with": {"email": True}, "multifactor": {}}, "multifactor.mode: required"),
        ({"login_with": {"email": True}, "fax": {}}, "fax: unknown option (valid options: name, login_with"),
        (
            {"login_with": {"email": True}, "password_policy": {"min_length": 4}},
            "password_policy.min_length: Input should be greater than or equal to 6",
        ),
        ({"login_with": {"email": {"verification_email_style": "SMOKE"}}}, "Input should be 'CODE'"),
        ({"login_with": {"email": True}, "user_attributes": {"shoeSize": {}}}, "unknown attribute 'shoeSize'"),
        (
            {
                "login_with": {"email": True},
                "user_attributes": {"custom:toolongname_abcdefghijk": {"data_type": "String"}},
            },
            "custom attribute names are custom:<1-20",
        ),
        ({"login_with": {"email": True}, "user_attributes": {"custom:plan": {}}}, "needs data_type"),
    ],
)
def test_invalid_definitions_say_where_and_what(options: dict[str, object], expected: str) -> None:
    with pytest.raises(DefinitionError) as exc:
        define_auth(**options)
    message = str(exc.value)
    assert expected in message
    assert f"{Path(__file__).name}:" in message  # the file and line of the define_auth call


def test_a_message_callable_without_the_code_is_refused() -> None:
    with pytest.raises(DefinitionError, match="verification_email_body: must return a string that uses the code"):
        _config(login_with={"email": {"verification_email_body": lambda create_code: "no code here"}})


def _write(app: Path, relative: str, text: str) -> None:
    path = app / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_loader_finds_resource_py(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "amplify/auth/resource.py",
        "from userpool import define_auth\nauth = define_auth(login_with={'phone': True})\n",
    )
    assert load_definition(tmp_path).login_with.phone is not None


def test_loader_prefers_backend_py(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "amplify/auth/resource.py",
        "from userpool import define_auth\nauth = define_auth(name='fromresource')\n",
    )
    _write(
        tmp_path,
        "amplify/backend.py",
        "from userpool import define_backend\nfrom amplify.auth.resource import auth\n"
        "backend = define_backend(auth=auth)\n",
    )
    assert load_definition(tmp_path).name == "fromresource"


def test_loader_reports_errors_in_the_users_file(tmp_path: Path) -> None:
    _write(
        tmp_path, "amplify/auth/resource.py", "from userpool import define_auth\n\nauth = define_auth(login_with={})\n"
    )
    with pytest.raises(DefinitionError, match=r"amplify/auth/resource.py:3"):
        load_definition(tmp_path)
    _write(tmp_path, "amplify/auth/resource.py", "auth = (\n")
    with pytest.raises(DefinitionError, match="syntax error"):
        load_definition(tmp_path)
    _write(tmp_path, "amplify/auth/resource.py", "import nonexistent_module_xyz\n")
    with pytest.raises(DefinitionError, match="ModuleNotFoundError"):
        load_definition(tmp_path)


def test_loader_explains_a_missing_definition(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"no amplify/auth/resource\.py"):
        load_definition(tmp_path)


def test_define_backend_needs_an_auth_definition() -> None:
    with pytest.raises(DefinitionError, match="expected the result of define_auth"):
        define_backend(auth="nope")  # type: ignore[arg-type]
