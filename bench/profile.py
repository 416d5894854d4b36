"""Profile the server under one operation's load: where a missed target's time goes.

    .venv/bin/python -m bench.profile get_user [--backend postgres] [--workers 2] [--concurrency 8] [--seconds 10]

Starts `userpool serve`, creates users through the bulk path, drives the operation, and samples every
worker with py-spy (`bench/.peers/tools-venv/bin/py-spy`, installed with `pip install py-spy` there; a
`py-spy` on PATH works too) without pausing them (`--nonblocking`), by default only the thread holding
the GIL (`--gil`: Python's CPU time; a thread waiting on the database or in argon2, which releases the
GIL, is not sampled; `--wall` samples them too). Prints the top functions by own time
and by inclusive time, as shares of all samples, and keeps the collapsed stacks under bench/results/profiles/.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench import ops
from bench.bulk import BulkLoader
from bench.load import Driver, Meters
from bench.servers import HOST, MASTER_KEY, PEERS, PgBackends, postgres_database, start_serve, userpool_ids

OUT = Path(__file__).parent / "results" / "profiles"
OPERATIONS = ("password_sign_in", "srp_sign_in", "refresh", "get_user", "hosted_sign_in", "sign_up")


def py_spy() -> str:
    local = PEERS / "tools-venv" / "bin" / "py-spy"
    found = str(local) if local.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy not found: python3 -m venv bench/.peers/tools-venv && …/pip install py-spy")
    return found


def _frame(entry: str) -> str:
    """py-spy's raw frame "function (path/to/module.py:line)" → "function (module.py)"."""
    name, _, where = entry.partition(" (")
    module = where.rsplit("/", 1)[-1].split(":", 1)[0]
    return f"{name} ({module})" if module else name


def summarize(raw: str, top: int) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f and not f.startswith("process ")]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    return total, own.most_common(top), inclusive.most_common(top)


async def _drive(
    op_name: str, target: ops.Target, accounts: list[ops.Account], args: argparse.Namespace, start_spies: Any
) -> int:
    """Warm up (and make tokens) first; sampling starts only when the measured operation does."""
    driver = Driver(HOST, target.port, Meters(list))
    warm = await driver.closed(
        ops.password_sign_in(target), ops.cycle(accounts), concurrency=4, seconds=30, max_ops=min(len(accounts), 64)
    )
    tokens = [p for p in warm.products if p is not None]
    op = getattr(ops, op_name)(target)
    inputs = {
        "refresh": ops.cycle(tokens),
        "get_user": ops.cycle(tokens),
        "sign_up": ops.fresh_accounts("profile"),
    }.get(op_name, ops.cycle(accounts))
    spies = start_spies()
    level = await driver.closed(op, inputs, concurrency=args.concurrency, seconds=args.seconds, max_ops=10**7)
    for spy in spies:
        spy.wait(60)
    return level.ops


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--wall", action="store_true", help="sample every thread, waiting ones too (default: the GIL holder only)"
    )
    args = parser.parse_args(argv)
    spy = py_spy()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="userpool-profile-") as tmp:
        work = Path(tmp)
        if args.backend == "sqlite":
            return _run(args, spy, work, f"sqlite:///{work / 'pool.db'}", None)
        with postgres_database() as (url, name):
            return _run(args, spy, work, url, name)


def _run(args: argparse.Namespace, spy: str, work: Path, url: str, db_name: str | None) -> int:
    server = start_serve(work, url, args.workers, database_name=db_name)
    backends = PgBackends(db_name) if db_name else None
    try:
        pool_id, client_id = userpool_ids(url, server.endpoint)
        target = ops.Target("userpool", HOST, server.port, pool_id, client_id)
        accounts = BulkLoader(url, pool_id, MASTER_KEY).add(200, real_srp=200).real
        stem = f"{args.operation}-{args.backend}-{args.workers}p-c{args.concurrency}"
        outputs = [OUT / f"{stem}-{pid}.txt" for pid in server.worker_pids()]

        def start_spies() -> list[subprocess.Popen[bytes]]:
            return [
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(int(args.seconds)),
                        "--rate",
                        "250",
                        "--nonblocking",
                        *([] if args.wall else ["--gil"]),
                        "--format",
                        "raw",
                        "--output",
                        str(out),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for pid, out in zip(server.worker_pids(), outputs, strict=True)
            ]

        done = asyncio.run(_drive(args.operation, target, accounts, args, start_spies))
    finally:
        server.stop()
        if backends:
            backends.close()
    raw = "\n".join(p.read_text() for p in outputs if p.exists())
    (OUT / f"{stem}.txt").write_text(raw)
    total, own, inclusive = summarize(raw, args.top)
    print(f"{args.operation} on {args.backend}, {args.workers} process(es), c={args.concurrency}: {done} operations,")
    print(f"{total} samples over {len(outputs)} worker(s); collapsed stacks in {OUT / (stem + '.txt')}\n")
    print("own time (the function itself):")
    for name, n in own:
        print(f"  {n / total:6.1%}  {name}")
    print("\ninclusive time (the function and what it calls):")
    for name, n in inclusive:
        print(f"  {n / total:6.1%}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
