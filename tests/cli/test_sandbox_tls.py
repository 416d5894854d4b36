"""`userpool sandbox --tls`: https with a locally made certificate authority, so Amplify's signInWithRedirect
(which always calls https://<domain>/oauth2/...) works against the sandbox."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from tests.support.sandbox import free_port, userpool_command, write_app

RESOURCE = """from userpool import define_auth

auth = define_auth(login_with={"email": True, "external_providers": {
    "callback_urls": ["http://localhost:5173/"], "logout_urls": ["http://localhost:5173/"]}})
"""


def _wait(url: str, context: ssl.SSLContext, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sandbox exited:\n{log.read_text()}")
        try:
            if httpx.get(url, verify=context, timeout=1).status_code == 200:
                return
        except (httpx.HTTPError, ssl.SSLError, FileNotFoundError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"sandbox not ready:\n{log.read_text()}")


def test_the_sandbox_serves_https_trusted_through_its_own_ca(tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "app", RESOURCE)
    port = free_port()
    log = tmp_path / "sandbox.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *userpool_command(),
                "sandbox",
                "--tls",
                "--port",
                str(port),
                "--dir",
                str(app_dir),
                "--identifier",
                "tls",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
        )
    try:
        ca = app_dir / ".amplify" / "userpool" / "tls" / "tls" / "ca.pem"
        deadline = time.monotonic() + 30
        while not ca.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert ca.exists(), log.read_text()
        context = ssl.create_default_context(cafile=str(ca))
        _wait(f"https://127.0.0.1:{port}/health", context, process, log)
        outputs = json.loads((app_dir / "amplify_outputs.json").read_text())
        assert outputs["auth"]["oauth"]["domain"] == f"127.0.0.1:{port}"  # Amplify prefixes https://
        pool_id = outputs["auth"]["user_pool_id"]
        doc = httpx.get(f"https://localhost:{port}/{pool_id}/.well-known/openid-configuration", verify=context).json()
        assert doc["authorization_endpoint"] == f"https://127.0.0.1:{port}/oauth2/authorize"
        assert "TLS certificate authority to trust" in log.read_text()
        with pytest.raises(httpx.HTTPError):  # an untrusted client refuses it: it is our CA, not a public one
            httpx.get(f"https://127.0.0.1:{port}/health")
        certificate = x509.load_pem_x509_certificate((ca.parent / "server.pem").read_bytes())
        assert (ca.parent / "server-key.pem").stat().st_mode & 0o077 == 0
        assert certificate.issuer == x509.load_pem_x509_certificate(ca.read_bytes()).subject
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
