"""The benchmark suite's smoke run (`python -m bench --quick`): every section runs and lands in the JSON.

Only shapes are checked, never a timing: the figures of a quick run on a shared machine mean nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("bounds", "generator_ceiling", "matrix", "peers", "scale", "devloop")
OPERATIONS = ("sign_up", "confirm", "password_sign_in", "srp_sign_in", "refresh", "get_user", "hosted_sign_in")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], str]:
    out = tmp_path_factory.mktemp("bench-results")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    stamped = [p for p in out.glob("*.json") if p.name != "latest.json"]
    assert len(stamped) == 1
    latest = json.loads((out / "latest.json").read_text())
    assert latest == json.loads(stamped[0].read_text())
    return latest, done.stdout


def test_every_section_is_in_the_json(quick_run: tuple[dict[str, object], str]) -> None:
    result, _ = quick_run
    assert result["mode"] == "quick"
    for section in SECTIONS:
        assert section in result, section
    machine = result["machine"]
    assert isinstance(machine, dict) and machine["nproc"] and machine["python"]


def test_every_operation_ran_against_userpool(quick_run: tuple[dict[str, object], str]) -> None:
    result, _ = quick_run
    matrix = result["matrix"]
    assert isinstance(matrix, list) and matrix
    cell = matrix[0]
    assert cell["backend"] == "sqlite", cell
    for name in OPERATIONS:
        op = cell["operations"][name]
        assert op["status"] == "ok", (name, op)
        for level in op["levels"]:
            assert level["ops"] > 0
            assert {"throughput_per_s", "p50_ms", "p95_ms", "p99_ms", "server_cpu_ms_per_op"} <= set(level)
    assert cell["token_verifier"]["ops"] > 0
    assert cell["memory"]["max_peak_mib"] > 0


def test_bounds_scale_devloop_and_peers_have_their_figures(quick_run: tuple[dict[str, object], str]) -> None:
    result, _ = quick_run
    bounds = result["bounds"]
    for name in ("argon2id_verify", "rsa2048_sign", "srp_server"):
        assert bounds[name]["per_core_per_s"] > 0
    assert set(result["generator_ceiling"]) >= {"raw_client", "httpx"}
    scale = result["scale"]["sqlite"]
    assert set(scale["p50_ratio"]) == {"password_sign_in", "srp_sign_in", "refresh", "get_user"}
    devloop = result["devloop"]
    assert devloop["sandbox_start_cold_s"] > 0 and devloop["change_live_s"]
    assert set(result["peers"]) == {"moto", "cognito-local"}


def test_the_printed_table_marks_every_target(quick_run: tuple[dict[str, object], str]) -> None:
    _, table = quick_run
    for heading in ("## Targets", "## Bounds", "## userpool", "## Peers", "## Scale", "## Developer loop"):
        assert heading in table
    for target in ("password sign-in ≥ 85%", "SRP sign-in server CPU", "sandbox ready", "server memory"):
        assert target in table
