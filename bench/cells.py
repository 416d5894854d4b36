"""One cell of the matrix: every operation, at every level, against one running server.

The operations feed each other in order: sign-up makes accounts, confirmation makes them usable, the two
sign-ins make tokens, refresh and GetUser spend them. Each operation is first tried once (a probe); a
server that refuses it is recorded as not supporting it, with its answer, and skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench import ops
from bench.http import Connection
from bench.load import Driver, Level, Meters, Operation, OperationFailed

ORDER = ("sign_up", "confirm", "password_sign_in", "srp_sign_in", "refresh", "get_user", "hosted_sign_in")


@dataclass
class CellPlan:
    levels: tuple[int, ...]
    seconds: float
    max_ops: int
    open_seconds: float | None  # None: no open-loop run in this cell
    operations: tuple[str, ...] = ORDER
    codes: Callable[[list[ops.Account]], dict[str, str]] | None = None  # email → code; None: any code
    fixed_code: str = "123456"
    notes: dict[str, str] = field(default_factory=dict)  # operation → the server's shortcut


@dataclass
class CellState:
    signed_up: list[ops.Account] = field(default_factory=list)
    confirmed: list[ops.Account] = field(default_factory=list)
    tokens: list[ops.Tokens] = field(default_factory=list)


async def run_cell(
    target: ops.Target, meters: Meters, plan: CellPlan, log: Callable[[str], None], state: CellState | None = None
) -> dict[str, Any]:
    """Every operation of `plan` in order; `state` (accounts, tokens) is left for the caller to use."""
    driver = Driver(target.host, target.port, meters)
    state = state if state is not None else CellState()
    results: dict[str, Any] = {}
    for name in plan.operations:
        t0 = time.perf_counter()
        results[name] = await _operation(name, target, driver, plan, state)
        res = results[name]
        peak = max((lv["throughput_per_s"] for lv in res.get("levels", [])), default=None)
        log(f"    {name}: {res['status']} peak {peak}/s ({time.perf_counter() - t0:.1f} s)")
    return results


def _inputs(
    name: str, target: ops.Target, plan: CellPlan, state: CellState
) -> tuple[Operation, Callable[[], Iterator[Any]]]:
    if name == "sign_up":
        accounts = ops.fresh_accounts(target.name.replace(" ", ""))
        return ops.sign_up(target), lambda: accounts
    if name == "confirm":
        return ops.confirm(target), lambda: iter(_confirmations(plan, state))
    if name in ("password_sign_in", "hosted_sign_in"):
        op = ops.password_sign_in(target) if name == "password_sign_in" else ops.hosted_sign_in(target)
        return op, lambda: ops.cycle(state.confirmed)
    if name == "srp_sign_in":
        return ops.srp_sign_in(target), lambda: ops.cycle(state.confirmed)
    if name == "refresh":
        return ops.refresh(target), lambda: ops.cycle(list(state.tokens))
    if name == "get_user":
        return ops.get_user(target), lambda: ops.cycle(list(state.tokens))
    raise ValueError(name)


def _confirmations(plan: CellPlan, state: CellState) -> list[tuple[ops.Account, str]]:
    waiting = [a for a in state.signed_up if a not in state.confirmed]
    if plan.codes is None:
        return [(a, plan.fixed_code) for a in waiting]
    codes = plan.codes(waiting)
    return [(a, codes[a.email.lower()]) for a in waiting if a.email.lower() in codes]


async def _probe(op: Operation, target: ops.Target, inputs: Iterator[Any]) -> tuple[bool, str, Any]:
    conn = Connection(target.host, target.port)
    try:
        outcome = await op(conn, next(inputs))
        return True, "", outcome.product
    except StopIteration:
        return False, "no input: an earlier operation produced nothing to use", None
    except (OperationFailed, OSError, ValueError, KeyError) as exc:
        return False, f"{type(exc).__name__}: {exc}"[:400], None
    finally:
        await conn.close()


async def _operation(name: str, target: ops.Target, driver: Driver, plan: CellPlan, state: CellState) -> dict[str, Any]:
    op, make_inputs = _inputs(name, target, plan, state)
    out: dict[str, Any] = {"note": plan.notes.get(name, "")}
    inputs = make_inputs()
    if name != "confirm":  # a probe would spend one of the few confirmations
        ok, error, product = await _probe(op, target, inputs)
        if not ok:
            return {**out, "status": "not supported", "error": error, "levels": []}
        _keep(name, state, [product])
    levels: list[Level] = []
    if name == "confirm":  # a code confirms once: each level gets its share of the accounts waiting
        waiting = list(inputs)
        shares = [iter(waiting[i :: len(plan.levels)]) for i in range(len(plan.levels))]
    for i, concurrency in enumerate(plan.levels):
        if name == "confirm":
            inputs = shares[i]
        level = await driver.closed(op, inputs, concurrency=concurrency, seconds=plan.seconds, max_ops=plan.max_ops)
        _keep(name, state, level.products)
        levels.append(level)
    out["levels"] = [lv.summary() for lv in levels]
    errors = sum(lv.errors for lv in levels)
    out["status"] = "ok" if errors == 0 else f"{errors} errors"
    if errors:
        out["error"] = next(lv.first_error for lv in levels if lv.first_error)
    peak = max(levels, key=lambda lv: lv.throughput)
    out["peak"] = peak.summary()
    if plan.open_seconds and name != "confirm" and peak.throughput > 0:
        rate = peak.throughput / 2
        opened = await driver.open(op, make_inputs(), rate=rate, seconds=plan.open_seconds)
        _keep(name, state, opened.products)
        out["half_peak"] = opened.summary()
    return out


def _keep(name: str, state: CellState, products: list[Any]) -> None:
    products = [p for p in products if p is not None]
    if name == "sign_up":
        state.signed_up.extend(products)
    elif name == "confirm":
        state.confirmed.extend(products)
    elif name in ("password_sign_in", "srp_sign_in"):
        state.tokens.extend(products)
        del state.tokens[:-5000]  # enough to spread refreshes and GetUsers over many families
