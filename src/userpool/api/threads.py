"""The worker threads that run flows (blocking: SQL, argon2id) off the event loop, one pool per process.

A plain `ThreadPoolExecutor` handed work with `loop.run_in_executor` costs less per request than
Starlette's `run_in_threadpool` (anyio's thread pool, measured at over a quarter of a GetUser's CPU before
it was replaced): the hand-off is a lock-free queue put and one wake-up, with no capacity limiter around
it. `THREADS` matches the store's connection pool (`store/sql/engine.py` POOL_SIZE), so a flow never waits
for a connection while a thread is free, and the memory argon2id may take stays bounded by its own
slots (`crypto/passwords.py`, `crypto/argon2id.py`), not by this number.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

THREADS = 16

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _pool() -> ThreadPoolExecutor:
    # Made on first use, in the process (worker) that serves. Its threads start as work arrives.
    return ThreadPoolExecutor(THREADS, thread_name_prefix="userpool-flow")


async def run_sync(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run `fn` on a worker thread with this task's context variables, and wait for it without blocking."""
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), lambda: context.run(fn, *args, **kwargs))
