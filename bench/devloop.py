"""The developer loop, measured from outside as a developer lives it.

- Start: from launching `userpool sandbox` to its first answer on /health (the process, not what it
  prints). The first start in a new app folder creates the pool and its RSA keys (cold); later starts find
  them (warm).
- Change: from saving `amplify/auth/resource.py` to the change being live. Each change flips the password
  policy's minimum length; "live" is when the hosted sign-up page (rendered per request from the running
  definition) states the new rule, and separately when `amplify_outputs.json` carries it.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from bench.servers import Server, start_sandbox, write_app

POLICY = (
    "from userpool import define_auth\n\n"
    'auth = define_auth(login_with={{"email": True}}, password_policy={{"min_length": {n}}})\n'
)


def measure(workdir: Path, *, starts: int, changes: int, timeout: float = 10.0) -> dict[str, Any]:
    app = write_app(workdir / "devapp", POLICY.format(n=8))
    start_times: list[float] = []
    change_live: list[float] = []
    change_outputs: list[float] = []
    for _ in range(max(1, starts)):
        server = start_sandbox(app)
        try:
            start_times.append(server.meta["ready_s"])
        finally:
            server.stop()
    server = start_sandbox(app)
    try:
        client_id = json.loads((app / "amplify_outputs.json").read_text())["auth"]["user_pool_client_id"]
        length = 8
        for _ in range(changes):
            time.sleep(0.3)  # let the watcher settle after the previous change
            length = 10 if length != 10 else 12
            live, outputs = _change(server, app, client_id, length, timeout)
            change_live.append(live)
            change_outputs.append(outputs)
    finally:
        server.stop()
    warm = start_times[1:] or start_times
    return {
        "sandbox_start_cold_s": round(start_times[0], 3),
        "sandbox_start_warm_s": [round(s, 3) for s in warm],
        "sandbox_start_warm_median_s": round(statistics.median(warm), 3),
        "change_live_s": [round(s, 3) for s in change_live],
        "change_live_median_s": round(statistics.median(change_live), 3) if change_live else None,
        "change_outputs_s": [round(s, 3) for s in change_outputs],
        "method": "start: Popen → first 200 from /health; change: file saved → /signup page shows the new "
        "minimum length (and, separately, amplify_outputs.json carries it); polled every 5 ms",
    }


def _change(server: Server, app: Path, client_id: str, length: int, timeout: float) -> tuple[float, float]:
    resource = app / "amplify" / "auth" / "resource.py"
    outputs = app / "amplify_outputs.json"
    rule = f"at least {length} characters"
    live_at = outputs_at = None
    with httpx.Client(timeout=2.0) as client:
        t0 = time.perf_counter()
        resource.write_text(POLICY.format(n=length))
        deadline = t0 + timeout
        while (live_at is None or outputs_at is None) and time.perf_counter() < deadline:
            if live_at is None:
                page = client.get(f"{server.endpoint}/signup", params={"client_id": client_id})
                if rule in page.text.lower():  # timed when the answer arrives: an upper bound
                    live_at = time.perf_counter() - t0
            if outputs_at is None:
                try:
                    policy = json.loads(outputs.read_text())["auth"]["password_policy"]
                    if policy.get("min_length") == length:
                        outputs_at = time.perf_counter() - t0
                except (OSError, ValueError, KeyError):
                    pass
            time.sleep(0.005)
    if live_at is None or outputs_at is None:
        raise RuntimeError(f"the change to min_length {length} was not live after {timeout} s:\n{server.log()}")
    return live_at, outputs_at
