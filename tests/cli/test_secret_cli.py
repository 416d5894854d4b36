"""`userpool sandbox secret` and serve's secrets, run as a developer runs them (a real process)."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.sandbox import userpool_command, write_app

MASTER_KEY = base64.b64encode(bytes(range(32))).decode()
RESOURCE = """from userpool import define_auth
from userpool.definition.secrets import secret

auth = define_auth(
    login_with={"email": True},
    senders={
        "email": {"from_email": "no-reply@example.com", "username": "mailer", "password": secret("SMTP_PASSWORD")},
        "sms": {"webhook": "https://sms.example.com/send", "headers": {"Authorization": secret("sms.token")}},
    },
)
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_app(tmp_path / "my-app", RESOURCE)


def _env(config: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(config.parent / "home"),
        "COLUMNS": "200",
        "USERPOOL_CONFIG_DIR": str(config),
        **extra,
    }


def _secret(app: Path, config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*userpool_command(), "sandbox", "secret", *args, "--dir", str(app), "--identifier", "alice"],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=_env(config),
    )


def test_set_get_list_remove(app: Path, config: Path) -> None:
    result = _secret(app, config, "set", "SMTP_PASSWORD", stdin="hunter2 with spaces\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Successfully created version 1 of secret SMTP_PASSWORD"
    assert "hunter2" not in result.stdout + result.stderr
    result = _secret(app, config, "set", "SMTP_PASSWORD", stdin="second\n\n")  # only one newline is stripped
    assert result.stdout.strip() == "Successfully created version 2 of secret SMTP_PASSWORD"
    assert _secret(app, config, "set", "sms.token", stdin="Bearer t0ken").returncode == 0

    lines = _secret(app, config, "get", "SMTP_PASSWORD").stdout.splitlines()
    assert lines[:3] == ["name: SMTP_PASSWORD", "version: 2", "value: second"]
    assert lines[3] == "" and lines[4].startswith("lastUpdated: 20") and lines[4].endswith("Z")

    listed = _secret(app, config, "list")
    assert listed.returncode == 0 and listed.stdout.splitlines() == ["SMTP_PASSWORD", "sms.token"]
    assert "second" not in listed.stdout + listed.stderr and "t0ken" not in listed.stdout + listed.stderr

    [store] = (config / "sandbox-secrets").glob("my-app-*/alice.json")
    assert stat.S_IMODE(store.stat().st_mode) == 0o600 and stat.S_IMODE(store.parent.stat().st_mode) == 0o700
    assert not list(app.rglob("*.json"))  # nothing lands in the project folder
    assert json.loads(store.read_text())["secrets"]["sms.token"]["value"] == "Bearer t0ken"

    removed = _secret(app, config, "remove", "sms.token")
    assert removed.returncode == 0 and removed.stdout.strip() == "Successfully removed secret sms.token"
    assert _secret(app, config, "list").stdout.splitlines() == ["SMTP_PASSWORD"]
    missing = _secret(app, config, "remove", "sms.token")
    assert missing.returncode == 1 and "No secret sms.token" in missing.stderr
    gone = _secret(app, config, "get", "sms.token")
    assert gone.returncode == 1 and "userpool sandbox secret set sms.token --identifier alice" in gone.stderr

    everything = _secret(app, config, "remove", "--all")
    assert everything.returncode == 0 and "Successfully removed 1 secret(s)" in everything.stdout
    empty = _secret(app, config, "list")
    assert empty.returncode == 0 and empty.stdout == "" and "No secrets" in empty.stderr


def test_remove_needs_a_name_or_all(app: Path, config: Path) -> None:
    neither = _secret(app, config, "remove")
    assert neither.returncode == 2 and "give a secret name or --all" in neither.stderr
    both = _secret(app, config, "remove", "X", "--all")
    assert both.returncode == 2 and "not both" in both.stderr


def test_bad_names_and_empty_values_are_refused(app: Path, config: Path) -> None:
    bad = _secret(app, config, "set", "no/slashes", stdin="v")
    assert bad.returncode == 2 and "secret names are 1-128 letters" in bad.stderr
    empty = _secret(app, config, "set", "K", stdin="\n")
    assert empty.returncode == 1 and "empty" in empty.stderr
    assert not config.exists()


def test_identifiers_keep_apart(app: Path, config: Path) -> None:
    _secret(app, config, "set", "K", stdin="alice's")
    other = subprocess.run(
        [*userpool_command(), "sandbox", "secret", "list", "--dir", str(app), "--identifier", "bob"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=_env(config),
    )
    assert other.returncode == 0 and other.stdout == ""


def _serve(app: Path, config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*userpool_command(), "serve", "--dir", str(app), "--database-url", f"sqlite:///{app / 'pool.db'}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=_env(config, USERPOOL_MASTER_KEY=MASTER_KEY, **env),
    )


def test_serve_refuses_to_start_without_a_secret(app: Path, config: Path) -> None:
    (app / "secrets.env").write_text("SMTP_PASSWORD=from-the-file\n")
    result = _serve(app, config, "--secrets-file", str(app / "secrets.env"))
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "senders.sms.headers.Authorization: secret 'sms.token' is not set" in output
    assert "USERPOOL_SECRET_SMS_TOKEN" in output and "SMTP_PASSWORD" not in output
    assert "resource.py:4" in output  # the define_auth call
    assert not (app / "pool.db").exists()  # refused before any database was touched


def test_serve_reads_the_secrets_file_from_the_environment_and_refuses_a_bad_one(app: Path, config: Path) -> None:
    (app / "secrets.json").write_text("{broken")
    result = _serve(app, config, USERPOOL_SECRETS_FILE=str(app / "secrets.json"))
    assert result.returncode == 2 and "not valid JSON" in result.stdout + result.stderr
    result = _serve(app, config, USERPOOL_SECRET_SMTP_PASSWORD="pw")
    assert result.returncode == 1 and "'sms.token'" in result.stdout and "'SMTP_PASSWORD'" not in result.stdout
