"""`python -m bench [--quick] [--scale-users N] [--only SECTION ...] [--out DIR]`: run, print, write JSON.

Writes `<out>/<timestamp>.json` and `<out>/latest.json` (default out: bench/results, or
bench/results/quick for --quick, so a smoke run never replaces the record).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from bench import report
from bench.load import STOP
from bench.profiles import FULL, QUICK
from bench.run import run

SECTIONS = ("bounds", "ceiling", "matrix", "peers", "scale", "devloop")
RESULTS = Path(__file__).parent / "results"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Ctrl+C or SIGTERM: unwind, so every `finally` stops its server and drops its database. Installed before
    asyncio.run, which then leaves it alone; should the exception land somewhere that swallows it, `STOP`
    still ends every load loop and the run at its next check."""
    STOP.set()
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke run of every section")
    parser.add_argument(
        "--scale-users",
        type=int,
        default=None,
        help=f"users in the store for the large scale run (default {FULL.scale_large:,}; the record uses 1000000)",
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    profile = QUICK if args.quick else FULL
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    t0 = time.perf_counter()

    def log(line: str) -> None:
        print(f"[{time.perf_counter() - t0:7.1f} s] {line}", file=sys.stderr, flush=True)

    result = run(profile, scale_users=args.scale_users, sections=set(args.only or SECTIONS), log=log)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, ensure_ascii=False)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (out / f"{stamp}.json").write_text(text + "\n")
    (out / "latest.json").write_text(text + "\n")
    print(report.render(result))
    print(f"\nWrote {out / f'{stamp}.json'} and {out / 'latest.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
