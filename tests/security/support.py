"""What the attack suites share: quick or deep runs, the figures they publish, snapshots of the database,
orphan checks, and `userpool serve` processes the suites may SIGKILL.

Quick is the default (CI). `pytest --deep` or USERPOOL_SECURITY_DEEP=1 runs the long versions. Every suite
records its figures (requests tried, faults injected, data lost...) as JSON under build/security/ (or
USERPOOL_SECURITY_FIGURES), which `python -m tests.security.report` prints and SECURITY.md quotes.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support.sandbox import free_port, userpool_command, write_app
from userpool.crypto.sealing import Sealer
from userpool.store import SqlStore, open_store

ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = bytes(range(7, 39))
POSTGRES_ADMIN = os.environ.get("USERPOOL_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def deep() -> bool:
    return os.environ.get("USERPOOL_SECURITY_DEEP", "") not in ("", "0")


def scale(quick: int, long: int) -> int:
    """How many of something a suite does: `quick` in CI, `long` with --deep."""
    return long if deep() else quick


# -- figures ------------------------------------------------------------------------------------------

_figures_lock = threading.Lock()


def figures_dir() -> Path:
    return Path(os.environ.get("USERPOOL_SECURITY_FIGURES", ROOT / "build" / "security"))


def record(suite: str, case: str, **figures: Any) -> None:
    """Merge one case's figures into build/security/<suite>.json (the report reads them back)."""
    with _figures_lock:
        folder = figures_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{suite}.json"
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        data[case] = {**figures, "mode": "deep" if deep() else "quick", "at": time.strftime("%Y-%m-%d %H:%M:%S")}
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


# -- the database, seen from outside ------------------------------------------------------------------

Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def snapshot(engine: sa.Engine) -> Snapshot:
    """Every row of every table, keyed by primary key (the `messages` outbox by id). Read with the driver's
    own cursor: the fuzzers take one after every request."""
    out: Snapshot = {}
    tables = _tables(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table in tables:
            names = [c.name for c in table.columns]
            key_at = [names.index(c.name) for c in table.primary_key.columns] or list(range(len(names)))
            cursor.execute(f"SELECT {', '.join(names)} FROM {table.name}")  # names from the schema itself
            out[table.name] = {
                tuple(row[i] for i in key_at): dict(zip(names, row, strict=True)) for row in cursor.fetchall()
            }
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    return out


_reflected: dict[str, list[sa.Table]] = {}


def _tables(engine: sa.Engine) -> list[sa.Table]:
    """The database's own tables (reflected once per database: a test may add tables the code lacks)."""
    key = engine.url.render_as_string()
    if key not in _reflected:
        meta = sa.MetaData()
        meta.reflect(engine)
        _reflected[key] = [t for t in meta.sorted_tables if t.name != "alembic_version"]
    return _reflected[key]


@dataclass(frozen=True)
class Change:
    table: str
    kind: str  # "added", "removed", "changed"
    key: tuple[Any, ...]
    columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        cols = f" {list(self.columns)}" if self.columns else ""
        return f"{self.table} {self.kind} {self.key}{cols}"


# Tables of counters that every attempt is meant to move, accepted or refused: the lockout's failure counts
# and the per-address rate-limit buckets (`throttles`, from the defences of issue 9). Left out of `diff`.
COUNTER_TABLES = frozenset({"throttles"})


def diff(before: Snapshot, after: Snapshot) -> list[Change]:
    """What changed between two snapshots, row by row and column by column (counter tables left out)."""
    changes: list[Change] = []
    for table in sorted((set(before) | set(after)) - COUNTER_TABLES):
        old, new = before.get(table, {}), after.get(table, {})
        changes += [Change(table, "added", k) for k in new.keys() - old.keys()]
        changes += [Change(table, "removed", k) for k in old.keys() - new.keys()]
        for k in old.keys() & new.keys():
            cols = tuple(sorted(c for c in old[k] if old[k][c] != new[k].get(c)))
            if cols:
                changes.append(Change(table, "changed", k, cols))
    return changes


# Rows that must not exist: each names what it would mean. Plain SQL, the same on SQLite and PostgreSQL.
ORPHAN_QUERIES = {
    "users without a password hash or SRP verifier": (
        "SELECT count(*) FROM users WHERE password_hash IS NULL OR srp_verifier IS NULL OR srp_salt IS NULL"
    ),
    "users without a login key": (
        "SELECT count(*) FROM users u WHERE NOT EXISTS "
        "(SELECT 1 FROM user_logins l WHERE l.pool_id = u.pool_id AND l.user_sub = u.sub)"
    ),
    "login keys of missing users": (
        "SELECT count(*) FROM user_logins l WHERE NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.pool_id = l.pool_id AND u.sub = l.user_sub)"
    ),
    "codes of missing users": (
        "SELECT count(*) FROM codes c WHERE c.user_sub NOT LIKE 'unknown:%' AND NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.pool_id = c.pool_id AND u.sub = c.user_sub)"
    ),
    "sign-ins in progress of missing users": (
        "SELECT count(*) FROM auth_sessions s WHERE s.user_sub IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.pool_id = s.pool_id AND u.sub = s.user_sub)"
    ),
    "token families of missing users": (
        "SELECT count(*) FROM token_sessions t WHERE NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.pool_id = t.pool_id AND u.sub = t.user_sub)"
    ),
    "refresh tokens without their family": (
        "SELECT count(*) FROM refresh_tokens r WHERE NOT EXISTS "
        "(SELECT 1 FROM token_sessions t WHERE t.origin_jti = r.origin_jti)"
    ),
    "token families without their refresh token": (
        "SELECT count(*) FROM token_sessions t WHERE NOT EXISTS "
        "(SELECT 1 FROM refresh_tokens r WHERE r.origin_jti = t.origin_jti)"
    ),
    "authorization codes of missing users": (
        "SELECT count(*) FROM authorization_codes a WHERE NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.pool_id = a.pool_id AND u.sub = a.user_sub)"
    ),
    "web sessions of missing users": (
        "SELECT count(*) FROM web_sessions w WHERE NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.pool_id = w.pool_id AND u.sub = w.user_sub)"
    ),
    "devices of missing users": (
        "SELECT count(*) FROM devices d WHERE NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.pool_id = d.pool_id AND u.sub = d.user_sub)"
    ),
    "second factors of missing users": (
        "SELECT count(*) FROM user_mfa m WHERE NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.pool_id = m.pool_id AND u.sub = m.user_sub)"
    ),
    "confirmed users still holding a live sign-up code": (
        "SELECT count(*) FROM codes c JOIN users u ON u.pool_id = c.pool_id AND u.sub = c.user_sub "
        "WHERE c.purpose = 'sign_up' AND c.code_hash <> '' AND u.status = 'CONFIRMED'"
    ),
}


def orphans(engine: sa.Engine) -> dict[str, int]:
    """Half-written data, by kind; empty when the database is whole."""
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for what, query in ORPHAN_QUERIES.items():
            count = int(conn.execute(sa.text(query)).scalar_one())
            if count:
                found[what] = count
        if conn.dialect.name == "sqlite":
            (check,) = conn.exec_driver_sql("PRAGMA integrity_check").one()
            if check != "ok":
                found[f"integrity_check: {check}"] = 1
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if fk:
                found["foreign_key_check"] = len(fk)
    return found


# -- databases ----------------------------------------------------------------------------------------


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped after; skips when PostgreSQL is not running."""
    psycopg = pytest.importorskip("psycopg")
    name = f"userpool_sec_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'pool.db'}"
    else:
        with postgres_database() as url:
            yield url


# -- `userpool serve`, killable -----------------------------------------------------------------------


def limits_off() -> str:
    """The definition option that turns per-address rate limits off, where the pool has them: every test
    request comes from 127.0.0.1, and these suites race and crash, they do not measure limits."""
    from userpool.definition.models import AuthDefinition

    return '    security={"rate_limits": None},\n' if "security" in AuthDefinition.model_fields else ""


RESOURCE_WITH_ROTATION = (
    """from userpool import define_auth

auth = define_auth(
"""
    + limits_off()
    + """    login_with={"email": True},
    multifactor={"mode": "OPTIONAL", "totp": True},
    clients=[
        {"name": "rotating", "refresh_token_rotation": {"enabled": True, "retry_grace_period_seconds": 0},
         "auth_flows": ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"],
         "callback_urls": ["http://localhost:3000/callback"], "logout_urls": ["http://localhost:3000/"]},
    ],
)
"""
)


@dataclass
class Server:
    """`userpool serve --workers N` on a database; started in its own process group so a SIGKILL takes
    the supervisor and every worker at once, as a machine's crash would."""

    app_dir: Path
    database_url: str
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        env = {**os.environ, "USERPOOL_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(), "COLUMNS": "200"}
        log = (self.app_dir / "serve.log").open("a")
        self.process = subprocess.Popen(
            [
                *userpool_command(),
                "serve",
                "--database-url",
                self.database_url,
                "--endpoint",
                self.endpoint,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--dir",
                str(self.app_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.log()[-3000:]}")
            try:
                if httpx.get(f"{self.endpoint}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"serve not ready: {self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, no flush, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log(self) -> str:
        path = self.app_dir / "serve.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def served(
    app_dir: Path, database_url: str, *, workers: int = 2, resource: str = RESOURCE_WITH_ROTATION
) -> Iterator[tuple[Server, SqlStore]]:
    """A running `serve` and the test's own handle on its store (to read codes and check the data)."""
    write_app(app_dir, resource)
    server = Server(app_dir, database_url, workers=workers).start()
    store = open_store(database_url, Sealer(MASTER_KEY))
    try:
        yield server, store
    finally:
        server.stop()
        store.close()


def pool_and_clients(store: SqlStore) -> tuple[str, dict[str, str]]:
    """The pool's id and its app clients' ids by name."""
    with store.begin() as tx:
        (pool,) = tx.list_pools()
        return pool.id, {c.name: c.id for c in tx.list_clients(pool.id)}


def last_code(store: SqlStore, pool_id: str, to: str) -> str:
    """The code in the newest message to `to` in the store's outbox (serve keeps messages there)."""
    with store.begin() as tx:
        codes = [m.code for m in tx.list_messages(pool_id) if m.to.lower() == to.lower() and m.code]
    assert codes, f"no message with a code to {to}"
    return str(codes[-1])


def cognito(endpoint: str, action: str, body: dict[str, Any], *, timeout: float = 30) -> httpx.Response:
    """One Cognito JSON request, as the SDKs send it."""
    return httpx.post(
        endpoint + "/",
        content=json.dumps(body),
        headers={
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": f"AWSCognitoIdentityProviderService.{action}",
        },
        timeout=timeout,
    )
