"""Turning a run's JSON into tables: bounds, the matrix with each operation's ratio of its bound, peers, scale,
the developer loop, and issue 8's targets marked pass or miss.

`python -m bench.report [bench/results/latest.json]` prints the Markdown that BENCHMARKS.md shows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.bounds import RECIPES, cost_ms
from bench.cells import ORDER

LABELS = {
    "sign_up": "sign-up",
    "confirm": "confirm sign-up",
    "password_sign_in": "password sign-in",
    "srp_sign_in": "SRP sign-in (2 round trips)",
    "refresh": "refresh (GetTokensFromRefreshToken)",
    "get_user": "GetUser",
    "hosted_sign_in": "hosted sign-in (GET + POST → 303)",
    "token_verifier": "TokenVerifier (in-process)",
}


def crypto_ms(result: dict[str, Any], op: str) -> float | None:
    """CPU milliseconds of the cryptography the operation cannot avoid (None: it has none to speak of)."""
    b = result.get("bounds")
    recipe = RECIPES.get(op) or {}
    return cost_ms(b, recipe) if b and recipe else None


def bound_per_s(result: dict[str, Any], op: str) -> float | None:
    """Operations per second the machine's cores allow, counting only the cryptography the op must do."""
    b = result.get("bounds")
    recipe = RECIPES.get(op) or {}
    if not b or not recipe:
        return None
    return float(b["cores"]) * 1000 / cost_ms(b, recipe)


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out.extend("| " + " | ".join(r) + " |" for r in rows)
    return out


def machine_line(result: dict[str, Any]) -> str:
    m, src = result["machine"], result.get("source", {})
    return (
        f"Machine: {m['nproc']} cores (`nproc`), {m['cpu_model']}, Python {m['python']}; load average "
        f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])} at the start. Mode `{result['mode']}`, "
        f"run {result['started_at']}, {result.get('run_seconds', '?')} s. Server code: {src.get('git_head', '?')}"
        + (" (with uncommitted changes)" if src.get("uncommitted_changes_in_src") else "")
        + "."
    )


def bounds_table(result: dict[str, Any]) -> list[str]:
    b = result.get("bounds")
    if not b:
        return []
    rows = []
    for key, label in (
        ("argon2id_verify", f"argon2id verification ({b['argon2id_verify']['parameters']})"),
        ("argon2id_hash", "argon2id hash (sign-up)"),
        ("rsa2048_sign", "RSA-2048 signature (PKCS#1 v1.5, SHA-256)"),
        ("rsa2048_verify", "RSA-2048 verification"),
        ("srp_server", "SRP server maths (server_public + session_key)"),
        ("srp_make_verifier", "SRP verifier (sign-up)"),
    ):
        v = b[key]
        rows.append([label, _f(v["per_core_per_s"]), _f(v["cpu_ms_per_op"], 3), _f(v["per_core_per_s"] * b["cores"])])
    lines = _table(["bound (best of 5 rounds)", "per core per s", "CPU ms each", f"× {b['cores']} cores"], rows)
    every = b.get("argon2id_verify_all_cores")
    if every:
        lines += ["", f"argon2id verification with {every['processes']} processes hashing at once (the whole machine, "
                  f"as it was during the run): {_f(every['per_s'])}/s."]  # fmt: skip
    return lines


def _op_rows(result: dict[str, Any], operations: dict[str, Any], levels: list[int]) -> list[list[str]]:
    rows = []
    for name in ORDER:
        res = operations.get(name)
        if res is None:
            continue
        if not res.get("levels"):
            rows.append([LABELS[name], res.get("status", ""), *["–"] * (len(levels) + 8), res.get("note", "")])
            continue
        by_c = {lv["concurrency"]: lv for lv in res["levels"]}
        peak = res["peak"]
        bound = bound_per_s(result, name)
        ratio = f"{peak['throughput_per_s'] / bound:.0%}" if bound else "–"
        half = res.get("half_peak")
        half_s = f"{_f(half['p50_ms'])} / {_f(half['p99_ms'])}" if half else "–"
        cpu = peak["server_cpu_ms_per_op"]
        db = peak["db_cpu_ms_per_op"]
        crypto = crypto_ms(result, name)
        total_cpu = (cpu or 0) + (db or 0)
        cores = (result.get("bounds") or {}).get("cores") or result["machine"]["nproc"]
        capacity = _f(cores * 1000 / total_cpu, 0) if total_cpu else "–"
        share = f"{crypto / total_cpu:.0%}" if crypto and total_cpu else "–"
        status = res["status"] if res["status"] == "ok" else f"**{res['status']}**"
        rows.append(
            [
                LABELS[name],
                status,
                *[_f(by_c[c]["throughput_per_s"]) if c in by_c else "–" for c in levels],
                f"{_f(peak['p50_ms'])} / {_f(peak['p95_ms'])} / {_f(peak['p99_ms'])}",
                _f(cpu, 2) + (f" (+{_f(db, 2)} db)" if db else ""),
                capacity,
                _f(bound, 0) if bound else "–",
                ratio,
                share,
                half_s,
                _f(peak["client_maths_ms_per_op"], 2) if peak["client_maths_ms_per_op"] else "",
                res.get("note", ""),
            ]
        )
    return rows


def matrix_tables(result: dict[str, Any]) -> list[str]:
    levels = list(result["profile"]["levels"])
    head = [
        "operation",
        "status",
        *[f"ops/s c={c}" for c in levels],
        "p50 / p95 / p99 ms at peak",
        "server CPU ms/op",
        "CPU capacity ops/s",
        "bound ops/s",
        "of bound",
        "crypto share of CPU",
        "half-peak p50 / p99 ms",
        "client maths ms",
        "note",
    ]
    out: list[str] = []
    for cell in result.get("matrix", []):
        title = f"### userpool, {cell['backend']}, {cell['processes']} process(es)"
        if "operations" not in cell:
            out += [title, "", f"Did not run: {cell.get('status')}", ""]
            continue
        mem = cell["memory"]
        out += [title, "", *_table(head, _op_rows(result, cell["operations"], levels))]
        v = cell.get("token_verifier")
        if v:
            bound = _f(bound_per_s(result, "token_verifier"), 0)
            out += ["", f"TokenVerifier in-process: {_f(v['per_core_per_s'])}/s per core "
                    f"({_f(v['cpu_ms_per_op'], 3)} ms CPU each, p50 {_f(v['p50_ms'], 3)} ms, "
                    f"p99 {_f(v['p99_ms'], 3)} ms); bound {bound}/s."]  # fmt: skip
        out += ["", f"Server memory (per process, MiB): idle after start {mem.get('idle_rss_mib')}, after the run "
                f"{mem['rss_mib']}, peak {mem['peak_mib']}.", ""]  # fmt: skip
    return out


def peers_tables(result: dict[str, Any]) -> list[str]:
    levels = list(result["profile"]["levels"])
    out: list[str] = []
    for peer, res in result.get("peers", {}).items():
        out.append(f"### {peer} (1 process)")
        out.append("")
        if "operations" not in res:
            out += [f"Not measured: {res.get('status')}", ""]
            continue
        head = ["operation", "status", *[f"ops/s c={c}" for c in levels], "p50 / p95 / p99 ms at peak",
                "server CPU ms/op", "CPU capacity ops/s", "bound ops/s", "of bound", "crypto share of CPU",
                "half-peak", "client maths ms", "shortcut"]  # fmt: skip
        out += [*_table(head, _op_rows(result, res["operations"], levels)), ""]
        out += [f"Memory (MiB): peak {res['memory']['peak_mib']}.", ""]
    return out


def scale_table(result: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for backend, s in result.get("scale", {}).items():
        out += [f"### {backend}: {s['users_small']:,} → {s['users_large']:,} users (2 processes, concurrency 1)", ""]
        rows = []
        for name, ratio in s["p50_ratio"].items():
            a, b = s["at_small"][name], s["at_large"][name]
            rows.append([LABELS[name], _f(a.get("best_round_p50_ms"), 2), _f(b.get("best_round_p50_ms"), 2),
                         _f(a["p50_ms"], 2), _f(b["p50_ms"], 2), _f(a["p99_ms"], 2), _f(b["p99_ms"], 2),
                         _f(ratio, 2)])  # fmt: skip
        small, large = f"{s['users_small']:,}", f"{s['users_large']:,}"
        head = ["operation", f"p50 ms @{small} (best round)", f"p50 ms @{large} (best round)", "p50 all rounds small",
                "p50 all rounds large", "p99 small", "p99 large", "p50 ratio (best rounds)"]  # fmt: skip
        out += _table(head, rows)
        out += ["", f"Bulk load: {s['bulk_seconds']['small']} s, then {s['bulk_seconds']['large']} s.", ""]
    return out


def _cells(result: dict[str, Any], processes: int) -> list[dict[str, Any]]:
    return [c for c in result.get("matrix", []) if c.get("processes") == processes and "operations" in c]


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 8's targets, each with its measured figure and pass/miss (None: not measured in this run)."""
    rows: list[dict[str, Any]] = []

    def add(target: str, where: str, value: Any, ok: bool | None, shown: str) -> None:
        rows.append({"target": target, "where": where, "value": value, "shown": shown,
                     "verdict": "–" if ok is None else ("pass" if ok else "miss")})  # fmt: skip

    cells = _cells(result, 2) or _cells(
        result, max((c.get("processes", 1) for c in result.get("matrix", [])), default=1)
    )
    tail = (result.get("generator_ceiling") or {}).get("null_open_loop")
    null = f" (null server: {tail['p99_ms'] / tail['p50_ms']:.1f}×)" if tail and tail["p50_ms"] else ""
    for cell in cells:
        where = f"{cell['backend']}, {cell['processes']} proc"
        o = cell["operations"]

        def peak(name: str, o: dict[str, Any] = o) -> dict[str, Any] | None:
            found: dict[str, Any] | None = o.get(name, {}).get("peak")
            return found

        def capacity(p: dict[str, Any], cores: float = float(result["machine"]["nproc"])) -> float | None:
            total = (p["server_cpu_ms_per_op"] or 0) + (p["db_cpu_ms_per_op"] or 0)
            return cores * 1000 / total if total else None

        pw, bound = peak("password_sign_in"), bound_per_s(result, "password_sign_in")
        if pw and bound:
            r = pw["throughput_per_s"] / bound
            cap = capacity(pw)
            extra = f" (by CPU per sign-in: {cap / bound:.0%})" if cap else ""
            add("password sign-in ≥ 85% of the argon2id bound", where, round(r, 3), r >= 0.85, f"{r:.0%}{extra}")
        srp = peak("srp_sign_in")
        if srp and srp["server_cpu_ms_per_op"] is not None:
            v = srp["server_cpu_ms_per_op"]
            add("SRP sign-in server CPU < 4 ms", where, v, v < 4, f"{v:.2f} ms")
        for name, floor in (("refresh", 800), ("get_user", 2500)):
            p = peak(name)
            if p:
                v, cap = p["throughput_per_s"], capacity(p)
                extra = f" (CPU capacity {cap:,.0f}/s)" if cap else ""
                add(f"{LABELS[name].split(' (')[0]} ≥ {floor:,}/s", where, v, v >= floor, f"{v:,.0f}/s{extra}")
        for name in ORDER:
            half = o.get(name, {}).get("half_peak")
            if half and half["p50_ms"]:
                r = half["p99_ms"] / half["p50_ms"]
                add(f"p99 < 3 × p50 at half of peak: {LABELS[name]}", where, round(r, 2), r < 3,
                    f"{half['p99_ms']:.1f} / {half['p50_ms']:.1f} ms = {r:.1f}×{null}")  # fmt: skip
    for backend, s in result.get("scale", {}).items():
        for name, ratio in s["p50_ratio"].items():
            if ratio is not None:
                add(f"p50 at {s['users_large']:,} users ≤ 1.2 × at {s['users_small']:,}: {LABELS[name]}", backend,
                    ratio, ratio <= 1.2 if s["users_large"] >= 1_000_000 else None, f"{ratio:.2f}×")  # fmt: skip
    d = result.get("devloop")
    if d:
        v = d["sandbox_start_warm_median_s"]
        add("sandbox ready < 1.5 s", f"warm median (cold {d['sandbox_start_cold_s']} s)", v, v < 1.5, f"{v:.2f} s")
        if d["change_live_median_s"] is not None:
            v = d["change_live_median_s"]
            worst = max(d["change_live_s"])
            add("definition change live < 1 s", f"median (worst {worst:.2f} s)", v, v < 1.0, f"{v:.2f} s")
    mems = [(f"{c['backend']}, {c['processes']} proc", c["memory"]["max_peak_mib"]) for c in result.get("matrix", [])
            if "memory" in c]  # fmt: skip
    if mems:
        where, v = max(mems, key=lambda m: m[1])
        add("server memory < 150 MB per process (peak RSS)", f"worst: {where}", v, v * 1.048576 < 150, f"{v:.0f} MiB")
    return rows


def targets_table(result: dict[str, Any]) -> list[str]:
    rows = [[t["target"], t["where"], t["shown"], t["verdict"]] for t in targets(result)]
    return _table(["target (issue 8)", "where", "measured", "verdict"], rows)


def ceiling_line(result: dict[str, Any]) -> list[str]:
    c = result.get("generator_ceiling")
    if not c:
        return []
    raw, hx = c["raw_client"], c["httpx"]
    return [
        f"Generator ceiling against a null server (c=32): raw asyncio client {_f(raw['throughput_per_s'], 0)} req/s, "
        f"{_f(raw['generator_cpu_ms_per_op'], 3)} ms generator CPU per request ({_f(c['raw_per_core_per_s'], 0)}/s "
        f"per core); httpx {_f(hx['throughput_per_s'], 0)} req/s, {_f(hx['generator_cpu_ms_per_op'], 3)} ms "
        f"({_f(c['httpx_per_core_per_s'], 0)}/s per core).",
        "",
        *_null_tail(c),
    ]


def _null_tail(c: dict[str, Any]) -> list[str]:
    t = c.get("null_open_loop")
    if not t or not t["p50_ms"]:
        return []
    return [
        f"The machine's own tail: the null server open-loop at {_f(t['offered_per_s'], 0)} requests/s answers with "
        f"p50 {_f(t['p50_ms'], 2)} ms, p95 {_f(t['p95_ms'], 2)} ms, p99 {_f(t['p99_ms'], 2)} ms "
        f"(p99 = {t['p99_ms'] / t['p50_ms']:.1f} × p50) though it does no work.",
        "",
    ]


def devloop_lines(result: dict[str, Any]) -> list[str]:
    d = result.get("devloop")
    if not d:
        return []
    return [
        f"Sandbox start to serving: cold (new pool, new keys) {d['sandbox_start_cold_s']} s; warm "
        f"{d['sandbox_start_warm_s']} s. Definition saved → live on the hosted page: {d['change_live_s']} s; → "
        f"amplify_outputs.json: {d['change_outputs_s']} s.",
        "",
    ]


def render(result: dict[str, Any]) -> str:
    lines = [machine_line(result), "", "## Targets", "", *targets_table(result), "", "## Bounds", ""]
    lines += [*bounds_table(result), "", *ceiling_line(result), "## userpool", "", *matrix_tables(result)]
    lines += ["## Peers (same generator, same machine, same run)", "", *peers_tables(result)]
    lines += ["## Scale", "", *scale_table(result), "## Developer loop", "", *devloop_lines(result)]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else Path(__file__).parent / "results" / "latest.json"
    print(render(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
