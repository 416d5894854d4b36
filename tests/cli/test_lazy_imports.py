"""What a process imports, in a fresh interpreter: every module costs start-up time and memory per process.

`userpool <command>` imports only that command's module (cli/main.py); a `serve` worker imports what serving
needs, not the command line, nor what only some pools use (cli/serve_worker.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def imported_after(statement: str, candidates: list[str]) -> list[str]:
    script = f"import json, sys; {statement}; print(json.dumps([m for m in {candidates!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout))


def test_the_command_line_imports_no_command_until_one_runs() -> None:
    heavy = ["sqlalchemy", "uvicorn", "starlette", "alembic", "cryptography", "userpool.cli.sandbox"]
    assert imported_after("import userpool.cli.main", heavy) == []


def test_a_serve_worker_imports_neither_the_command_line_nor_optional_features() -> None:
    unneeded = [
        "typer",
        "rich",
        "click",
        "watchfiles",  # uvicorn's reloader, through its supervisors
        "alembic",  # only when the database is behind head (store/sql/engine.py)
        "httpx",  # SMS webhooks and external providers
        "joserfc",  # external providers
        "segno",  # the TOTP set-up page's QR code
        "userpool.federation",
        "userpool.cli.serve",
        "userpool.cli.tls",
    ]
    assert imported_after("import userpool.cli.serve_worker", unneeded) == []


@pytest.mark.parametrize("command", ["sandbox", "serve", "users", "init"])
def test_each_command_is_found_when_asked_for(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "userpool.cli.main", command, "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage:" in done.stdout
