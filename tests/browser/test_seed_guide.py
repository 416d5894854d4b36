"""The seed's guide, end to end in Chromium: examples/hello (Starlette and Flask) against a real sandbox.
(test_integrations.py drives the same example in all four frameworks, with groups and global sign-out;
it starts the apps with `start_app` / `stop_app` from here.)

A copy of examples/hello gets its own `userpool sandbox` (on 127.0.0.1) and the example app as its own
process (served as `localhost`, so app and pool keep separate cookie jars, as they would on two sites).
The visitor creates an account on the hosted pages, confirms it with the code from the sandbox outbox,
signs in, is greeted by email, signs out, and is signed out for good.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.sandbox import PASSWORD, Sandbox, free_port, unique_email

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello"
COMMANDS = {  # as examples/hello/README.md says to run them
    "starlette": ["-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", "{port}"],
    "fastapi": ["-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1", "--port", "{port}"],
    "flask": ["-m", "flask", "--app", "flask_app", "run", "--host", "127.0.0.1", "--port", "{port}"],
    "django": ["django_app/app.py", "runserver", "127.0.0.1:{port}", "--noreload"],
}


@dataclass
class RunningApp:
    url: str
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("hello") / "hello"
    shutil.copytree(
        EXAMPLE, target, ignore=shutil.ignore_patterns("amplify_outputs.json", ".amplify", "__pycache__", "*.log")
    )
    return target


@pytest.fixture(scope="module")
def hello_sandbox(app_dir: Path) -> Iterator[Sandbox]:
    box = Sandbox(app_dir=app_dir, port=free_port()).start()
    yield box
    box.stop()


def start_app(kind: str, app_dir: Path, secret_key: str | None = None) -> RunningApp:
    """The example app `kind` as its own process, on a free port, served as `localhost`."""
    port = free_port()
    log_path = app_dir / f"{kind}.log"
    args = [a.format(port=port) for a in COMMANDS[kind]]
    env = {**os.environ, "SECRET_KEY": secret_key or secrets.token_urlsafe(32), "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    app = RunningApp(f"http://localhost:{port}", process, log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} app exited with {process.returncode}:\n{app.log()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return app
        except httpx.HTTPError:
            time.sleep(0.05)
    stop_app(app)
    raise RuntimeError(f"{kind} app not ready after 20 s:\n{app.log()}")


def stop_app(app: RunningApp) -> None:
    if app.process.poll() is None:
        app.process.send_signal(signal.SIGINT)
        try:
            app.process.wait(10)
        except subprocess.TimeoutExpired:
            app.process.kill()
            app.process.wait()


@pytest.fixture(params=["starlette", "flask"])
def hello_app(request: pytest.FixtureRequest, hello_sandbox: Sandbox, app_dir: Path) -> Iterator[RunningApp]:
    app = start_app(request.param, app_dir)
    yield app
    stop_app(app)


def test_seed_guide(page: Page, hello_sandbox: Sandbox, hello_app: RunningApp) -> None:
    email = unique_email("seed")
    heading = page.get_by_role("heading", level=1)

    page.goto(hello_app.url)  # signed out: straight to the hosted Authenticator
    expect(heading).to_have_text("Sign In")
    assert page.url.startswith(hello_sandbox.endpoint)

    page.get_by_role("link", name="Create Account").click()
    expect(heading).to_have_text("Create Account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm Password").fill(PASSWORD)
    page.get_by_role("button", name="Create Account").click()

    expect(heading).to_have_text("We Emailed You")
    page.get_by_label("Confirmation Code").fill(hello_sandbox.last_code(email))
    page.get_by_role("button", name="Confirm", exact=True).click()

    expect(heading).to_have_text("Sign In")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(heading).to_have_text(f"Hello {email}")
    assert page.url == hello_app.url + "/"
    assert not [c for c in page.context.cookies(hello_app.url) if not c["httpOnly"]]

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(heading).to_have_text("Sign In")  # the hosted session ended too: no silent sign-in
    assert page.url.startswith(hello_sandbox.endpoint)

    page.goto(hello_app.url)
    expect(heading).to_have_text("Sign In")
    assert page.url.startswith(hello_sandbox.endpoint)
