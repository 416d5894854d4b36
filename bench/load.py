"""Driving one operation: closed-loop levels (N virtual users back to back) and an open-loop rate.

Every level is bounded twice, by a duration and by a count. Timing: `latency` is the time the server had
the request (the sum of an operation's HTTP round trips, measured around each), `client` is the time the
generator spent on the operation's own maths between round trips (SRP), kept apart and never charged to the
server. A level stops issuing at its deadline and waits for what is in flight, then reads CPU counters, so
CPU seconds per operation are (CPU delta) / (operations started), with nothing half-counted.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.http import Connection, HttpError
from bench.procs import CpuMeter


@dataclass
class Outcome:
    """What one operation reports: seconds the server had it, seconds of client maths, and its product."""

    server: float
    client: float = 0.0
    product: Any = None


class OperationFailed(RuntimeError):
    """The server answered, but not with success (the message says what it said)."""


Operation = Callable[[Connection, Any], Awaitable[Outcome]]

# Set on Ctrl+C / SIGTERM (`bench.__main__`): every loop stops issuing, and `check_stop` unwinds the run.
STOP = threading.Event()


def check_stop() -> None:
    if STOP.is_set():
        raise KeyboardInterrupt("stopped")


@dataclass
class Level:
    concurrency: int
    mode: str  # "closed" (N users back to back) or "open" (arrivals at `offered` per second)
    ops: int
    errors: int
    seconds: float
    latencies: list[float] = field(repr=False)
    client_seconds: float
    server_cpu: float
    db_cpu: float
    generator_cpu: float
    offered: float | None = None
    first_error: str | None = None
    products: list[Any] = field(default_factory=list, repr=False)

    @property
    def throughput(self) -> float:
        return self.ops / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float | None:
        return percentile(self.latencies, q)

    def summary(self) -> dict[str, Any]:
        def ms(v: float | None) -> float | None:
            return None if v is None else round(v * 1000, 3)

        n = max(self.ops, 1)
        return {
            "concurrency": self.concurrency,
            "mode": self.mode,
            "offered_per_s": None if self.offered is None else round(self.offered, 1),
            "ops": self.ops,
            "errors": self.errors,
            "first_error": self.first_error,
            "seconds": round(self.seconds, 3),
            "throughput_per_s": round(self.throughput, 2),
            "p50_ms": ms(self.percentile(50)),
            "p95_ms": ms(self.percentile(95)),
            "p99_ms": ms(self.percentile(99)),
            "client_maths_ms_per_op": round(self.client_seconds / n * 1000, 3),
            "server_cpu_ms_per_op": round(self.server_cpu / n * 1000, 3) if self.ops else None,
            "db_cpu_ms_per_op": round(self.db_cpu / n * 1000, 3) if self.ops else None,
            "generator_cpu_ms_per_op": round(self.generator_cpu / n * 1000, 3) if self.ops else None,
        }


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every figure is a latency that happened)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Meters:
    """Where CPU seconds are read: the server's processes and, on PostgreSQL, its backends."""

    server_pids: Callable[[], list[int]]
    db_pids: Callable[[], list[int]] = list

    def start(self) -> tuple[CpuMeter, CpuMeter, float]:
        server, db = CpuMeter(self.server_pids()), CpuMeter(self.db_pids())
        server.start()
        db.start()
        return server, db, time.process_time()

    def stop(self, started: tuple[CpuMeter, CpuMeter, float]) -> tuple[float, float, float]:
        server, db, gen = started
        return server.stop(self.server_pids()), db.stop(self.db_pids()), time.process_time() - gen


class Driver:
    """Runs levels of one operation against one server; keeps a connection per virtual user."""

    def __init__(self, host: str, port: int, meters: Meters) -> None:
        self.host, self.port, self.meters = host, port, meters

    async def closed(
        self, op: Operation, inputs: Iterator[Any], *, concurrency: int, seconds: float, max_ops: int
    ) -> Level:
        conns = [Connection(self.host, self.port) for _ in range(concurrency)]
        state = _State(max_ops)
        started = self.meters.start()
        t0 = time.perf_counter()
        deadline = t0 + seconds

        async def user(conn: Connection) -> None:
            while time.perf_counter() < deadline and not STOP.is_set() and state.take():
                try:
                    item = next(inputs)
                except StopIteration:
                    state.untake()
                    return
                await _one(op, conn, item, state)

        try:
            await asyncio.gather(*(user(c) for c in conns))
        finally:
            elapsed = time.perf_counter() - t0
            cpu = self.meters.stop(started)
            await asyncio.gather(*(c.close() for c in conns))
        check_stop()
        return state.level(concurrency, "closed", elapsed, cpu)

    async def open(
        self, op: Operation, inputs: Iterator[Any], *, rate: float, seconds: float, max_in_flight: int = 256
    ) -> Level:
        """Arrivals at a fixed `rate` per second whatever the answers (no coordinated omission): latency is
        counted from the scheduled start, so a server that falls behind shows it."""
        idle: list[Connection] = []
        state = _State(int(rate * seconds) + 1)
        gate = asyncio.Semaphore(max_in_flight)
        tasks: set[asyncio.Task[None]] = set()
        started = self.meters.start()
        t0 = time.perf_counter()

        async def arrival(scheduled: float, item: Any) -> None:
            async with gate:
                conn = idle.pop() if idle else Connection(self.host, self.port)
                try:
                    await _one(op, conn, item, state, queued=time.perf_counter() - scheduled)
                finally:
                    idle.append(conn)

        i = 0
        while not STOP.is_set() and state.take():
            scheduled = t0 + i / rate
            if scheduled - t0 >= seconds:
                state.untake()
                break
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                item = next(inputs)
            except StopIteration:
                state.untake()
                break
            task = asyncio.create_task(arrival(scheduled, item))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        if tasks:
            await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
        cpu = self.meters.stop(started)
        await asyncio.gather(*(c.close() for c in idle))
        check_stop()
        level = state.level(max_in_flight, "open", elapsed, cpu)
        level.offered = rate
        return level


class _State:
    def __init__(self, max_ops: int) -> None:
        self.max_ops = max_ops
        self.issued = 0
        self.latencies: list[float] = []
        self.client = 0.0
        self.errors = 0
        self.first_error: str | None = None
        self.products: list[Any] = []

    def take(self) -> bool:
        if self.issued >= self.max_ops:
            return False
        self.issued += 1
        return True

    def untake(self) -> None:
        self.issued -= 1

    def level(self, concurrency: int, mode: str, elapsed: float, cpu: tuple[float, float, float]) -> Level:
        return Level(
            concurrency=concurrency,
            mode=mode,
            ops=len(self.latencies),
            errors=self.errors,
            seconds=elapsed,
            latencies=self.latencies,
            client_seconds=self.client,
            server_cpu=cpu[0],
            db_cpu=cpu[1],
            generator_cpu=cpu[2],
            first_error=self.first_error,
            products=self.products,
        )


async def _one(op: Operation, conn: Connection, item: Any, state: _State, queued: float = 0.0) -> None:
    try:
        outcome = await op(conn, item)
    except (OperationFailed, HttpError, OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
        state.errors += 1
        if state.first_error is None:
            state.first_error = f"{type(exc).__name__}: {exc}"[:300]
        return
    state.latencies.append(outcome.server + queued)
    state.client += outcome.client
    if outcome.product is not None:
        state.products.append(outcome.product)
