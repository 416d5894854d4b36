"""The load generator's own ceiling: requests per second against a server that does nothing.

The same Cognito-shaped POST, once through the generator's client (`bench.http`) and once through an
`httpx.AsyncClient`, each at 32 connections against `bench.nullserver` in its own process. Reported: the
rate reached and the generator's CPU per request; a measured operation is only meaningful well below it.
Also the machine's own tail: the null server driven open-loop at 200 requests per second, whose p99/p50 is
what the tail-latency target would see if userpool did no work at all.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import httpx

from bench.http import Connection, cognito
from bench.load import Driver, Meters, Outcome
from bench.procs import tree
from bench.servers import HOST, free_port

NULL_RATE = 200.0  # per second: about half of GetUser's peak here
BODY = {"ClientId": "x", "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "u", "PASSWORD": "p"}}


async def _raw(port: int, seconds: float, meters: Meters) -> dict[str, Any]:
    async def op(conn: Connection, _: Any) -> Outcome:
        t0 = time.perf_counter()
        await cognito(conn, "InitiateAuth", BODY)
        return Outcome(time.perf_counter() - t0)

    level = await Driver(HOST, port, meters).closed(op, iter(int, 1), concurrency=32, seconds=seconds, max_ops=10**7)
    return level.summary()


async def _open_loop(port: int, seconds: float, meters: Meters, rate: float) -> dict[str, Any]:
    """The machine's own tail: arrivals at `rate` per second at a server that does nothing."""

    async def op(conn: Connection, _: Any) -> Outcome:
        t0 = time.perf_counter()
        await cognito(conn, "GetUser", {"AccessToken": "x"})
        return Outcome(time.perf_counter() - t0)

    level = await Driver(HOST, port, meters).open(op, iter(int, 1), rate=rate, seconds=seconds)
    return level.summary()


async def _httpx(port: int, seconds: float, meters: Meters) -> dict[str, Any]:
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
    }
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    done = 0
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits) as client:
        started = meters.start()
        t0 = time.perf_counter()
        deadline = t0 + seconds

        async def user() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                (await client.post("/", json=BODY, headers=headers)).raise_for_status()
                done += 1

        await asyncio.gather(*(user() for _ in range(32)))
        elapsed = time.perf_counter() - t0
        server_cpu, _, gen_cpu = meters.stop(started)
    return {
        "concurrency": 32,
        "ops": done,
        "throughput_per_s": round(done / elapsed, 1),
        "generator_cpu_ms_per_op": round(gen_cpu / max(done, 1) * 1000, 4),
        "server_cpu_ms_per_op": round(server_cpu / max(done, 1) * 1000, 4),
    }


def measure(seconds: float) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.nullserver", str(port)])
    try:
        deadline = time.perf_counter() + 20
        while time.perf_counter() < deadline:
            try:
                httpx.post(f"http://{HOST}:{port}/", content=b"{}", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.02)
        meters = Meters(lambda: tree(server.pid))
        raw = asyncio.run(_raw(port, seconds, meters))
        via_httpx = asyncio.run(_httpx(port, seconds, meters))
        tail = asyncio.run(_open_loop(port, max(seconds, 1.0) * 2, meters, NULL_RATE))
    finally:
        server.terminate()
        server.wait(10)
    return {
        "raw_client": raw,
        "null_open_loop": tail,
        "httpx": via_httpx,
        "raw_per_core_per_s": round(1000 / raw["generator_cpu_ms_per_op"], 1)
        if raw["generator_cpu_ms_per_op"]
        else None,
        "httpx_per_core_per_s": round(1000 / via_httpx["generator_cpu_ms_per_op"], 1)
        if via_httpx["generator_cpu_ms_per_op"]
        else None,
    }
