"""Rerun the attack suites and print their figures (the numbers SECURITY.md quotes).

    python -m tests.security.report            # quick versions (as CI runs them), then the figures
    python -m tests.security.report --deep     # the long versions
    python -m tests.security.report --no-run   # only print the figures of the last run

Figures are read from build/security/*.json (or USERPOOL_SECURITY_FIGURES), written by the suites.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.security.support import ROOT, figures_dir


def run(deep: bool) -> int:
    for old in figures_dir().glob("*.json"):
        old.unlink()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/security"]
    if deep:
        command.append("--deep")
    return subprocess.call(command, cwd=ROOT)


def _load(suite: str) -> dict[str, Any]:
    path = figures_dir() / f"{suite}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def figures() -> str:
    lines: list[str] = []
    fuzz = _load("fuzz")
    if fuzz:
        lines.append("Fuzzing")
        for case, f in sorted(fuzz.items()):
            refused = f" ({f['accepted']} accepted, {f['refused']} refused)" if "refused" in f else ""
            lines.append(
                f"  {case} [{f['mode']}]: {f['requests']} requests{refused}; 5xx: {f['server_errors']}, "
                f"tracebacks: {f['tracebacks']}, logged errors: {f.get('logged_errors', '-')}, "
                "state changed by a refusal: "
                f"{f.get('state_changes_on_refusal', f.get('changes_on_refusal', 0))}"
            )
    crash = _load("crash")
    if crash:
        lines.append("Crash safety (SIGKILL mid-flight, restart, check)")
        for case, f in sorted(crash.items()):
            lines.append(
                f"  {case} [{f['mode']}]: {f['requests']} requests, {f['acknowledged']} acknowledged, "
                f"{f['cut_off_in_flight']} cut off in flight, faults injected: {f['faults_injected']}, "
                f"data lost: {f['data_lost']}"
            )
    races = _load("races")
    if races:
        lines.append("Races (two server processes)")
        for backend, cases in sorted(races.items()):
            for race, counts in sorted(cases.items()):
                if race in ("mode", "at"):
                    continue
                lines.append(f"  {backend} {race}: {dict(sorted(counts.items()))}")
    timing = _load("timing")
    if timing:
        lines.append("Timing (median of interleaved attempts, unknown user vs known user with a wrong secret)")
        for flow, f in sorted(timing.items()):
            lines.append(
                f"  {flow} [{f['attempts_each']} each]: answered, unknown {f['median_unknown_ms']} ms, known "
                f"{f['median_known_ms']} ms, difference {f['difference_percent']}%; work (in-process) "
                f"{f.get('work_unknown_ms')} and {f.get('work_known_ms')} ms, {f.get('work_difference_percent')}%; "
                f"floor {f.get('floor_ms')} ms; argon2 runs per attempt {f['argon2_per_attempt']}"
            )
    return "\n".join(lines) if lines else f"no figures in {figures_dir()}: run the suites first"


def main(argv: list[str]) -> int:
    status = 0 if "--no-run" in argv else run("--deep" in argv)
    print(figures())
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
