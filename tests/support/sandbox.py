"""A real `userpool sandbox` process on a free port, in its own app folder, as a user would run it."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DEFAULT_RESOURCE = 'from userpool import define_auth\n\nauth = define_auth(login_with={"email": True})\n'
PASSWORD = "Corr3ct-Horse!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def userpool_command() -> list[str]:
    script = Path(sys.executable).parent / "userpool"
    return [str(script)] if script.exists() else [sys.executable, "-m", "userpool.cli.main"]


def write_app(app_dir: Path, resource: str = DEFAULT_RESOURCE) -> Path:
    (app_dir / "amplify" / "auth").mkdir(parents=True, exist_ok=True)
    (app_dir / "amplify" / "auth" / "resource.py").write_text(resource)
    return app_dir


@dataclass
class Sandbox:
    app_dir: Path
    port: int
    process: subprocess.Popen[str] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def tls(self) -> bool:
        return "--tls" in self.extra_args

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def ca_file(self) -> Path:
        """`--tls`: the sandbox's certificate authority (its identifier is the last `--identifier`, else the
        app folder's name, as `userpool sandbox` picks it)."""
        args = self.extra_args
        identifier = args[args.index("--identifier") + 1] if "--identifier" in args else None
        assert identifier is not None, "a --tls sandbox in the tests names its --identifier"
        return self.app_dir / ".amplify" / "userpool" / identifier / "tls" / "ca.pem"

    @property
    def pool_id(self) -> str:
        return str(self.outputs["auth"]["user_pool_id"])

    @property
    def client_id(self) -> str:
        return str(self.outputs["auth"]["user_pool_client_id"])

    @property
    def region(self) -> str:
        return str(self.outputs["auth"]["aws_region"])

    def start(self, timeout: float = 90.0) -> Sandbox:  # generous: a loaded 2-core CI machine is slow to start Python
        self.log_path = self.app_dir / "sandbox.log"
        log = self.log_path.open("w")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        self.process = subprocess.Popen(
            [*userpool_command(), "sandbox", "--port", str(self.port), "--dir", str(self.app_dir), *self.extra_args],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=self.app_dir,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.process.returncode}:\n{self.log()}")
            if self.tls and not self.ca_file().exists():  # made at start-up, before the server listens
                time.sleep(0.05)
                continue
            try:
                verify = ssl.create_default_context(cafile=str(self.ca_file())) if self.tls else True
                if httpx.get(f"{self.endpoint}/health", timeout=0.5, verify=verify).status_code == 200:
                    self.outputs = json.loads((self.app_dir / "amplify_outputs.json").read_text())
                    return self
            except (httpx.HTTPError, ssl.SSLError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sandbox not ready after {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def messages(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.endpoint}/_sandbox/messages", timeout=5)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def last_code(self, to: str) -> str:
        """The code in the newest message to `to` (waiting briefly: delivery follows the commit)."""
        deadline = time.monotonic() + 5
        while True:
            found = [m for m in self.messages() if m["to"].lower() == to.lower() and m.get("code")]
            if found:
                return str(found[-1]["code"])
            if time.monotonic() > deadline:
                raise AssertionError(f"no message with a code to {to}")
            time.sleep(0.05)

    def call(self, action: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            self.endpoint + "/",
            content=json.dumps(body),
            headers={
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": f"AWSCognitoIdentityProviderService.{action}",
            },
            timeout=30,
        )


def start_sandbox(app_dir: Path, resource: str = DEFAULT_RESOURCE) -> Sandbox:
    write_app(app_dir, resource)
    return Sandbox(app_dir=app_dir, port=free_port()).start()


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
