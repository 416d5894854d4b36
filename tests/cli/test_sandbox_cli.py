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
    assert "login_with.fax: unknown option (valid options: email, phone, username)" in result.stdout
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
