"""The server's Python cost per request through the ASGI app, without sockets: the HTTP layer's A/B.

    .venv/bin/python -m bench.asgi [get_user refresh] [--n 3000] [--concurrency 8] [--origin] [--profile]

The app `userpool serve` runs (`server.build_app`: middleware, routing, the JSON endpoint, the hand-off to
the flow threads) on uvloop in this process, called with ASGI messages as uvicorn would hand them over, on a
new SQLite pool with one user. The figure is this process's CPU time per request (every thread: the event
loop's and the flow threads'), so against `python -m bench.inproc` (the handler alone) it shows what the
HTTP layer above the handler costs; uvicorn's parsing and the socket writes are not in it (`bench.cpu` has
them). `--origin` sends an `Origin` header, as a browser does (the full middleware stack).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

from bench.inproc import _setup, calibration
from bench.servers import MASTER_KEY
from userpool.bootstrap import open_pool
from userpool.core.model import Message
from userpool.courier import SandboxCourier
from userpool.crypto.sealing import Sealer
from userpool.definition import define_auth
from userpool.server import build_app
from userpool.service import UserPool
from userpool.store import open_store

OPERATIONS = ("get_user", "refresh")


def _bodies(pool: UserPool, tokens: dict[str, str]) -> dict[str, tuple[str, bytes]]:
    client = pool.default_client_id
    return {
        "get_user": ("GetUser", json.dumps({"AccessToken": tokens["AccessToken"]}).encode()),
        "refresh": (
            "GetTokensFromRefreshToken",
            json.dumps({"ClientId": client, "RefreshToken": tokens["RefreshToken"]}).encode(),
        ),
    }


async def _drive(app: Any, action: str, body: bytes, n: int, concurrency: int, origin: bool) -> float:
    headers = [
        (b"host", b"127.0.0.1:9"),
        (b"content-type", b"application/x-amz-json-1.1"),
        (b"x-amz-target", f"AWSCognitoIdentityProviderService.{action}".encode()),
        (b"user-agent", b"bench.asgi"),
        (b"content-length", str(len(body)).encode()),
    ]
    if origin:
        headers.append((b"origin", b"http://localhost:3000"))
    scope_base = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/", "raw_path": b"/", "root_path": "", "query_string": b"", "headers": headers,
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 9),
    }  # fmt: skip
    left = [n]

    async def user() -> None:
        while left[0] > 0:
            left[0] -= 1
            sent: list[dict[str, Any]] = []

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict[str, Any], sent: list[dict[str, Any]] = sent) -> None:
                sent.append(message)

            await app(dict(scope_base), receive, send)
            if sent[0]["status"] != 200:
                raise SystemExit(f"{action}: {sent[0]['status']} {sent[1].get('body', b'')[:300]!r}")

    t0 = time.process_time()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    return (time.process_time() - t0) / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.asgi", description=__doc__)
    parser.add_argument("operations", nargs="*", help=f"some of {OPERATIONS} (default: all)")
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--origin", action="store_true", help="send an Origin header (a browser's call)")
    parser.add_argument("--profile", action="store_true", help="cProfile of the event loop's thread")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="userpool-asgi-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'pool.db'}", Sealer(MASTER_KEY))
        try:
            sent: list[Message] = []
            pool, _ = open_pool(
                store, define_auth(login_with={"email": True}), endpoint="http://127.0.0.1:1", master_key=MASTER_KEY,
                courier=SandboxCourier(sent.append),
            )  # fmt: skip
            _, tokens = _setup(pool, sent)
            app = build_app(pool, sandbox_mode=False)
            rsa_ms = calibration()
            print(f"calibration: one RSA-2048 signature {rsa_ms:.3f} ms CPU", flush=True)
            bodies = _bodies(pool, tokens)
            for name in args.operations or OPERATIONS:
                action, body = bodies[name]
                n = args.n if name == "get_user" else max(200, args.n // 4)
                uvloop.run(_drive(app, action, body, min(200, n), args.concurrency, args.origin))  # warm up
                prof = cProfile.Profile(time.thread_time) if args.profile else None  # CPU time, not wall
                if prof is not None:
                    prof.enable()
                per = uvloop.run(_drive(app, action, body, n, args.concurrency, args.origin))
                if prof is not None:
                    prof.disable()
                    pstats.Stats(prof).sort_stats("tottime").print_stats(30)
                ms = per * 1000
                print(f"{name:10} {ms:7.3f} ms CPU per request = {ms / rsa_ms:5.2f} RSA signatures (n={n})", flush=True)
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
