"""Equal answer times for requests that name a user, where the app client hides whether users exist.

With PreventUserExistenceErrors ENABLED (every client's default) an unknown name gets the same answer as a
known user with a wrong secret, and the flows do the same argon2id work for both. What they cannot do
honestly is the known path's other work: loading and unsealing a verifier, issuing a code, composing,
recording and delivering its message (with SMTP, a network round trip), counting a wrong code. So the
async layers hold the answer back instead: each kind of request (an action, an auth flow, a hosted form)
has a floor per pool and process, and its answer — success or error alike — leaves no sooner than the
floor after its flow started. The request waits for that on the event loop, so no worker thread waits for
the padding; one timer thread per process wakes every waiting request at its deadline (`_Timer`: the
loop's own timers round each wait up to a whole millisecond from whenever the loop asks, and that rounding
would carry the sub-millisecond part of the flow's own duration into the answer time).

The floor (`Floor`) learns only from answers about users that exist (the flow found a user by the name it
was given: `service.FOUND_NAMED_USER`): it is the slowest of the last `WINDOW` such answers within `AGE`
seconds, times `MARGIN`, never below `MINIMUM` nor above `MAXIMUM`; when all of them are older, the newest
one still counts. Known and unknown names alike take max(natural, floor), and a known answer is never
slower than the floor unless it is slower than every recent one by the margin. Names no user has never
move a floor, so an attacker's probes cannot wear it down; and a burst of slow answers (a load peak) stops
holding every answer as soon as `WINDOW` quicker known answers, or `AGE` seconds, have passed. What is
timed, held and learnt is the flow's own time on its worker thread (its unit of work, commit and
delivery), less any wait for an argon2id slot or an up-front write lock (`userpool/waits.py`): those
waits, and what comes before the flow (parsing, the rate-limit hop, waiting for a free worker thread), do
not depend on the name, and counting them would make every floor follow the server's queueing — a loaded
server would hold each answer to its worst recent queue, and a closed loop of clients would get slower
answers.

Residual leak (docs/security-defences.md): in a fresh process, the first known-path answer of each kind
comes before any floor has learnt it (one name per action per process start); a known answer slower than
MARGIN times every recent one (a mail server suddenly slower) shows, once, and raises the floor; natural
durations above `MAXIMUM` (a mail server slower than that) are not covered.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from userpool import waits
from userpool.api.threads import run_sync
from userpool.core.context import Ctx
from userpool.service import FOUND_NAMED_USER, UserPool

P = ParamSpec("P")
R = TypeVar("R")

MARGIN = 1.25  # above the slowest recent known answer: a known path's ordinary jitter stays under the floor
WINDOW = 64  # known answers a floor remembers: a load peak stops holding answers after this many quicker ones
AGE = 300.0  # seconds a known answer counts for (the newest always counts, however old)
MINIMUM = 0.005  # seconds: a fresh process's floor
MAXIMUM = 3.0  # seconds: one outlier (a stalled mail server) must not slow every answer
CLIENT_TTL = 2.0  # seconds a client's PreventUserExistenceErrors is remembered (the store's client cache: as long)

# InitiateAuth's flows that name a user (REFRESH_TOKEN_AUTH names a token, not a user).
NAMING_FLOWS = frozenset({"USER_PASSWORD_AUTH", "USER_SRP_AUTH", "CUSTOM_AUTH", "USER_AUTH"})
# The JSON actions that name a user and answer alike for an unknown one when the client hides users.
NAMING_ACTIONS = frozenset(
    {"RespondToAuthChallenge", "ForgotPassword", "ConfirmForgotPassword", "ConfirmSignUp", "ResendConfirmationCode"}
)


class Floor:
    """The least time one kind of request takes: the slowest recent answer about a user that exists, times
    the margin. Used from the event loop and (in tests) from threads, under a lock."""

    def __init__(
        self,
        *,
        minimum: float = MINIMUM,
        maximum: float = MAXIMUM,
        margin: float = MARGIN,
        window: int = WINDOW,
        age: float = AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.minimum, self.maximum, self.margin, self.age = minimum, maximum, margin, age
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: deque[tuple[float, float]] = deque(maxlen=window)  # (when, seconds with the margin)

    def value(self) -> float:
        """The floor now, in seconds."""
        with self._lock:
            if not self._recent:
                return self.minimum
            oldest = self._clock() - self.age
            held = max((s for at, s in self._recent if at >= oldest), default=self._recent[-1][1])
        return min(self.maximum, max(self.minimum, held))

    def observe(self, seconds: float) -> None:
        """How long the flow of an answer about a user that exists took."""
        with self._lock:
            self._recent.append((self._clock(), min(self.maximum, seconds * self.margin)))


def _client_hides(ctx: Ctx, client_id: str) -> bool | None:
    client = ctx.tx.get_client(client_id)
    if client is None or client.pool_id != ctx.pool.pool_id:
        return None
    return client.prevent_user_existence_errors


class EqualTime:
    """One pool's floors (by kind of request) and its clients' PreventUserExistenceErrors, in this process."""

    def __init__(self, pool: UserPool, clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = weakref.ref(pool)
        self._clock = clock
        self._lock = threading.Lock()
        self.floors: dict[str, Floor] = {}  # keys come from a closed set (NAMING_*, the forms): bounded
        self._clients: dict[str, tuple[float, bool]] = {}  # client id → (expires, hides); existing clients only

    def floor(self, key: str) -> Floor:
        with self._lock:
            found = self.floors.get(key)
            if found is None:
                found = self.floors[key] = Floor()
            return found

    def hides(self, client_id: str) -> bool:
        """Whether the client hides users (blocking: may read the store; call it on a worker thread).
        An unknown client hides nobody (its requests are refused before any name is looked up)."""
        cached = self._clients.get(client_id)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        pool = self._pool()
        if pool is None:
            return True
        try:
            found = pool.run(_client_hides, client_id)
        except Exception:  # the store is busy or failing: padding costs only time, an unpadded answer may leak
            return True
        if found is None:
            return False
        with self._lock:
            self._clients[client_id] = (self._clock() + CLIENT_TTL, found)
        return found


_REGISTRY: dict[int, EqualTime] = {}
_REGISTRY_LOCK = threading.Lock()


def for_pool(pool: UserPool) -> EqualTime:
    """The pool's `EqualTime`, made on first use and dropped with the pool."""
    with _REGISTRY_LOCK:
        found = _REGISTRY.get(id(pool))
        if found is None:
            found = _REGISTRY[id(pool)] = EqualTime(pool)
            weakref.finalize(pool, _REGISTRY.pop, id(pool), None)
        return found


def api_key(action: str, body: dict[str, Any]) -> str | None:
    """The floor a JSON request is held to, or None for one that names no user (not padded)."""
    if action == "InitiateAuth":
        flow = body.get("AuthFlow")
        return f"{action}:{flow}" if flow in NAMING_FLOWS else None
    if action == "RespondToAuthChallenge":
        return f"{action}:{body.get('ChallengeName')}"  # an enum member: shape validation came first
    return action if action in NAMING_ACTIONS else None


class _Timer:
    """Wakes waiting requests at their deadlines (`time.perf_counter` seconds), to the microsecond, from one
    daemon thread per process, started on first use (again in a forked child)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, Callable[[], object]]] = []  # a heap, soonest first
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def at(self, deadline: float, wake: Callable[[], object]) -> None:
        with self._cond:
            heapq.heappush(self._due, (deadline, next(self._order), wake))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="userpool-equal-time", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._due:
                    self._cond.wait()
                    continue
                deadline, _, wake = self._due[0]
                left = deadline - time.perf_counter()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._due)
                with contextlib.suppress(RuntimeError):  # its event loop has closed: nobody waits any more
                    wake()


_TIMER = _Timer()


def _done(future: asyncio.Future[None]) -> None:
    if not future.done():  # cancelled meanwhile
        future.set_result(None)


async def wait_until(deadline: float) -> None:
    """Return at `deadline` (`time.perf_counter` seconds), without holding a thread or the loop."""
    if deadline <= time.perf_counter():
        return
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    _TIMER.at(deadline, lambda: loop.call_soon_threadsafe(_done, future))
    await future


class _Watch:
    started = 0.0  # `time.perf_counter()` when the flow started on its worker thread
    waited = 0.0  # seconds of that in a queue every name stands in alike (userpool/waits.py)
    took = 0.0  # seconds from then to the flow's end, less `waited`
    hides = True
    known = False  # the flow found a user by the name it was given


async def run(pool: UserPool, key: str, client_id: str, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """`fn(*args, **kwargs)` on a worker thread; its answer or error, if `client_id` hides users, not
    before `key`'s floor has passed since it started. Cancellation is not held (nobody waits for it)."""
    equal = for_pool(pool)
    floor = equal.floor(key)
    watch = _Watch()

    def work() -> R:
        FOUND_NAMED_USER.set(False)  # this thread's copy of the request's context: the flow below sets it
        waits.reset()
        watch.started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            watch.waited = waits.total()
            watch.took = time.perf_counter() - watch.started - watch.waited
            watch.known = FOUND_NAMED_USER.get()
            watch.hides = equal.hides(client_id)  # after the clock stopped: the same for every name

    try:
        result = await run_sync(work)
    except Exception:
        await _hold(floor, watch)
        raise
    await _hold(floor, watch)
    return result


async def _hold(floor: Floor, watch: _Watch) -> None:
    target = floor.value()  # before this request's own duration can raise it
    if watch.known:  # names no user has never move a floor: probes cannot wear it down
        floor.observe(watch.took)
    if watch.hides:
        await wait_until(watch.started + watch.waited + target)
