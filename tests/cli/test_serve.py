"""`userpool serve` on PostgreSQL with two worker processes: one pool, any process answers any step."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import psycopg
import pytest
from pycognito import Cognito

from tests.support.sandbox import PASSWORD, free_port, unique_email, userpool_command, write_app
from userpool.crypto.sealing import Sealer
from userpool.store import open_store

ADMIN_URL = os.environ.get("USERPOOL_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MASTER_KEY = bytes(range(1, 33))


@pytest.fixture
def database() -> Iterator[str]:
    name = f"userpool_serve_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: SKIPPING `userpool serve` TEST ({exc})")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_two_processes_on_postgres_serve_one_pool(tmp_path: Path, database: str) -> None:
    write_app(tmp_path)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {**os.environ, "USERPOOL_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(), "COLUMNS": "200"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [
            *userpool_command(),
            "serve",
            "--database-url",
            database,
            "--endpoint",
            endpoint,
            "--port",
            str(port),
            "--workers",
            "2",
            "--dir",
            str(tmp_path),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        pool_id = _wait_ready(endpoint, server, tmp_path)
        client_id = _client_id(database, pool_id)
        cognito: Any = boto3.client(
            "cognito-idp",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="unused",
            aws_secret_access_key="unused",
        )
        assert httpx.get(f"{endpoint}/_sandbox/messages").status_code == 404  # no outbox endpoint in production

        email = unique_email("serve")
        cognito.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
        cognito.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=_code(database, pool_id, email))
        # Many SRP sign-ins: the challenge and its answer land on either process, state lives in the database.
        for _ in range(6):
            user = Cognito(
                pool_id,
                client_id,
                username=email,
                boto3_client_kwargs={
                    "endpoint_url": endpoint,
                    "aws_access_key_id": "unused",
                    "aws_secret_access_key": "unused",
                },
            )
            user.authenticate(password=PASSWORD)
            user.verify_tokens()
        cognito.global_sign_out(AccessToken=user.access_token)
        with pytest.raises(cognito.exceptions.NotAuthorizedException):
            cognito.get_user(AccessToken=user.access_token)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_ready(endpoint: str, server: subprocess.Popen[bytes], app: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve exited: {(app / 'serve.log').read_text()}")
        try:
            response = httpx.get(f"{endpoint}/health", timeout=1)
            if response.status_code == 200:
                return str(response.json()["user_pool_id"])
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"serve not ready: {(app / 'serve.log').read_text()}")


def _client_id(database: str, pool_id: str) -> str:
    store = open_store(database, Sealer(MASTER_KEY))
    try:
        with store.begin() as tx:
            return tx.list_clients(pool_id)[0].id
    finally:
        store.close()


def _code(database: str, pool_id: str, email: str) -> str:
    store = open_store(database, Sealer(MASTER_KEY))
    try:
        with store.begin() as tx:
            codes = [m.code for m in tx.list_messages(pool_id) if m.to == email and m.code]
    finally:
        store.close()
    assert codes, "no message with a code in the outbox"
    return str(codes[-1])


def test_serve_refuses_an_irreversible_change_at_start_up(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'pool.db'}"
    env = {**os.environ, "USERPOOL_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(), "COLUMNS": "200"}
    write_app(tmp_path)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy_port = str(taken.getsockname()[1])
    with taken:
        first = subprocess.run(
            [*userpool_command(), "serve", "--database-url", database, "--port", busy_port, "--dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert (
        f"Cannot listen on 127.0.0.1:{busy_port}" in first.stdout
    )  # deployed, then could not bind: fine for this test
    write_app(tmp_path, "from userpool import define_auth\nauth = define_auth(login_with={'phone': True})\n")
    second = subprocess.run(
        [*userpool_command(), "serve", "--database-url", database, "--port", str(free_port()), "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert second.returncode == 1
    assert "login_with (username_attributes): email → phone_number" in second.stdout
    assert "deploy it as a new user pool" in second.stdout
