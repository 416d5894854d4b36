"""Starting and stopping the servers under test, each a separate process tree on a free loopback port.

userpool runs as `userpool serve` (SQLite file or a fresh PostgreSQL database, 1 or 2 processes) and as
`userpool sandbox` (the developer loop). The peers run from bench/.peers/ (`bench.peers` installs them):
moto's server mode and cognito-local. Every start has a deadline; `stop()` ends the whole process group.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import procs

HOST = "127.0.0.1"
MASTER_KEY = bytes(range(7, 39))  # the bench's own pools only; never a real deployment's key
ADMIN_DSN = os.environ.get("USERPOOL_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
# Per-address rate limits off: every request of the load generator comes from 127.0.0.1, where a real
# deployment sees many addresses; the limits would measure themselves (TooManyRequestsException), not the
# server. Lockout stays on (the bench never sends a wrong password), and its counters are still read.
RESOURCE = (
    "from userpool import define_auth\n\n"
    'auth = define_auth(login_with={"email": True}, security={"rate_limits": None})\n'
)
PEERS = Path(__file__).parent / ".peers"


class ServerError(RuntimeError):
    """A server did not start (the message carries the end of its log)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def userpool_command() -> list[str]:
    script = Path(sys.executable).parent / "userpool"
    return [str(script)] if script.exists() else [sys.executable, "-m", "userpool.cli.main"]


def write_app(app_dir: Path, resource: str = RESOURCE) -> Path:
    (app_dir / "amplify" / "auth").mkdir(parents=True, exist_ok=True)
    (app_dir / "amplify" / "auth" / "resource.py").write_text(resource)
    return app_dir


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    database_url: str | None = None
    database_name: str | None = None  # PostgreSQL: whose backends count as the database's CPU
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def pids(self) -> list[int]:
        return procs.tree(self.process.pid) if self.process.poll() is None else []

    def worker_pids(self) -> list[int]:
        """The processes that answer requests: the children of a supervisor, else the process itself."""
        kids = procs.children(self.process.pid)
        # uvicorn's workers are spawned children ("… spawn_main …"); its resource tracker is not one.
        serving = [p for p in kids if "resource_tracker" not in procs.command_line(p)]
        return serving or [self.process.pid]

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def wait_ready(self, path: str, timeout: float, ok: tuple[int, ...] = (200,)) -> float:
        """Poll `path` until it answers; returns seconds since the process was started."""
        started: float = self.meta["started"]
        deadline = started + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.perf_counter() < deadline:
                if self.process.poll() is not None:
                    raise ServerError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
                try:
                    if client.get(self.endpoint + path).status_code in ok:
                        return time.perf_counter() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.005)
        self.stop()
        raise ServerError(f"{self.name} not ready after {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGINT)
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass


def _spawn(name: str, argv: list[str], log_path: Path, *, cwd: Path, env: dict[str, str], port: int) -> Server:
    log = log_path.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env, start_new_session=True)
    log.close()
    return Server(name, process, port, log_path, meta={"started": started})


def userpool_env() -> dict[str, str]:
    return {
        **os.environ,
        "USERPOOL_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(),
        "COLUMNS": "200",
        "PYTHONUNBUFFERED": "1",
    }


def start_serve(
    workdir: Path, database_url: str, workers: int, *, database_name: str | None = None, resource: str = RESOURCE
) -> Server:
    app = write_app(workdir / "app", resource)
    port = free_port()
    argv = [
        *userpool_command(),
        "serve",
        "--database-url",
        database_url,
        "--endpoint",
        f"http://{HOST}:{port}",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--dir",
        str(app),
    ]
    server = _spawn(f"userpool serve ×{workers}", argv, workdir / "serve.log", cwd=app, env=userpool_env(), port=port)
    server.database_url, server.database_name = database_url, database_name
    server.wait_ready("/health", 90)
    if workers > 1:
        _wait_workers(server, workers)
    return server


def _wait_workers(server: Server, workers: int) -> None:
    """Every worker answering: the supervisor starts them one by one, and /health answers from the first."""
    deadline = time.perf_counter() + 60
    while len(server.worker_pids()) < workers and time.perf_counter() < deadline:
        time.sleep(0.05)
    with httpx.Client(timeout=2.0) as client:
        for _ in range(workers * 20):
            client.get(server.endpoint + "/health")
    time.sleep(0.5)


@contextmanager
def postgres_database() -> Iterator[tuple[str, str]]:
    """A fresh database for one run, dropped after (with its connections)."""
    import psycopg

    name = f"userpool_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=3)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


class PgBackends:
    """The pids of PostgreSQL's backends serving one database (their CPU is the database's share)."""

    def __init__(self, database: str) -> None:
        import psycopg

        self.database = database
        self._conn = psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=3)

    def __call__(self) -> list[int]:
        rows = self._conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,))
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        self._conn.close()


def userpool_ids(database_url: str, endpoint: str, client: str | None = None) -> tuple[str, str]:
    """(pool id, app client id) of the pool `serve` deployed: the default client, or the one named `client`."""
    from userpool.crypto.sealing import Sealer
    from userpool.store import open_store

    pool_id = str(httpx.get(endpoint + "/health", timeout=5).json()["user_pool_id"])
    store = open_store(database_url, Sealer(MASTER_KEY), pool_size=1)
    try:
        with store.begin() as tx:
            clients = tx.list_clients(pool_id)
            return pool_id, next(c.id for c in clients if c.name == client) if client else clients[0].id
    finally:
        store.close()


def userpool_codes(database_url: str, pool_id: str) -> dict[str, str]:
    """recipient → newest code, from the store's outbox (`serve` keeps every message there, sealed)."""
    from userpool.crypto.sealing import Sealer
    from userpool.store import open_store

    store = open_store(database_url, Sealer(MASTER_KEY), pool_size=1)
    try:
        with store.begin() as tx:
            return {m.to.lower(): m.code for m in tx.list_messages(pool_id) if m.code}
    finally:
        store.close()


def start_sandbox(app_dir: Path, port: int | None = None) -> Server:
    """`userpool sandbox` as a developer starts it; ready when /health answers (not when it prints so)."""
    port = port or free_port()
    argv = [*userpool_command(), "sandbox", "--port", str(port), "--dir", str(app_dir), "--identifier", "bench"]
    env = {**userpool_env(), "USERPOOL_CONFIG_DIR": str(app_dir / ".config")}
    env.pop("USERPOOL_MASTER_KEY")
    server = _spawn("userpool sandbox", argv, app_dir / "sandbox.log", cwd=app_dir, env=env, port=port)
    server.meta["ready_s"] = server.wait_ready("/health", 60)
    return server


# -- peers -------------------------------------------------------------------------------------------------


def moto_command() -> list[str] | None:
    script = PEERS / "moto-venv" / "bin" / "moto_server"
    return [str(script)] if script.exists() else None


def cognito_local_script() -> Path | None:
    script = PEERS / "cognito-local" / "node_modules" / "cognito-local" / "lib" / "bin" / "start.js"
    return script if script.exists() and shutil.which("node") else None


def start_moto(workdir: Path) -> Server:
    command = moto_command()
    if command is None:
        raise ServerError("moto is not installed under bench/.peers (python -m bench.peers installs it)")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    server = _spawn("moto_server", [*command, "-H", HOST, "-p", str(port)], workdir / "moto.log", cwd=workdir,
                    env=env, port=port)  # fmt: skip
    server.wait_ready("/moto-api/", 60)
    return server


CODE = "123456"  # cognito-local sends this code when CODE is set (its otp.ts); moto does not check codes


def start_cognito_local(workdir: Path) -> Server:
    script = cognito_local_script()
    if script is None:
        raise ServerError("cognito-local is not installed under bench/.peers (python -m bench.peers installs it)")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PORT": str(port), "HOST": HOST, "CODE": CODE}
    server = _spawn("cognito-local", ["node", str(script)], workdir / "cognito-local.log", cwd=workdir, env=env,
                    port=port)  # fmt: skip
    server.wait_ready("/health", 60, ok=(200, 400, 404, 500))
    return server


def create_peer_pool(endpoint: str) -> tuple[str, str]:
    """CreateUserPool + CreateUserPoolClient on a peer: email as the user name, password flows allowed."""

    def call(action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            endpoint + "/",
            content=json.dumps(body),
            headers={
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": f"AWSCognitoIdentityProviderService.{action}",
            },
            timeout=30,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    pool = call(
        "CreateUserPool",
        {"PoolName": "bench", "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"]},
    )["UserPool"]
    client = call(
        "CreateUserPoolClient",
        {
            "UserPoolId": pool["Id"],
            "ClientName": "bench",
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        },
    )["UserPoolClient"]
    return str(pool["Id"]), str(client["ClientId"])
