"""`userpool console create-admin | reset-admin | list` as an operator runs them, against a sandbox's store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyotp

from tests.support.sandbox import userpool_command, write_app


def _run(app: Path, *args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*userpool_command(), "console", *args, "--dir", str(app), "--identifier", "cli"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_create_reset_and_list_operators(tmp_path: Path) -> None:
    write_app(tmp_path)
    missing = _run(tmp_path, "list")
    assert missing.returncode == 1 and "run `userpool sandbox` first" in missing.stdout
    once = subprocess.run([*userpool_command(), "sandbox", "--once", "--dir", str(tmp_path), "--identifier", "cli"],
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert once.returncode == 0, once.stderr
    made = _run(tmp_path, "create-admin", "alice", "--password-stdin", "--json", password="long-enough-pass")
    assert made.returncode == 0, made.stdout + made.stderr
    created = json.loads(made.stdout)
    assert created["name"] == "alice" and created["otpauth_uri"].startswith("otpauth://totp/")
    assert pyotp.parse_uri(created["otpauth_uri"]).secret == created["totp_secret"]
    shown = _run(tmp_path, "create-admin", "bob", "--password-stdin", password="bobs-password-1")
    assert shown.returncode == 0 and "█" in shown.stdout and "shown once" in shown.stdout  # the QR code
    twice = _run(tmp_path, "create-admin", "alice", "--password-stdin", password="long-enough-pass")
    assert twice.returncode == 2 and "reset-admin" in twice.stdout
    short = _run(tmp_path, "create-admin", "carol", "--password-stdin", password="short")
    assert short.returncode == 2 and "at least 12 characters" in short.stdout
    reset = _run(tmp_path, "reset-admin", "alice", "--password-stdin", "--json", password="another-long-pass")
    assert reset.returncode == 0 and json.loads(reset.stdout)["totp_secret"] != created["totp_secret"]
    listed = _run(tmp_path, "list", "--json")
    assert [a["name"] for a in json.loads(listed.stdout)] == ["alice", "bob"]
