"""secret(): the references a definition makes, resolving them, the sandbox's store and serve's environment."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from userpool import define_auth
from userpool.definition import DefinitionError
from userpool.definition.secrets import (
    EnvironmentSecrets,
    SandboxSecrets,
    SecretStoreError,
    default_config_dir,
    env_var_for,
    referenced_secrets,
    resolve_secrets,
    secret,
)

PROVIDERS: dict[str, Any] = {
    "google": {"client_id": secret("GOOGLE_CLIENT_ID"), "client_secret": secret("GOOGLE_CLIENT_SECRET")},
    "oidc": [
        {"name": "Okta", "client_id": "okta-app", "client_secret": secret("OKTA"), "issuer_url": "https://okta.test"},
        {"name": "Corp", "client_id": "corp", "client_secret": secret("SHARED"), "issuer_url": "https://corp.test"},
    ],
    "callback_urls": ["https://app.example.com/"],
    "logout_urls": ["https://app.example.com/"],
}
SENDERS: dict[str, Any] = {
    "email": {"from_email": "no-reply@example.com", "username": "mailer", "password": secret("SHARED")},
    "sms": {"webhook": "https://sms.example.com/send", "headers": {"Authorization": secret("sms.token")}},
}


def _definition() -> Any:
    return define_auth(login_with={"email": True, "external_providers": PROVIDERS}, senders=SENDERS)


class _Dict:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def how_to_set(self, name: str) -> str:
        return f"run `set-it {name}`"


# -- referenced_secrets / resolve_secrets ----------------------------------------------------------------


def test_every_secret_is_found_with_the_options_that_use_it() -> None:
    assert referenced_secrets(_definition()) == {
        "GOOGLE_CLIENT_ID": ["login_with.external_providers.google.client_id"],
        "GOOGLE_CLIENT_SECRET": ["login_with.external_providers.google.client_secret"],
        "OKTA": ["login_with.external_providers.oidc[0].client_secret"],
        "SHARED": ["login_with.external_providers.oidc[1].client_secret", "senders.email.password"],
        "sms.token": ["senders.sms.headers.Authorization"],
    }


def test_a_definition_without_secrets_references_none() -> None:
    defn = define_auth(login_with={"email": True})
    assert referenced_secrets(defn) == {}
    assert resolve_secrets(defn, _Dict({})) == {}


def test_resolving_gives_every_value() -> None:
    values = {"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "g", "OKTA": "o", "SHARED": "s", "sms.token": "t"}
    assert resolve_secrets(_definition(), _Dict(values)) == values


def test_a_missing_secret_names_the_options_the_definition_and_the_command() -> None:
    defn = _definition()
    with pytest.raises(DefinitionError) as caught:
        resolve_secrets(defn, _Dict({"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "g", "OKTA": ""}))
    err = caught.value
    assert err.where == defn.source and "test_secrets.py:" in err.where
    assert err.problems == [
        "login_with.external_providers.oidc[0].client_secret: secret 'OKTA' is not set; run `set-it OKTA`",
        "login_with.external_providers.oidc[1].client_secret, senders.email.password: secret 'SHARED' is not set; "
        "run `set-it SHARED`",
        "senders.sms.headers.Authorization: secret 'sms.token' is not set; run `set-it sms.token`",
    ]
    assert str(err).startswith(f"{defn.source}: invalid auth definition")


def test_secret_names_follow_amplifys_rule() -> None:
    for bad in ("", "a b", "a/b", "x" * 129, "ключ"):
        with pytest.raises(ValueError, match="secret names"):
            secret(bad)


# -- SandboxSecrets --------------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "projects" / "my-app"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sandbox_round_trip(app: Path, config: Path) -> None:
    clock = iter([datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)])
    store = SandboxSecrets(app, "alice", config_dir=config, now=lambda: next(clock))
    assert store.get("GOOGLE_CLIENT_SECRET") is None and store.describe("X") is None and store.names() == []
    assert store.set("GOOGLE_CLIENT_SECRET", "s3cret value\nwith a newline") == 1
    assert store.set("OKTA", "o") == 1
    assert store.get("GOOGLE_CLIENT_SECRET") == "s3cret value\nwith a newline"
    assert store.describe("OKTA") == {
        "name": "OKTA",
        "version": 1,
        "value": "o",
        "last_updated": "2025-01-02T03:04:05.000Z",
    }
    assert store.names() == ["GOOGLE_CLIENT_SECRET", "OKTA"]
    assert store.remove("OKTA") is True and store.remove("OKTA") is False
    assert store.names() == ["GOOGLE_CLIENT_SECRET"]
    assert store.remove_all() == 1 and store.names() == [] and store.remove_all() == 0


def test_versions_increment_and_start_again_after_removal(app: Path, config: Path) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ticks = iter(range(10))
    store = SandboxSecrets(app, "alice", config_dir=config, now=lambda: start + timedelta(minutes=next(ticks)))
    assert [store.set("K", f"v{i}") for i in range(3)] == [1, 2, 3]
    record = store.describe("K")
    assert record is not None and record["value"] == "v2" and record["last_updated"] == "2025-01-01T00:02:00.000Z"
    store.remove("K")
    assert store.set("K", "again") == 1


def test_the_store_is_outside_the_app_and_private_even_under_a_permissive_umask(
    app: Path, config: Path, permissive_umask: None
) -> None:
    store = SandboxSecrets(app, "alice", config_dir=config)
    store.set("K", "v")
    assert not store.path.is_relative_to(app) and store.path.is_relative_to(config.resolve())
    assert _mode(store.path) == 0o600
    for directory in (config, store.path.parent.parent, store.path.parent):
        assert _mode(directory) == 0o700, directory
    assert store.path.parent.name.startswith("my-app-") and store.path.name == "alice.json"
    saved = json.loads(store.path.read_text())
    assert saved["app_dir"] == str(app.resolve()) and saved["identifier"] == "alice"
    assert saved["secrets"]["K"]["value"] == "v" and saved["secrets"]["K"]["version"] == 1
    assert [p.name for p in store.path.parent.iterdir()] == ["alice.json"]  # no temporary file left behind


def test_modes_are_fixed_on_every_write(app: Path, config: Path, permissive_umask: None) -> None:
    store = SandboxSecrets(app, "alice", config_dir=config)
    store.set("K", "v")
    for directory in (config, store.path.parent.parent, store.path.parent):
        directory.chmod(0o777)
    store.path.chmod(0o666)
    store.set("K", "w")
    assert _mode(store.path) == 0o600
    assert all(_mode(d) == 0o700 for d in (config, store.path.parent.parent, store.path.parent))


def test_two_apps_with_the_same_folder_name_do_not_share(tmp_path: Path, config: Path) -> None:
    one, two = tmp_path / "a" / "app", tmp_path / "b" / "app"
    one.mkdir(parents=True)
    two.mkdir(parents=True)
    SandboxSecrets(one, "alice", config_dir=config).set("K", "one")
    assert SandboxSecrets(two, "alice", config_dir=config).get("K") is None
    SandboxSecrets(two, "alice", config_dir=config).set("K", "two")
    assert SandboxSecrets(one, "alice", config_dir=config).get("K") == "one"


def test_identifiers_do_not_share(app: Path, config: Path) -> None:
    SandboxSecrets(app, "alice", config_dir=config).set("K", "a")
    assert SandboxSecrets(app, "bob", config_dir=config).get("K") is None


def test_the_config_directory_comes_from_the_environment(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USERPOOL_CONFIG_DIR", str(tmp_path / "from-env"))
    store = SandboxSecrets(app, "alice")
    store.set("K", "v")
    assert store.path.is_relative_to((tmp_path / "from-env").resolve()) and store.path.exists()
    assert default_config_dir({"XDG_CONFIG_HOME": "/xdg"}) == Path("/xdg/userpool")
    assert default_config_dir({"USERPOOL_CONFIG_DIR": "/mine", "XDG_CONFIG_HOME": "/xdg"}) == Path("/mine")
    assert default_config_dir({}) == Path.home() / ".config" / "userpool"


def test_bad_names_values_and_identifiers_are_refused(app: Path, config: Path) -> None:
    store = SandboxSecrets(app, "alice", config_dir=config)
    with pytest.raises(ValueError, match="secret names"):
        store.set("../escape", "v")
    with pytest.raises(ValueError, match="empty"):
        store.set("K", "")
    for identifier in ("../x", "", ".hidden", "a/b"):
        with pytest.raises(ValueError, match="identifiers"):
            SandboxSecrets(app, identifier, config_dir=config)
    assert not config.exists()


def test_a_damaged_store_is_reported(app: Path, config: Path) -> None:
    store = SandboxSecrets(app, "alice", config_dir=config)
    store.set("K", "v")
    store.path.write_text('{"secrets": {"K": "not a record"}}')
    with pytest.raises(SecretStoreError, match="not a userpool secrets file"):
        store.get("K")
    store.path.write_text("{")
    with pytest.raises(SecretStoreError, match="cannot read"):
        store.names()


def test_how_to_set_names_the_sandbox(app: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SandboxSecrets(app, "alice", config_dir=config)
    monkeypatch.chdir(app)
    assert store.how_to_set("K") == "run `userpool sandbox secret set K --identifier alice`"
    monkeypatch.chdir(app.parent)
    assert store.how_to_set("K") == "run `userpool sandbox secret set K --identifier alice --dir my-app`"


def test_a_sandbox_deploy_resolves_from_the_store(app: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(app)
    store = SandboxSecrets(app, "alice", config_dir=config)
    defn = define_auth(senders={"email": {"from_email": "a@example.com", "username": "u", "password": secret("SMTP")}})
    with pytest.raises(DefinitionError, match=r"senders.email.password: secret 'SMTP' is not set; run `userpool"):
        resolve_secrets(defn, store)
    store.set("SMTP", "pw")
    assert resolve_secrets(defn, store) == {"SMTP": "pw"}


# -- EnvironmentSecrets ----------------------------------------------------------------------------------


def test_environment_variable_names() -> None:
    assert env_var_for("GOOGLE_CLIENT_SECRET") == "USERPOOL_SECRET_GOOGLE_CLIENT_SECRET"
    assert env_var_for("smtp.password") == "USERPOOL_SECRET_SMTP_PASSWORD"
    assert env_var_for("my-key") == "USERPOOL_SECRET_MY_KEY"


def test_secrets_from_the_environment() -> None:
    source = EnvironmentSecrets({"USERPOOL_SECRET_SMTP_PASSWORD": "pw", "USERPOOL_SECRET_EMPTY": ""})
    assert source.get("smtp.password") == "pw"
    assert source.get("EMPTY") is None and source.get("OTHER") is None
    assert "USERPOOL_SECRET_OTHER" in source.how_to_set("OTHER") and "--secrets-file" in source.how_to_set("OTHER")


def test_secrets_from_a_json_file_with_the_environment_first(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"A": "from-file", "B": "b=with equals"}))
    source = EnvironmentSecrets({"USERPOOL_SECRET_A": "from-env"}, secrets_file=path)
    assert source.get("A") == "from-env" and source.get("B") == "b=with equals" and source.get("C") is None
    assert f"add C=... to the secrets file {path}" in source.how_to_set("C")
    assert "USERPOOL_SECRET_C" in source.how_to_set("C")


def test_a_json_file_is_recognised_by_its_content_too(tmp_path: Path) -> None:
    path = tmp_path / "secrets"
    path.write_text('\n {"A": "a"}')
    assert EnvironmentSecrets({}, secrets_file=path).get("A") == "a"


def test_secrets_from_a_dotenv_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "# production secrets\n"
        "\n"
        "GOOGLE_CLIENT_SECRET=abc=def\n"
        "export smtp.password = 'p a s s'\n"
        'QUOTED="x # not a comment"\n'
        "PLAIN=value # kept as written\n"
    )
    source = EnvironmentSecrets({}, secrets_file=path)
    assert source.get("GOOGLE_CLIENT_SECRET") == "abc=def"
    assert source.get("smtp.password") == "p a s s"
    assert source.get("QUOTED") == "x # not a comment"
    assert source.get("PLAIN") == "value # kept as written"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("s.json", "{not json", "not valid JSON"),
        ("s.json", '["A"]', "expected a JSON object"),
        ("s.json", '{"A": 1}', "must be a secret name with a string value"),
        ("s.env", "A=1\nthis line holds hunter2\n", "s.env:2: expected NAME=value"),
    ],
)
def test_a_bad_secrets_file_is_refused_without_echoing_values(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(SecretStoreError, match=message) as caught:
        EnvironmentSecrets({}, secrets_file=path)
    assert "hunter2" not in str(caught.value)


def test_a_missing_secrets_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretStoreError, match="cannot read the secrets file"):
        EnvironmentSecrets({}, secrets_file=tmp_path / "nope.env")
