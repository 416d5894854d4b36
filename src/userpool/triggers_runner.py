"""Running the definition's trigger callables with a time limit (`core.ports.TriggerRunner`).

Each call runs on its own daemon thread; the caller waits at most the limit (Cognito's 5 seconds, or
`max_seconds` when given — tests set it low). A call that overruns is abandoned: Python cannot stop a
thread, so it runs on in the background until it returns, and whatever it does then (a database write,
an HTTP call) is its own business — the pool has already failed the action (UnexpectedLambdaException)
and written nothing, and it never reads the abandoned call's event or result.

A trigger is called as `fn(event)` or, when it takes two positional arguments like a Lambda handler,
`fn(event, context)` with a small Lambda-style context. An `async def` trigger is run to completion on
its thread's own event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from userpool.core.ports import TriggerCall

log = logging.getLogger("userpool.triggers")


class LambdaContext:
    """The parts of AWS Lambda's context object a ported handler is likely to touch."""

    function_version = "$LATEST"
    memory_limit_in_mb = 128

    def __init__(self, name: str, deadline: float, clock: Callable[[], float]) -> None:
        self.function_name = name
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = deadline
        self._clock = clock

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock()) * 1000))


def _takes_context(fn: Callable[..., object]) -> bool:
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # some builtins have no signature: call them with the event only
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


async def _await(awaitable: Any) -> object:
    return await awaitable


class ThreadTriggerRunner:
    """`max_seconds`: the limit to enforce instead of the one the core asks for (None: the core's)."""

    def __init__(self, max_seconds: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_seconds = max_seconds
        self.clock = clock

    def run(self, name: str, fn: Callable[..., object], event: dict[str, Any], *, timeout: float) -> TriggerCall:
        limit = timeout if self.max_seconds is None else self.max_seconds
        started = self.clock()
        args: tuple[object, ...] = (event,)
        if _takes_context(fn):
            args = (event, LambdaContext(name, started + limit, self.clock))
        outcome: dict[str, object] = {}

        def call() -> None:
            try:
                result = fn(*args)
                if inspect.isawaitable(result):
                    coroutine: Coroutine[Any, Any, object] = _await(result)
                    result = asyncio.run(coroutine)
                outcome["returned"] = result
            except BaseException as err:  # whatever the trigger raised fails the action
                outcome["error"] = err

        context = contextvars.copy_context()
        worker = threading.Thread(target=context.run, args=(call,), name=f"trigger-{name}", daemon=True)
        worker.start()
        worker.join(limit)
        seconds = self.clock() - started
        if worker.is_alive():
            return TriggerCall(timed_out=True, seconds=seconds)
        error = outcome.get("error")
        if isinstance(error, BaseException):
            log.warning("trigger %s raised %s", name, type(error).__name__, exc_info=error)
            return TriggerCall(error=error, seconds=seconds)
        return TriggerCall(returned=outcome.get("returned"), seconds=seconds)

    def record(self, name: str, source: str, seconds: float, outcome: str) -> None:
        level = logging.INFO if outcome == "ok" else logging.WARNING
        log.log(level, "trigger %s (%s): %s in %.3f s", name, source, outcome, seconds)
