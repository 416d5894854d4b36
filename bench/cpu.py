"""Server CPU per operation for a few operations, quickly: the figure to compare before and after a change.

    .venv/bin/python -m bench.cpu get_user refresh [--backend sqlite] [--workers 2] [--concurrency 8] [--ops 2000]

Starts `userpool serve`, loads users through the bulk path, signs some in (for tokens), then drives each
operation for `--ops` operations (or `--seconds`) and prints, per operation: server CPU ms/op read from /proc
(the whole process tree; on PostgreSQL "+ db" for the cell's backends), throughput, p50/p99, errors, and the
workers' resident memory. CPU per operation holds on a shared machine; throughput does not.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from bench import ops, procs
from bench.bulk import BulkLoader
from bench.load import Driver, Meters
from bench.servers import HOST, MASTER_KEY, PgBackends, Server, postgres_database, start_serve, userpool_ids

OPERATIONS = ("password_sign_in", "srp_sign_in", "refresh", "get_user", "hosted_sign_in", "sign_up")


async def _drive(
    server: Server,
    backends: PgBackends | None,
    target: ops.Target,
    accounts: list[ops.Account],
    args: argparse.Namespace,
) -> None:
    driver = Driver(HOST, target.port, Meters(server.pids, backends or list))
    warm = await driver.closed(
        ops.password_sign_in(target), ops.cycle(accounts), concurrency=4, seconds=60, max_ops=min(len(accounts), 64)
    )
    tokens = [p for p in warm.products if p is not None]
    for name in args.operations:
        op = getattr(ops, name)(target)
        inputs: Any = {
            "refresh": ops.cycle(tokens),
            "get_user": ops.cycle(tokens),
            "sign_up": ops.fresh_accounts("cpu"),
        }.get(name, ops.cycle(accounts))
        level = await driver.closed(op, inputs, concurrency=args.concurrency, seconds=args.seconds, max_ops=args.ops)
        s = level.summary()
        db = f" (+{s['db_cpu_ms_per_op']:.2f} db)" if backends else ""
        print(
            f"{name:18} {s['ops']:6d} ops {s['errors']:3d} err  cpu {s['server_cpu_ms_per_op']:7.3f} ms/op{db}"
            f"  {s['throughput_per_s']:8.1f}/s  p50 {s['p50_ms']} p99 {s['p99_ms']} ms"
            + (f"  first error: {s['first_error']}" if s["first_error"] else ""),
            flush=True,
        )
    rss = [procs.memory_kib(p) for p in server.worker_pids()]
    print("workers' memory MiB (rss, peak):", [(round(r / 1024, 1), round(h / 1024, 1)) for r, h in rss])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("operations", nargs="+", choices=OPERATIONS)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="userpool-cpu-") as tmp:
        work = Path(tmp)
        if args.backend == "sqlite":
            return _run(args, work, f"sqlite:///{work / 'pool.db'}", None)
        with postgres_database() as (url, name):
            return _run(args, work, url, name)


def _run(args: argparse.Namespace, work: Path, url: str, db_name: str | None) -> int:
    server = start_serve(work, url, args.workers, database_name=db_name)
    backends = PgBackends(db_name) if db_name else None
    try:
        pool_id, client_id = userpool_ids(url, server.endpoint)
        target = ops.Target("userpool", HOST, server.port, pool_id, client_id)
        accounts = BulkLoader(url, pool_id, MASTER_KEY).add(args.users, real_srp=args.users).real
        rss = [procs.memory_kib(p) for p in server.worker_pids()]
        print("idle workers' memory MiB (rss):", [round(r / 1024, 1) for r, _ in rss])
        asyncio.run(_drive(server, backends, target, accounts, args))
    finally:
        server.stop()
        if backends:
            backends.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
