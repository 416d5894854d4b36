"""The fast bulk path: confirmed users written straight into the store's tables, bypassing the API on purpose.

Creating a million users through SignUp would cost a million argon2id hashes (hours on two cores) and
measure sign-up, not the store. So rows go in directly — SQLite `executemany`, PostgreSQL `COPY` — shaped
exactly as the store writes them (`userpool.store.sql.tables`): a `users` row and its two `user_logins` rows
(`username:<sub>`, `email:<email>`), status CONFIRMED, email verified.

Every user gets one precomputed argon2id hash of the bench password (an encoded hash carries its own salt,
so it verifies for every row): any of them can sign in with a password, and GetUser works with its tokens.
SRP needs `g^x` bound to each user name, so only the first `real_srp` users get a real verifier; the rest
(filler) carry a placeholder of the same size, sealed to its row like a real one. The generator signs in
with SRP only as the real ones.
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from bench.ops import PASSWORD, Account
from userpool.core import srp
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import Sealer
from userpool.store.sql import tables

BATCH = 20_000
USER_COLUMNS = [c.name for c in tables.users.columns]
LOGIN_COLUMNS = [c.name for c in tables.user_logins.columns]


@dataclass
class Loaded:
    real: list[Account]  # real SRP verifiers: any sign-in
    sample: list[Account]  # spread over every row, filler included: password sign-in, tokens, GetUser
    users: int
    seconds: float


class BulkLoader:
    """Adds users to one pool; `add(n)` can be called again to grow the same pool (1,000 → 1,000,000)."""

    def __init__(self, database_url: str, pool_id: str, master_key: bytes) -> None:
        self.url, self.pool_id = database_url, pool_id
        self.pool_name = pool_id.split("_", 1)[1]
        self.sealer = Sealer(master_key)
        self.password_hash = Argon2Hasher().hash(PASSWORD)
        self.placeholder = format(secrets.randbits(3072) | (1 << 3071), "x")
        self.count = 0
        self.real: list[Account] = []
        self.sample: list[Account] = []

    def _rows(self, n: int, real_srp: int, sample_every: int) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        now = time.time()
        for i in range(n):
            sub = str(uuid.uuid4())
            email = f"{uuid.uuid4().hex[:16]}@bulk.example.com"
            salt = srp.canonical_salt(secrets.token_bytes(16))
            real = i < real_srp
            verifier = format(srp.make_verifier(self.pool_name, sub, PASSWORD, salt), "x") if real else self.placeholder
            user = {
                "pool_id": self.pool_id,
                "sub": sub,
                "username": sub,
                "status": "CONFIRMED",
                "attributes": json.dumps({"sub": sub, "email": email, "email_verified": "true"}, separators=(",", ":")),
                "created_at": now,
                "updated_at": now,
                "enabled": True,
                "pending_attributes": "{}",
                "password_hash": self.password_hash,
                "srp_salt": salt,
                "srp_verifier": self.sealer.seal_text(verifier, f"users.srp_verifier/{self.pool_id}/{sub}"),
                "version": 0,
                "temporary_password_expires_at": None,  # migration 0005
            }
            logins = [
                {"pool_id": self.pool_id, "login_key": f"username:{sub}", "user_sub": sub},
                {"pool_id": self.pool_id, "login_key": f"email:{email}", "user_sub": sub},
            ]
            if real:
                self.real.append(Account(email))
            elif i % sample_every == 0:
                self.sample.append(Account(email))
            yield user, logins

    def add(self, n: int, *, real_srp: int = 0, sample: int = 1000) -> Loaded:
        """Write `n` more users; the first `real_srp` of them get real SRP verifiers."""
        t0 = time.perf_counter()
        self.sample = []
        rows = self._rows(n, real_srp, max(1, n // max(sample, 1)))
        if make_url(self.url).get_backend_name() == "sqlite":
            self._sqlite(rows)
        else:
            self._postgres(rows)
        self.count += n
        random.shuffle(self.sample)
        return Loaded(list(self.real), list(self.sample), self.count, time.perf_counter() - t0)

    def _sqlite(self, rows: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
        path = make_url(self.url).database
        assert path is not None
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        users_sql = f"INSERT INTO users ({', '.join(USER_COLUMNS)}) VALUES ({', '.join('?' * len(USER_COLUMNS))})"
        logins_sql = f"INSERT INTO user_logins ({', '.join(LOGIN_COLUMNS)}) VALUES (?, ?, ?)"
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            while True:
                users, logins = _batch(rows)
                if not users:
                    break
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(users_sql, [tuple(u[c] for c in USER_COLUMNS) for u in users])
                conn.executemany(logins_sql, [tuple(lk[c] for c in LOGIN_COLUMNS) for lk in logins])
                conn.execute("COMMIT")
            conn.execute("ANALYZE")
        finally:
            conn.close()

    def _postgres(self, rows: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
        import psycopg

        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            while True:
                users, logins = _batch(rows)
                if not users:
                    break
                with conn.cursor() as cur:
                    with cur.copy(f"COPY users ({', '.join(USER_COLUMNS)}) FROM STDIN") as copy:
                        for u in users:
                            copy.write_row(tuple(u[c] for c in USER_COLUMNS))
                    with cur.copy(f"COPY user_logins ({', '.join(LOGIN_COLUMNS)}) FROM STDIN") as copy:
                        for lk in logins:
                            copy.write_row(tuple(lk[c] for c in LOGIN_COLUMNS))
                conn.commit()
            conn.autocommit = True
            conn.execute("ANALYZE users")
            conn.execute("ANALYZE user_logins")


def _batch(
    rows: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    users: list[dict[str, Any]] = []
    logins: list[dict[str, Any]] = []
    for user, keys in rows:
        users.append(user)
        logins.extend(keys)
        if len(users) >= BATCH:
            break
    return users, logins
