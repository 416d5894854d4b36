"""Lockout and rate limits hold across server processes: two `userpool serve` processes on one database
(SQLite, PostgreSQL, or PostgreSQL with the counters in Redis), each request sent to the other process
than the one before, so no process can have counted on its own."""

from __future__ import annotations

import base64
import os
import signal
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
from botocore.config import Config

from tests.support.sandbox import PASSWORD, free_port, unique_email, userpool_command, write_app
from userpool.crypto.sealing import Sealer
from userpool.store import open_store

ADMIN_URL = os.environ.get("USERPOOL_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("USERPOOL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MASTER_KEY = bytes(range(1, 33))
RESOURCE = (
    "from userpool import define_auth\n\n"
    "auth = define_auth(login_with={'email': True},\n"
    "                   security={'rate_limits': {'sign_up': '4/hour', 'password_reset': '3/hour'}})\n"
)


@pytest.fixture(params=["sqlite", "postgres", "postgres+redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL or "")."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pool.db'}", ""
        return
    redis_url = ""
    if request.param == "postgres+redis":
        redis = pytest.importorskip("redis", reason="the redis package (userpool[redis]) is not installed")
        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except redis.RedisError as exc:
            pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
        redis_url = REDIS_URL
    name = f"userpool_defences_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", redis_url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Servers:
    """Two `serve` processes on one database; `next()` is a boto3 client of the other one each time."""

    def __init__(self, app: Path, database: str, redis_url: str) -> None:
        self.app, self.database = app, database
        self.env = {**os.environ, "USERPOOL_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(), "COLUMNS": "200"}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.endpoints: list[str] = []
        self.redis_url = redis_url
        self._turn = 0

    def start(self) -> None:
        for i in range(2):  # one after the other: the first deploys, the second finds the pool
            port = free_port()
            endpoint = f"http://127.0.0.1:{port}"
            args = [*userpool_command(), "serve", "--database-url", self.database, "--endpoint", endpoint]
            args += ["--port", str(port), "--dir", str(self.app)]
            if self.redis_url:
                args += ["--redis-url", self.redis_url]
            log = (self.app / f"serve{i}.log").open("w")
            self.processes.append(
                subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
            )
            self.endpoints.append(endpoint)
            self.pool_id = self._wait_ready(endpoint, self.processes[-1], i)

    def _wait_ready(self, endpoint: str, server: subprocess.Popen[bytes], i: int) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise AssertionError(f"serve exited: {(self.app / f'serve{i}.log').read_text()}")
            try:
                response = httpx.get(f"{endpoint}/health", timeout=1)
                if response.status_code == 200:
                    return str(response.json()["user_pool_id"])
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"serve not ready: {(self.app / f'serve{i}.log').read_text()}")

    def next(self) -> Any:
        endpoint = self.endpoints[self._turn % 2]
        self._turn += 1
        return boto3.client(
            "cognito-idp",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="unused",
            aws_secret_access_key="unused",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),  # no silent retry of a throttle
        )

    def stop(self) -> None:
        for server in self.processes:
            os.killpg(server.pid, signal.SIGINT)
        for server in self.processes:
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    def _store_read(self, fn: Any) -> Any:
        store = open_store(self.database, Sealer(MASTER_KEY))
        try:
            with store.begin() as tx:
                return fn(tx)
        finally:
            store.close()

    def client_id(self) -> str:
        return str(self._store_read(lambda tx: tx.list_clients(self.pool_id)[0].id))

    def code(self, email: str) -> str:
        codes = self._store_read(
            lambda tx: [m.code for m in tx.list_messages(self.pool_id) if m.to == email and m.code]
        )
        codes = [c for c in codes if c]
        assert codes, "no message with a code in the outbox"
        return str(codes[-1])


@pytest.fixture
def servers(tmp_path: Path, backend: tuple[str, str]) -> Iterator[Servers]:
    write_app(tmp_path, RESOURCE)
    s = Servers(tmp_path, *backend)
    try:
        s.start()
        yield s
    finally:
        s.stop()


def _password_auth(servers: Servers, client_id: str, email: str, password: str) -> str:
    """ "ok", or the refusal's message."""
    cognito = servers.next()
    try:
        cognito.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
        )
    except cognito.exceptions.NotAuthorizedException as refused:
        return str(refused.response["Error"]["Message"])
    return "ok"


@pytest.mark.postgres
def test_lockout_and_rate_limits_hold_across_two_processes(servers: Servers) -> None:
    client_id = servers.client_id()
    email = unique_email("locked")
    servers.next().sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    servers.next().confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=servers.code(email))

    # Five wrong passwords, alternating processes: the fifth locks the user for a second, on both.
    for _ in range(5):
        assert _password_auth(servers, client_id, email, "Wrong-Horse-7!") == "Incorrect username or password."
    assert _password_auth(servers, client_id, email, PASSWORD) == "Password attempts exceeded"
    # The same for a name nobody has (the default client hides which users exist).
    stranger = unique_email("nobody")
    answers = [_password_auth(servers, client_id, stranger, "Wrong-Horse-7!") for _ in range(6)]
    assert answers == ["Incorrect username or password."] * 5 + ["Password attempts exceeded"]
    # The lock ends by itself (1 s); poll a bounded number of times rather than time anything.
    for _ in range(50):
        outcome = _password_auth(servers, client_id, email, PASSWORD)
        if outcome == "ok":
            break
        assert outcome == "Password attempts exceeded"
        time.sleep(0.1)
    assert outcome == "ok"

    # Sign-ups and confirmations from this address: 4 an hour (two done above), then throttled.
    for i in range(2):
        servers.next().sign_up(ClientId=client_id, Username=unique_email(f"more{i}"), Password=PASSWORD)
    cognito = servers.next()
    with pytest.raises(cognito.exceptions.TooManyRequestsException):
        cognito.sign_up(ClientId=client_id, Username=unique_email("over"), Password=PASSWORD)

    # Password resets: 3 an hour, then Cognito's LimitExceededException.
    for _ in range(3):
        servers.next().forgot_password(ClientId=client_id, Username=email)
    cognito = servers.next()
    with pytest.raises(cognito.exceptions.LimitExceededException):
        cognito.forgot_password(ClientId=client_id, Username=email)
