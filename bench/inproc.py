"""The server's own Python cost per operation, without HTTP: the JSON API's handlers called in this process.

    .venv/bin/python -m bench.inproc [get_user refresh srp_sign_in password_sign_in] [--backend postgres]
                                     [--n 500] [--profile OPERATION]

One thread, one pool on a new SQLite file (or a new PostgreSQL schema), one user: each operation is the
action's handler (`api/cognito/actions.py`, what `endpoint.handle` runs on its worker thread) called `--n`
times; the figure is this thread's CPU time per call (`time.thread_time`), so the load generator's and the
client's SRP maths are not in it. It isolates the store, the core and the service from uvicorn and the
thread hand-off; `python -m bench.cpu` measures the whole server. `--profile` prints cProfile's top entries.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import srp_client
from bench.servers import MASTER_KEY
from userpool.api.cognito.actions import ACTIONS
from userpool.bootstrap import open_pool
from userpool.core.model import Message
from userpool.courier import SandboxCourier
from userpool.crypto.sealing import Sealer
from userpool.definition import define_auth
from userpool.service import UserPool
from userpool.store import open_store

PASSWORD = "Bench-passw0rd!"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
OPERATIONS = ("get_user", "refresh", "srp_sign_in", "password_sign_in")


def _call(pool: UserPool, action: str, body: dict[str, Any]) -> dict[str, Any]:
    return ACTIONS[action](pool, body)


def _setup(pool: UserPool, sent: list[Message]) -> tuple[str, dict[str, str]]:
    client = pool.default_client_id
    email = "bench@example.com"
    _call(pool, "SignUp", {"ClientId": client, "Username": email, "Password": PASSWORD,
                           "UserAttributes": [{"Name": "email", "Value": email}]})  # fmt: skip
    code = next(m.code for m in reversed(sent) if m.code)
    _call(pool, "ConfirmSignUp", {"ClientId": client, "Username": email, "ConfirmationCode": code})
    out = _call(pool, "InitiateAuth", _password_body(client, email))
    return email, out["AuthenticationResult"]


def _password_body(client: str, email: str) -> dict[str, Any]:
    params = {"USERNAME": email, "PASSWORD": PASSWORD}
    return {"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": params}


def operations(pool: UserPool, email: str, tokens: dict[str, str]) -> dict[str, Callable[[], float]]:
    """Each returns the CPU seconds of the server's part of one operation."""
    client = pool.default_client_id
    pool_name = pool.config.pool_id.split("_", 1)[1]
    gx: dict[tuple[str, str], tuple[int, int]] = {}

    def timed(action: str, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        t0 = time.thread_time()
        out = _call(pool, action, body)
        return time.thread_time() - t0, out

    def get_user() -> float:
        return timed("GetUser", {"AccessToken": tokens["AccessToken"]})[0]

    def refresh() -> float:
        return timed("GetTokensFromRefreshToken", {"ClientId": client, "RefreshToken": tokens["RefreshToken"]})[0]

    def password_sign_in() -> float:
        return timed("InitiateAuth", _password_body(client, email))[0]

    def srp_sign_in() -> float:
        eph = srp_client.ephemeral()
        params = {"USERNAME": email, "SRP_A": eph.srp_a}
        body = {"ClientId": client, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": params}
        first, challenge = timed("InitiateAuth", body)
        params = challenge["ChallengeParameters"]
        user_id = params["USER_ID_FOR_SRP"]
        key = (user_id, params["SALT"])
        if key not in gx:
            x = srp_client.password_x(pool_name, user_id, PASSWORD, params["SALT"])
            gx[key] = (x, srp_client.gx(x))
        stamp = time.strftime("%a %b %-d %H:%M:%S UTC %Y", time.gmtime())
        signature = srp_client.answer(
            eph, pool_name=pool_name, user_id=user_id, x=gx[key][0], gx=gx[key][1], srp_b=params["SRP_B"],
            secret_block=params["SECRET_BLOCK"], timestamp=stamp,
        )  # fmt: skip
        responses = {"USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
                     "PASSWORD_CLAIM_SIGNATURE": signature, "TIMESTAMP": stamp}  # fmt: skip
        body = {"ClientId": client, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": responses}
        if challenge.get("Session"):
            body["Session"] = challenge["Session"]
        second, out = timed("RespondToAuthChallenge", body)
        assert "AuthenticationResult" in out, out
        return first + second

    return {
        "get_user": get_user,
        "refresh": refresh,
        "srp_sign_in": srp_sign_in,
        "password_sign_in": password_sign_in,
    }


def calibration() -> float:
    """CPU ms of one RSA-2048 signature now: on a shared machine every CPU figure inflates with it
    (0.36 ms on this machine when idle), so compare runs by their ratio to it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    t0 = time.thread_time()
    for _ in range(200):
        key.sign(b"calibration" * 30, padding.PKCS1v15(), hashes.SHA256())
    return (time.thread_time() - t0) / 200 * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc", description=__doc__)
    parser.add_argument("operations", nargs="*", help=f"some of {OPERATIONS} (default: all)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--profile", choices=OPERATIONS)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="userpool-inproc-") as tmp:
        schema = None
        if args.backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'pool.db'}"
        else:
            url, schema = POSTGRES, f"bench_{uuid.uuid4().hex[:12]}"
        store = open_store(url, Sealer(MASTER_KEY), schema=schema)
        try:
            sent: list[Message] = []
            pool, _ = open_pool(
                store, define_auth(login_with={"email": True}), endpoint="http://127.0.0.1:1", master_key=MASTER_KEY,
                courier=SandboxCourier(sent.append),
            )  # fmt: skip
            email, tokens = _setup(pool, sent)
            rsa_ms = calibration()
            print(f"calibration: one RSA-2048 signature {rsa_ms:.3f} ms CPU", flush=True)
            ops = operations(pool, email, tokens)
            for name in args.operations or OPERATIONS:
                n = args.n if "sign_in" not in name else max(20, args.n // 10)
                for _ in range(min(20, n)):
                    ops[name]()
                if args.profile == name:
                    prof = cProfile.Profile()
                    prof.enable()
                total = sum(ops[name]() for _ in range(n))
                if args.profile == name:
                    prof.disable()
                    pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)
                    pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)
                ms = total / n * 1000
                print(f"{name:18} {ms:7.3f} ms CPU per op = {ms / rsa_ms:5.2f} RSA signatures (n={n}, {args.backend})")
        finally:
            store.close()
            if schema is not None:
                engine = sa.create_engine(POSTGRES)
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
