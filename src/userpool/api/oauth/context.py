"""What every OAuth endpoint and hosted page needs from the request: the pool, and a way to run a flow."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from userpool.core.context import Ctx
from userpool.service import UserPool

P = ParamSpec("P")
R = TypeVar("R")


def pool_of(request: Request) -> UserPool:
    pool: UserPool = request.app.state.pool
    return pool


def loopback_allowed(request: Request) -> bool:
    """In the sandbox any loopback redirect URI is accepted (RFC 8252 §7.3); `serve` matches exactly."""
    return bool(getattr(request.app.state, "sandbox", False))


async def run_flow(request: Request, flow: Callable[Concatenate[Ctx, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
    """One flow, one unit of work, off the event loop (the store is synchronous)."""
    return await run_in_threadpool(functools.partial(pool_of(request).run, flow, *args, **kwargs))
