"""The whole run: bounds, the generator's ceiling, the matrix, the verifier, peers, scale, the developer loop.

Each section is measured in this one run on this one machine, then written as JSON (`bench/results/`) and
printed as a table with every target marked pass or miss (`bench.report`).
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import bounds, ceiling, devloop, ops, peers, procs
from bench.bulk import BulkLoader
from bench.cells import CellPlan, CellState, run_cell
from bench.load import Driver, Meters, check_stop, percentile
from bench.profiles import Profile
from bench.servers import (
    CODE,
    HOST,
    MASTER_KEY,
    PgBackends,
    Server,
    ServerError,
    create_peer_pool,
    postgres_database,
    start_cognito_local,
    start_moto,
    start_serve,
    userpool_codes,
    userpool_ids,
)

Log = Callable[[str], None]


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def source() -> dict[str, Any]:
    """Which userpool the servers run: the package this process imports (children inherit PYTHONPATH)."""
    import subprocess

    import userpool

    where = Path(userpool.__file__).resolve().parent
    out: dict[str, Any] = {"userpool_package": str(where)}
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "."], cwd=where, capture_output=True, text=True, check=False
        )
        out.update(git_head=head.stdout.strip(), uncommitted_changes_in_src=bool(dirty.stdout.strip()))
    except (OSError, subprocess.CalledProcessError):
        out["git_head"] = os.environ.get("USERPOOL_BENCH_SOURCE", "not a git work tree")
    return out


def log_errors(server: Server, most: int = 8) -> list[str]:
    """Distinct error lines of the server's log (an InternalErrorException's cause is only there)."""
    seen: list[str] = []
    try:
        text = server.log_path.read_text(errors="replace")
    except OSError:
        return seen
    for raw in text.splitlines():
        line = raw.strip()[:160]
        if ("Error" in line or "locked" in line) and not line.startswith("File ") and line not in seen:
            seen.append(line)
            if len(seen) >= most:
                break
    return seen


def memory(server: Server) -> dict[str, Any]:
    per = {str(pid): procs.memory_kib(pid) for pid in server.worker_pids()}
    return {
        "processes": len(per),
        "rss_mib": [round(v[0] / 1024, 1) for v in per.values()],
        "peak_mib": [round(v[1] / 1024, 1) for v in per.values()],
        "max_peak_mib": round(max((v[1] for v in per.values()), default=0) / 1024, 1),
    }


async def _verifier(target: ops.Target, tokens: list[ops.Tokens], seconds: float) -> dict[str, Any]:
    """`userpool.integrations.verify.TokenVerifier`, in this process, one thread, JWKS fetched once."""
    from userpool.integrations.verify import TokenVerifier

    verifier = TokenVerifier(f"http://{HOST}:{target.port}/{target.pool_id}", [target.client_id])
    verifier.verify(tokens[0].access, "access")  # fetches the JWKS
    latencies: list[float] = []
    cpu0 = time.thread_time()
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end or len(latencies) < 20:
        t0 = time.perf_counter()
        verifier.verify(tokens[i % len(tokens)].access, "access")
        latencies.append(time.perf_counter() - t0)
        i += 1
    cpu = time.thread_time() - cpu0

    def ms(q: float) -> float | None:
        v = percentile(latencies, q)
        return None if v is None else round(v * 1000, 4)

    return {
        "ops": len(latencies),
        "per_core_per_s": round(len(latencies) / cpu, 1),
        "cpu_ms_per_op": round(cpu / len(latencies) * 1000, 4),
        "p50_ms": ms(50),
        "p95_ms": ms(95),
        "p99_ms": ms(99),
    }


def userpool_cell(workdir: Path, backend: str, workers: int, profile: Profile, log: Log) -> dict[str, Any]:
    name = f"{backend}-{workers}"
    cell_dir = workdir / name
    cell_dir.mkdir(parents=True)
    if backend == "sqlite":
        return _userpool_cell(cell_dir, f"sqlite:///{cell_dir / 'pool.db'}", None, workers, profile, log)
    with postgres_database() as (url, db_name):
        return _userpool_cell(cell_dir, url, db_name, workers, profile, log)


def _userpool_cell(
    cell_dir: Path, url: str, db_name: str | None, workers: int, profile: Profile, log: Log
) -> dict[str, Any]:
    server = start_serve(cell_dir, url, workers, database_name=db_name)
    backends = PgBackends(db_name) if db_name else None
    idle = memory(server)
    try:
        pool_id, client_id = userpool_ids(url, server.endpoint)
        target = ops.Target("userpool", HOST, server.port, pool_id, client_id)
        plan = CellPlan(
            levels=profile.levels,
            seconds=profile.seconds,
            max_ops=profile.max_ops,
            open_seconds=profile.open_seconds if workers in profile.open_loop_processes else None,
            codes=lambda _accounts: userpool_codes(url, pool_id),
        )
        meters = Meters(server.pids, backends or list)
        results = asyncio.run(_cell_with_verifier(target, meters, plan, profile, log))
        return {
            "backend": "sqlite" if db_name is None else "postgres",
            "processes": workers,
            "server": "userpool serve",
            "operations": results["operations"],
            "token_verifier": results.get("token_verifier"),
            "memory": {**memory(server), "idle_rss_mib": idle["rss_mib"]},
            "server_log_errors": log_errors(server),
        }
    finally:
        server.stop()
        if backends:
            backends.close()


async def _cell_with_verifier(
    target: ops.Target, meters: Meters, plan: CellPlan, profile: Profile, log: Log
) -> dict[str, Any]:
    state = CellState()
    out: dict[str, Any] = {"operations": await run_cell(target, meters, plan, log, state)}
    if state.tokens:
        out["token_verifier"] = await _verifier(target, state.tokens[:200], profile.verifier_seconds)
    return out


def peer_cell(workdir: Path, peer: str, profile: Profile, log: Log) -> dict[str, Any]:
    start = start_moto if peer == "moto" else start_cognito_local
    try:
        server = start(workdir / peer)
    except (ServerError, OSError) as exc:
        return {"status": f"could not run: {exc}"[:600]}
    try:
        pool_id, client_id = create_peer_pool(server.endpoint)
        target = ops.Target(peer, HOST, server.port, pool_id, client_id, refresh_action="InitiateAuth")
        plan = CellPlan(
            levels=profile.levels,
            seconds=profile.seconds,
            max_ops=profile.max_ops,
            open_seconds=None,
            operations=("sign_up", "confirm", "password_sign_in", "srp_sign_in", "refresh", "get_user"),
            codes=None,
            fixed_code=CODE,
            notes=peers.SHORTCUTS[peer],
        )
        results = asyncio.run(run_cell(target, Meters(server.pids), plan, log))
        results["hosted_sign_in"] = {"status": "not offered", "note": "no hosted sign-in pages", "levels": []}
        return {"status": "ran", "processes": 1, "operations": results, "memory": memory(server)}
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        return {"status": f"could not run: {type(exc).__name__}: {exc}"[:600]}
    finally:
        server.stop()


# -- scale -------------------------------------------------------------------------------------------------


async def _scale_probe(target: ops.Target, loaded: Any, count: int, rounds: int = 3) -> dict[str, Any]:
    """Sign-ins, refreshes and GetUsers at concurrency 1, spread over the whole store, in `rounds` rounds:
    the p50 compared between store sizes is the best round's (a round that shared the cores with something
    else is slower for reasons that are not the store's); p50/p95/p99 over all rounds are kept too."""
    driver = Driver(target.host, target.port, Meters(list))
    spread = loaded.sample or loaded.real
    per = max(1, count // rounds)
    runs: dict[str, list[Any]] = {"password_sign_in": [], "srp_sign_in": [], "refresh": [], "get_user": []}
    for _ in range(rounds):
        pw = await driver.closed(ops.password_sign_in(target), ops.cycle(spread), concurrency=1, seconds=600,
                                 max_ops=per)  # fmt: skip
        srp = await driver.closed(ops.srp_sign_in(target), ops.cycle(random.sample(loaded.real, len(loaded.real))),
                                  concurrency=1, seconds=600, max_ops=per)  # fmt: skip
        tokens = [p for p in pw.products if p is not None]
        refresh = await driver.closed(ops.refresh(target), ops.cycle(tokens), concurrency=1, seconds=600,
                                      max_ops=per * 3)  # fmt: skip
        get_user = await driver.closed(ops.get_user(target), ops.cycle(tokens), concurrency=1, seconds=600,
                                       max_ops=per * 3)  # fmt: skip
        for name, level in (("password_sign_in", pw), ("srp_sign_in", srp), ("refresh", refresh),
                            ("get_user", get_user)):  # fmt: skip
            runs[name].append(level)
    out: dict[str, Any] = {}
    for name, levels in runs.items():
        p50s = [lv.percentile(50) for lv in levels if lv.latencies]
        merged = levels[0]
        for other in levels[1:]:
            merged.latencies.extend(other.latencies)
            merged.ops += other.ops
            merged.errors += other.errors
            merged.seconds += other.seconds
        summary = merged.summary()
        summary["best_round_p50_ms"] = round(min(p50s) * 1000, 3) if p50s else None
        out[name] = summary
    return out


def scale(workdir: Path, backend: str, small: int, large: int, count: int, log: Log) -> dict[str, Any]:
    cell_dir = workdir / f"scale-{backend}"
    cell_dir.mkdir(parents=True)
    if backend == "sqlite":
        return _scale(cell_dir, f"sqlite:///{cell_dir / 'pool.db'}", small, large, count, log)
    with postgres_database() as (url, _):
        return _scale(cell_dir, url, small, large, count, log)


# Scale asks what the store's size costs. Its sign-ins go through an app client that does not hide which
# users exist, so their answers are not held to the equal-time floor (api/equal_time.py): at concurrency 1
# a held answer is the floor, 1.25 x the slowest of the last 64 sign-ins, and its p50 would compare floors
# (which rise and fall with any slow sign-in) rather than lookups in a larger table.
SCALE_CLIENT = "scale"
SCALE_RESOURCE = (
    "from userpool import define_auth\n\n"
    'auth = define_auth(login_with={"email": True}, security={"rate_limits": None},\n'
    f'                   clients=[{{"name": "{SCALE_CLIENT}", "prevent_user_existence_errors": False,\n'
    '                             "auth_flows": ["USER_SRP_AUTH", "USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"]}])\n'
)  # the flows of the default client (deploy.DEFAULT_FLOWS), which the rest of the bench uses


def _scale(cell_dir: Path, url: str, small: int, large: int, count: int, log: Log) -> dict[str, Any]:
    server = start_serve(cell_dir, url, 2, resource=SCALE_RESOURCE)
    try:
        pool_id, client_id = userpool_ids(url, server.endpoint, SCALE_CLIENT)
        target = ops.Target("userpool", HOST, server.port, pool_id, client_id)
        loader = BulkLoader(url, pool_id, MASTER_KEY)
        first = loader.add(small, real_srp=min(small, 1000), sample=1000)
        log(f"    {first.users} users loaded in {first.seconds:.1f} s")
        at_small = asyncio.run(_scale_probe(target, first, count))
        second = loader.add(large - small, sample=1000)
        log(f"    {second.users} users loaded in {second.seconds:.1f} s (+{large - small})")
        at_large = asyncio.run(_scale_probe(target, second, count))
    finally:
        server.stop()
    ratios = {}
    for name in at_small:
        a, b = at_small[name]["best_round_p50_ms"], at_large[name]["best_round_p50_ms"]
        ratios[name] = round(b / a, 3) if a and b else None
    return {
        "users_small": small,
        "users_large": large,
        "bulk_seconds": {"small": round(first.seconds, 1), "large": round(second.seconds, 1)},
        "at_small": at_small,
        "at_large": at_large,
        "p50_ratio": ratios,
        "processes": 2,
    }


# -- the run -----------------------------------------------------------------------------------------------


def run(profile: Profile, *, scale_users: int | None, sections: set[str], log: Log) -> dict[str, Any]:
    result: dict[str, Any] = {
        "mode": profile.name,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "source": source(),
        "profile": {
            "levels": profile.levels,
            "seconds_per_level": profile.seconds,
            "max_ops_per_level": profile.max_ops,
            "open_loop_seconds": profile.open_seconds,
        },
    }
    t_run = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="userpool-bench-") as tmp:
        workdir = Path(tmp)
        if "bounds" in sections:
            log("bounds (argon2id, RSA-2048, SRP) per core")
            result["bounds"] = bounds.measure(profile.bound_seconds)
        if "ceiling" in sections:
            log("the generator's ceiling against a null server")
            result["generator_ceiling"] = ceiling.measure(profile.ceiling_seconds)
        if "matrix" in sections:
            result["matrix"] = []
            for backend, workers in profile.cells:
                check_stop()
                log(f"userpool on {backend}, {workers} process(es)")
                try:
                    result["matrix"].append(userpool_cell(workdir, backend, workers, profile, log))
                except Exception as exc:  # one cell failing must not lose the others' figures
                    result["matrix"].append(
                        {
                            "backend": backend,
                            "processes": workers,
                            "status": f"failed: {type(exc).__name__}: {exc}"[:800],
                        }
                    )
        if "peers" in sections:
            result["peers"] = {}
            installed = peers.install(workdir / "peers-install.log") if profile.peers else {}
            for peer in ("moto", "cognito-local"):
                check_stop()
                if not profile.peers:
                    result["peers"][peer] = {"status": "skipped in quick mode (a full run installs and runs it)"}
                    continue
                log(f"peer {peer} ({installed.get(peer)})")
                result["peers"][peer] = peer_cell(workdir, peer, profile, log)
        if "scale" in sections:
            result["scale"] = {}
            large = scale_users or profile.scale_large
            for backend in profile.scale_backends:
                check_stop()
                log(f"scale on {backend}: {profile.scale_small} → {large} users")
                result["scale"][backend] = scale(workdir, backend, profile.scale_small, large, profile.scale_ops, log)
        if "devloop" in sections:
            check_stop()
            log("developer loop (sandbox start, definition change)")
            result["devloop"] = devloop.measure(
                workdir, starts=profile.devloop_starts + 1, changes=profile.devloop_changes
            )
    result["run_seconds"] = round(time.perf_counter() - t_run, 1)
    result["machine"]["load_average_at_end"] = os.getloadavg()
    return result
