"""`userpool keys`, `userpool users` and `userpool groups`, run as an operator runs them (real processes),
against a sandbox's database and against serve's (--database-url)."""

from __future__ import annotations

import base64
import getpass
import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.admin_sandbox import RESOURCE
from tests.support.sandbox import PASSWORD, userpool_command, write_app
from userpool.bootstrap import open_pool
from userpool.courier import SandboxCourier
from userpool.crypto.sealing import Sealer
from userpool.definition import load_definition
from userpool.definition.changes import SERVE_WAYS_FORWARD
from userpool.store import open_store

MASTER_KEY = base64.b64encode(bytes(range(32))).decode()


def _run(app: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*userpool_command(), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=app,
        input=stdin,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def _ok(app: Path, *args: str, stdin: str = "") -> str:
    done = _run(app, *args, "--dir", str(app), stdin=stdin)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _json(app: Path, *args: str) -> Any:
    return json.loads(_ok(app, *args, "--json"))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app whose sandbox ran once (`userpool sandbox --once`): the database, the pool, the first key."""
    folder = write_app(tmp_path_factory.mktemp("cli") / "my-app", RESOURCE)
    first = _ok(folder, "sandbox", "--once")
    assert "Created an access key for the admin API" in first and "aws_secret_access_key=" in first
    return folder


def test_the_sandbox_makes_one_key_on_its_first_run_and_keeps_its_secret_private(app: Path) -> None:
    saved = next((app / ".amplify" / "userpool").glob("*/admin-key.json"))
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    key = json.loads(saved.read_text())
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    again = _ok(app, "sandbox", "--once")
    assert key["AccessKeyId"] in again and key["SecretAccessKey"] not in again
    assert [k["AccessKeyId"] for k in _json(app, "keys", "list")].count(key["AccessKeyId"]) == 1


def test_keys_create_list_disable_enable_delete(app: Path) -> None:
    made = _json(app, "keys", "create", "--description", "CI pipeline")
    assert made["AccessKeyId"].startswith("AKIA") and len(made["SecretAccessKey"]) == 40
    assert made["Status"] == "Active" and made["Description"] == "CI pipeline"
    listed = {k["AccessKeyId"]: k for k in _json(app, "keys", "list")}
    assert made["AccessKeyId"] in listed and "SecretAccessKey" not in listed[made["AccessKeyId"]]
    _ok(app, "keys", "disable", made["AccessKeyId"])
    assert {k["AccessKeyId"]: k["Status"] for k in _json(app, "keys", "list")}[made["AccessKeyId"]] == "Inactive"
    _ok(app, "keys", "enable", made["AccessKeyId"])
    table = _ok(app, "keys", "list")
    assert made["AccessKeyId"] in table and "CI pipeline" in table and made["SecretAccessKey"] not in table
    _ok(app, "keys", "delete", made["AccessKeyId"])
    assert made["AccessKeyId"] not in {k["AccessKeyId"] for k in _json(app, "keys", "list")}
    missing = _run(app, "keys", "delete", made["AccessKeyId"], "--dir", str(app))
    assert missing.returncode == 1 and f"No access key {made['AccessKeyId']}" in missing.stderr


def test_users_from_creation_to_deletion(app: Path) -> None:
    email = "grace@example.com"
    created = _json(
        app, "users", "create", email, "-a", f"email={email}", "-a", "email_verified=true", "-a", "given_name=Grace",
        "--suppress",
    )  # fmt: skip
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD" and created["Attributes"]["given_name"] == "Grace"
    _ok(app, "users", "set-password", email, stdin=PASSWORD + "\n")
    got = _json(app, "users", "get", email)
    assert got["UserStatus"] == "CONFIRMED" and got["Groups"] == [] and got["Enabled"] is True
    listed = _json(app, "users", "list", "--filter", 'email ^= "grace"')
    assert [u["Attributes"]["email"] for u in listed] == [email]
    assert _json(app, "users", "list", "--filter", 'email ^= "nobody"') == []
    table = _ok(app, "users", "list")
    assert email in table and "CONFIRMED" in table
    _ok(app, "users", "disable", email)
    assert _json(app, "users", "list", "--filter", 'status = "Disabled"')[0]["Attributes"]["email"] == email
    _ok(app, "users", "enable", email)
    _ok(app, "users", "sign-out", email)
    _ok(app, "users", "reset-password", email)
    assert _json(app, "users", "get", email)["UserStatus"] == "RESET_REQUIRED"
    messages = _json(app, "sandbox", "messages")
    assert any(m["to"] == email and m["code"] for m in messages)
    _ok(app, "users", "set-password", email, "--temporary", stdin=PASSWORD)
    assert _json(app, "users", "get", email)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    bad = _run(app, "users", "list", "--filter", "email is grace", "--dir", str(app))
    assert bad.returncode == 1 and "InvalidParameterException" in bad.stderr
    _ok(app, "users", "delete", email, "--yes")
    gone = _run(app, "users", "get", email, "--dir", str(app))
    assert gone.returncode == 1 and "UserNotFoundException: User does not exist." in gone.stderr


def test_confirm_an_unconfirmed_user(app: Path) -> None:
    email = "linus@example.com"
    _ok(app, "users", "create", email, "-a", f"email={email}", "--suppress")
    _ok(app, "users", "set-password", email, stdin=PASSWORD)
    refused = _run(app, "users", "confirm", email, "--dir", str(app))  # CONFIRMED already
    assert refused.returncode == 1 and "Current status is CONFIRMED" in refused.stderr


def test_groups_create_add_list_members_remove_delete(app: Path) -> None:
    email = "ada@example.com"
    _ok(app, "users", "create", email, "-a", f"email={email}", "--suppress")
    made = _json(app, "groups", "create", "staff", "--precedence", "7", "--description", "Our staff")
    assert made["GroupName"] == "staff" and made["Precedence"] == 7 and made["FromDefinition"] is False
    names = [g["GroupName"] for g in _json(app, "groups", "list")]
    assert names == ["ADMINS", "EDITORS", "staff"]  # the definition's first (precedence 0, 1), then 7
    _ok(app, "groups", "add", "staff", email)
    _ok(app, "groups", "add", "EDITORS", email)
    assert [u["Attributes"]["email"] for u in _json(app, "groups", "members", "staff")] == [email]
    assert _json(app, "users", "get", email)["Groups"] == ["EDITORS", "staff"]
    _ok(app, "groups", "remove", "staff", email)
    assert _json(app, "groups", "members", "staff") == []
    _ok(app, "groups", "delete", "staff", "--yes")
    missing = _run(app, "groups", "add", "staff", email, "--dir", str(app))
    assert missing.returncode == 1 and "ResourceNotFoundException: Group not found." in missing.stderr
    assert "staff" not in _ok(app, "groups", "list")


def test_against_serves_database(tmp_path: Path) -> None:
    app = write_app(tmp_path / "prod-app", RESOURCE)
    env = {"USERPOOL_MASTER_KEY": MASTER_KEY}
    url = f"sqlite:///{tmp_path / 'prod.db'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(app, *args, "--dir", str(app), "--database-url", url, env=env)

    before = run("keys", "list")  # nothing deployed there yet: the command says so and changes nothing
    assert before.returncode == 1 and "start `userpool serve` once" in before.stderr
    # what `userpool serve` does at start-up: deploy the definition into its database
    key = base64.b64decode(MASTER_KEY)
    store = open_store(url, Sealer(key))
    try:
        open_pool(
            store, load_definition(app), endpoint="http://127.0.0.1:8000", master_key=key, courier=SandboxCourier(),
            ways_forward=SERVE_WAYS_FORWARD,
        )  # fmt: skip
    finally:
        store.close()

    made = run("keys", "create", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["SecretAccessKey"]
    assert run("users", "create", "ops@example.com", "-a", "email=ops@example.com", "--suppress").returncode == 0
    listed = run("users", "list", "--json")
    assert [u["Attributes"]["email"] for u in json.loads(listed.stdout)] == ["ops@example.com"]
    no_key = _run(app, "users", "list", "--dir", str(app), "--database-url", url, env={"USERPOOL_MASTER_KEY": ""})
    assert no_key.returncode == 2 and "USERPOOL_MASTER_KEY" in no_key.stderr


def _audit_log(app: Path) -> list[tuple[str, str, str, dict[str, Any]]]:
    (db,) = (app / ".amplify" / "userpool").glob("*/pool.db")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT actor, action, target, details FROM audit_log ORDER BY id").fetchall()
    return [(actor, action, target, json.loads(details)) for actor, action, target, details in rows]


def test_changes_made_from_the_command_line_are_in_the_audit_log(app: Path) -> None:
    email = "audited@example.com"
    _ok(app, "users", "create", email, "-a", f"email={email}", "--suppress")
    _ok(app, "users", "disable", email)
    _ok(app, "users", "set-password", email, stdin=PASSWORD)
    _ok(app, "groups", "create", "auditors")
    _ok(app, "groups", "add", "auditors", email)
    _ok(app, "users", "get", email)  # a read: no entry
    refused = _run(app, "users", "disable", "nobody@example.com", "--dir", str(app))
    assert refused.returncode == 1
    entries = _audit_log(app)
    mine = [(action, target, details) for _, action, target, details in entries if target.endswith((email, "auditors"))]
    assert mine == [
        ("user.create", f"user:{email}", {"attributes": ["email"], "message_action": "SUPPRESS"}),
        ("user.disable", f"user:{email}", {}),
        ("user.set_password", f"user:{email}", {"permanent": True}),
        ("group.create", "group:auditors", {"precedence": None}),
        ("group.add_member", f"user:{email}", {"group": "auditors"}),
    ]
    assert {actor for actor, *_ in entries} == {f"cli:{getpass.getuser()}"}
    assert not any("nobody" in target for _, _, target, _ in entries)  # a refused change writes no entry
    assert PASSWORD not in json.dumps(entries)
