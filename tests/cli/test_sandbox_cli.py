"""`userpool sandbox` as a developer runs it: outputs, reuse across runs, errors, messages, live redeploys."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import jsonschema
import pytest

from tests.support.sandbox import PASSWORD, Sandbox, free_port, unique_email, userpool_command, write_app

SCHEMA = json.loads((Path(__file__).parents[1] / "fixtures" / "amplify_outputs_schema_v1.4.json").read_text())


def _run(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*userpool_command(), *args, "--dir", str(app)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_once_writes_outputs_that_amplify_accepts(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = _run(tmp_path, "sandbox", "--once", "--port", "4999")
    assert result.returncode == 0, result.stderr
    outputs = json.loads((tmp_path / "amplify_outputs.json").read_text())
    jsonschema.validate(outputs, SCHEMA)
    auth = outputs["auth"]
    assert auth["user_pool_id"].startswith("us-east-1_") and len(auth["user_pool_id"]) == len("us-east-1_") + 9
    assert len(auth["user_pool_client_id"]) == 26 and auth["user_pool_client_id"].isalnum()
    assert auth["username_attributes"] == ["email"] and auth["standard_required_attributes"] == ["email"]
    assert outputs["custom"]["userpool"]["endpoint"] == "http://127.0.0.1:4999"
    assert f"Created user pool {auth['user_pool_id']}" in result.stdout


def test_a_second_run_keeps_ids_keys_and_users(tmp_path: Path) -> None:
    write_app(tmp_path)
    box = Sandbox(app_dir=tmp_path, port=free_port()).start()
    try:
        email = unique_email()
        box.call("SignUp", {"ClientId": box.client_id, "Username": email, "Password": PASSWORD})
        jwks = httpx.get(f"{box.endpoint}/{box.pool_id}/.well-known/jwks.json").json()
    finally:
        box.stop()
    again = Sandbox(app_dir=tmp_path, port=box.port).start()
    try:
        assert (again.pool_id, again.client_id) == (box.pool_id, box.client_id)
        assert httpx.get(f"{again.endpoint}/{again.pool_id}/.well-known/jwks.json").json() == jwks
        taken = again.call("SignUp", {"ClientId": again.client_id, "Username": email, "Password": PASSWORD})
        assert taken.json()["__type"] == "UsernameExistsException"
        assert "Deployed user pool" in again.log()
    finally:
        again.stop()


def test_an_invalid_definition_names_file_line_and_option(tmp_path: Path) -> None:
    write_app(
        tmp_path, "from userpool import define_auth\n\nauth = define_auth(login_with={'email': True, 'fax': 1})\n"
    )
    result = _run(tmp_path, "sandbox", "--once")
    assert result.returncode == 1
    assert "amplify/auth/resource.py:3" in result.stdout
    assert (
        "login_with.fax: unknown option (valid options: email, phone, username, web_authn, external_providers)"
        in result.stdout
    )
    assert not (tmp_path / "amplify_outputs.json").exists()


def test_messages_command_lists_the_outbox(tmp_path: Path) -> None:
    write_app(tmp_path)
    box = Sandbox(app_dir=tmp_path, port=free_port()).start()
    try:
        email = unique_email()
        box.call("SignUp", {"ClientId": box.client_id, "Username": email, "Password": PASSWORD})
        code = box.last_code(email)
        assert f"Your verification code is {code}." in box.log()  # printed on the sandbox console too
        result = _run(tmp_path, "sandbox", "messages", "--json")
        assert result.returncode == 0, result.stderr
        [message] = json.loads(result.stdout)
        assert message["to"] == email and message["code"] == code and message["channel"] == "EMAIL"
        assert set(message) >= {"to", "channel", "subject", "body", "code"}
    finally:
        box.stop()


def _wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_a_saved_change_is_live_and_a_broken_one_changes_nothing(tmp_path: Path) -> None:
    write_app(tmp_path)
    box = Sandbox(app_dir=tmp_path, port=free_port()).start()
    outputs = tmp_path / "amplify_outputs.json"
    try:
        write_app(
            tmp_path,
            "from userpool import define_auth\nauth = define_auth(login_with={'email': True},"
            " password_policy={'min_length': 12, 'require_symbols': False})\n",
        )
        _wait_for(lambda: json.loads(outputs.read_text())["auth"]["password_policy"]["min_length"] == 12)
        short = box.call("SignUp", {"ClientId": box.client_id, "Username": unique_email(), "Password": "Short1Pass"})
        assert "at least 12 characters" in short.json()["message"]
        ok = box.call("SignUp", {"ClientId": box.client_id, "Username": unique_email(), "Password": "LongEnough123"})
        assert ok.status_code == 200, ok.text

        write_app(
            tmp_path,
            "from userpool import define_auth\nauth = define_auth(login_with={'email': True},"
            " password_policy={'min_length': 2})\n",
        )
        _wait_for(lambda: "keeps running the previous definition" in box.log())
        assert json.loads(outputs.read_text())["auth"]["password_policy"]["min_length"] == 12
        assert httpx.get(f"{box.endpoint}/health").status_code == 200
    finally:
        box.stop()


@pytest.mark.parametrize("version", ["1", "1.3", "1.4"])
def test_outputs_versions(tmp_path: Path, version: str) -> None:
    write_app(tmp_path)
    assert _run(tmp_path, "sandbox", "--once", "--outputs-version", version).returncode == 0
    outputs = json.loads((tmp_path / "amplify_outputs.json").read_text())
    assert outputs["version"] == version
    assert ("groups" in outputs["auth"]) == (version in ("1.3", "1.4"))


def test_an_irreversible_change_is_refused_live_and_users_are_kept(tmp_path: Path) -> None:
    write_app(tmp_path)
    box = Sandbox(app_dir=tmp_path, port=free_port()).start()
    try:
        email = unique_email()
        box.call("SignUp", {"ClientId": box.client_id, "Username": email, "Password": PASSWORD})
        write_app(
            tmp_path,
            "from userpool import define_auth\nauth = define_auth(login_with={'phone': True},"
            " user_attributes={'given_name': {'required': True}})\n",
        )
        _wait_for(lambda: "cannot be applied to the deployed user pool" in box.log())
        log = box.log()
        assert "login_with (username_attributes): email → phone_number" in log
        assert "user_attributes.given_name: default settings → required=True" in log
        assert "`userpool sandbox delete`" in log
        taken = box.call("SignUp", {"ClientId": box.client_id, "Username": email, "Password": PASSWORD})
        assert taken.json()["__type"] == "UsernameExistsException"  # still the email pool, user still there
    finally:
        box.stop()
    refused = _run(tmp_path, "sandbox", "--once")  # and a fresh start refuses it too
    assert refused.returncode == 1 and "cannot be applied" in refused.stdout


def test_delete_starts_over(tmp_path: Path) -> None:
    write_app(tmp_path)
    box = Sandbox(app_dir=tmp_path, port=free_port()).start()
    try:
        running = _run(tmp_path, "sandbox", "delete", "--yes")
        assert running.returncode == 1 and "is running" in running.stdout
    finally:
        box.stop()
    assert _run(tmp_path, "sandbox", "delete", "--yes").returncode == 0
    assert list((tmp_path / ".amplify" / "userpool").iterdir()) == []
    assert not (tmp_path / "amplify_outputs.json").exists()
    again = _run(tmp_path, "sandbox", "--once")
    assert again.returncode == 0 and "Created user pool" in again.stdout
    assert json.loads((tmp_path / "amplify_outputs.json").read_text())["auth"]["user_pool_id"] != box.pool_id


def test_a_missing_secret_stops_the_sandbox_naming_the_command(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        "from userpool import define_auth, secret\nauth = define_auth(senders={'email': {"
        "'from_email': 'a@example.com', 'username': 'me', 'password': secret('SMTP_PASSWORD')}})\n",
    )
    result = _run(tmp_path, "sandbox", "--once")
    assert result.returncode == 1
    assert "senders.email.password: secret 'SMTP_PASSWORD' is not set" in result.stdout
    assert "userpool sandbox secret set SMTP_PASSWORD" in result.stdout


def test_outputs_format_py_and_legacy(tmp_path: Path) -> None:
    write_app(tmp_path)
    assert _run(tmp_path, "sandbox", "--once", "--outputs-format", "py").returncode == 0
    text = (tmp_path / "amplify_outputs.py").read_text()
    assert "amplify_outputs = {" in text
    assert _run(tmp_path, "sandbox", "--once", "--outputs-version", "0").returncode == 0
    legacy = json.loads((tmp_path / "amplifyconfiguration.json").read_text())
    assert legacy["aws_user_pools_id"].startswith("us-east-1_") and legacy["aws_cognito_username_attributes"] == [
        "EMAIL"
    ]
    bad = _run(tmp_path, "sandbox", "--once", "--outputs-format", "ts")
    assert bad.returncode == 2 and "--outputs-format must be one of json, py" in bad.stdout


def test_dir_to_watch_and_exclude(tmp_path: Path) -> None:
    write_app(tmp_path)
    (tmp_path / "amplify" / "scratch.py").write_text("# not part of the definition\n")
    box = Sandbox(app_dir=tmp_path, port=free_port(), extra_args=["--exclude", "scratch.py"]).start()
    try:
        (tmp_path / "amplify" / "scratch.py").write_text("# edited\n")
        time.sleep(1.0)
        assert "Triggered due to a file change" not in box.log()
        write_app(tmp_path, "from userpool import define_auth\nauth = define_auth(groups=['ADMINS'])\n")
        _wait_for(lambda: "Triggered due to a file change (resource.py)" in box.log())
        _wait_for(lambda: json.loads((tmp_path / "amplify_outputs.json").read_text())["auth"]["groups"] != [])
    finally:
        box.stop()


def test_init_scaffolds_a_working_app(tmp_path: Path) -> None:
    result = _run(tmp_path, "init")
    assert result.returncode == 0, result.stdout
    assert (tmp_path / "amplify" / "auth" / "resource.py").exists() and (tmp_path / "amplify" / "backend.py").exists()
    assert ".amplify/" in (tmp_path / ".gitignore").read_text()
    assert _run(tmp_path, "sandbox", "--once").returncode == 0
