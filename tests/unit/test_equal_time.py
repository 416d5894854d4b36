"""The equal-time floor (api/equal_time.py): what it learns from and forgets, which requests it holds back,
and that holding an answer back never holds a worker thread. No timed assertions: the clock is injected,
and the padding is read from the sleeps asked for, not measured."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.pool import PoolHarness
from userpool import waits
from userpool.api import equal_time, threads
from userpool.api.equal_time import Floor
from userpool.core.errors import NotAuthorizedException
from userpool.core.identity import find_user


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def floor(clock: Clock, **settings: float) -> Floor:
    options: dict[str, Any] = {"minimum": 0.01, "maximum": 3.0, "margin": 1.25, "window": 4, "age": 100.0}
    return Floor(**{**options, **settings}, clock=clock)


def test_a_fresh_floor_is_the_minimum() -> None:
    assert floor(Clock()).value() == 0.01


def test_a_known_answer_raises_the_floor_by_the_margin() -> None:
    f = floor(Clock())
    f.observe(0.2)
    assert f.value() == pytest.approx(0.25)


def test_the_floor_is_the_slowest_recent_known_answer() -> None:
    clock = Clock()
    f = floor(clock)
    for seconds in (0.1, 0.4, 0.2):
        f.observe(seconds)
        clock.t += 1
    assert f.value() == pytest.approx(0.5)


def test_a_peak_stops_holding_after_a_window_of_quicker_answers() -> None:
    clock = Clock()
    f = floor(clock)
    f.observe(0.8)  # a load peak
    for _ in range(3):
        f.observe(0.1)
    assert f.value() == pytest.approx(1.0)  # still in the window (4)
    f.observe(0.1)
    assert f.value() == pytest.approx(0.125)


def test_old_answers_stop_counting_but_the_newest_always_counts() -> None:
    clock = Clock()
    f = floor(clock)
    f.observe(0.8)
    clock.t += 60
    f.observe(0.2)
    clock.t += 50  # the 0.8 is 110 s old now: past the age (100 s)
    assert f.value() == pytest.approx(0.25)
    clock.t += 10_000  # nothing recent at all: the newest still holds, so a quiet spell opens no gap
    assert f.value() == pytest.approx(0.25)


def test_the_floor_never_falls_below_the_minimum() -> None:
    f = floor(Clock())
    f.observe(0.001)
    assert f.value() == 0.01


def test_the_floor_never_rises_above_the_maximum() -> None:
    f = floor(Clock())
    f.observe(60.0)  # a mail server that timed out
    assert f.value() == 3.0


@pytest.mark.parametrize(
    ("action", "body", "key"),
    [
        ("InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH"}, "InitiateAuth:USER_PASSWORD_AUTH"),
        ("InitiateAuth", {"AuthFlow": "USER_SRP_AUTH"}, "InitiateAuth:USER_SRP_AUTH"),
        ("InitiateAuth", {"AuthFlow": "CUSTOM_AUTH"}, "InitiateAuth:CUSTOM_AUTH"),
        ("InitiateAuth", {"AuthFlow": "REFRESH_TOKEN_AUTH"}, None),
        ("RespondToAuthChallenge", {"ChallengeName": "PASSWORD_VERIFIER"}, "RespondToAuthChallenge:PASSWORD_VERIFIER"),
        ("ForgotPassword", {}, "ForgotPassword"),
        ("ConfirmForgotPassword", {}, "ConfirmForgotPassword"),
        ("ConfirmSignUp", {}, "ConfirmSignUp"),
        ("ResendConfirmationCode", {}, "ResendConfirmationCode"),
        ("SignUp", {}, None),
        ("GetUser", {}, None),
    ],
)
def test_which_requests_are_held(action: str, body: dict[str, Any], key: str | None) -> None:
    assert equal_time.api_key(action, body) == key


# -- holding answers back --------------------------------------------------------------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The waits asked for, in seconds from when they were asked (not waited: the answer leaves at once)."""
    asked: list[float] = []

    async def recording(deadline: float) -> None:
        asked.append(deadline - time.perf_counter())

    monkeypatch.setattr(equal_time, "wait_until", recording)
    yield asked


def test_waits_end_at_their_deadlines_in_order_never_early() -> None:
    woke: list[tuple[int, float, float]] = []

    async def one(i: int, deadline: float) -> None:
        await equal_time.wait_until(deadline)
        woke.append((i, deadline, time.perf_counter()))

    async def main() -> None:
        now = time.perf_counter()
        deadlines = [now + 0.05 - i * 0.0003 for i in range(20)]  # given latest first, 0.3 ms apart
        await asyncio.gather(*(one(i, d) for i, d in enumerate(deadlines)), equal_time.wait_until(now - 1.0))

    asyncio.run(main())
    assert [i for i, _, _ in woke] == list(range(19, -1, -1))
    assert all(at >= deadline for _, deadline, at in woke)


def test_a_cancelled_wait_leaves_the_timer_working() -> None:
    async def main() -> bool:
        now = time.perf_counter()
        waiting = asyncio.ensure_future(equal_time.wait_until(now + 0.02))
        await asyncio.sleep(0)
        waiting.cancel()
        await equal_time.wait_until(now + 0.04)
        return waiting.cancelled()

    assert asyncio.run(main())


def _legacy_client(h: PoolHarness) -> str:
    """A second client of the pool, with PreventUserExistenceErrors LEGACY."""
    with h.store.begin() as tx:
        client = tx.get_client(h.client_id)
        assert client is not None and client.prevent_user_existence_errors
        tx.put_client(dataclasses.replace(client, id="legacyclient0000000000000", prevent_user_existence_errors=False))
    return "legacyclient0000000000000"


def _held(h: PoolHarness, client_id: str, *, fails: bool = False) -> Any:
    def flow() -> str:
        if fails:
            raise NotAuthorizedException("Incorrect username or password.")
        return "done"

    return asyncio.run(equal_time.run(h.pool, "test", client_id, flow))


def test_answers_and_errors_alike_wait_for_the_floor(harness: PoolHarness, sleeps: list[float]) -> None:
    equal_time.for_pool(harness.pool).floors["test"] = Floor(minimum=0.5)
    assert _held(harness, harness.client_id) == "done"
    with pytest.raises(NotAuthorizedException):
        _held(harness, harness.client_id, fails=True)
    assert len(sleeps) == 2
    assert all(0.4 < s < 0.5 for s in sleeps), sleeps  # the floor less the flow's own (short) time


def test_clients_that_show_existence_are_not_held(harness: PoolHarness, sleeps: list[float]) -> None:
    equal_time.for_pool(harness.pool).floors["test"] = Floor(minimum=0.5)
    _held(harness, _legacy_client(harness))
    _held(harness, "no-such-client")
    assert sleeps == []


def _found_user(h: PoolHarness, name: str) -> Callable[[], str]:
    def flow() -> str:
        h.pool.run(lambda ctx: find_user(ctx, name))  # a flow that looks the name up, as the naming flows do
        return "done"

    return flow


def test_only_answers_about_existing_users_feed_the_floor(harness: PoolHarness, sleeps: list[float]) -> None:
    equal_time.for_pool(harness.pool).floors["test"] = f = Floor(minimum=0.0)
    email = f"known-{time.time_ns()}@example.com"
    harness.confirmed_user(email)

    def held(flow: Callable[[], str], client_id: str) -> None:
        asyncio.run(equal_time.run(harness.pool, "test", client_id, flow))

    for _ in range(20):  # an attacker's probes of names no user has: the floor learns nothing from them
        held(_found_user(harness, "nobody@example.com"), harness.client_id)
    assert f.value() == 0.0
    held(_found_user(harness, email), _legacy_client(harness))  # not held, still an answer about a real user
    assert f.value() > 0.0


def test_the_pools_floors_are_its_own(harness: PoolHarness, pool_with: Any) -> None:
    other = pool_with()
    assert equal_time.for_pool(harness.pool) is equal_time.for_pool(harness.pool)
    assert equal_time.for_pool(harness.pool) is not equal_time.for_pool(other.pool)


def test_padding_holds_no_thread(harness: PoolHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fifty requests held back together, on one worker thread: every flow runs before any answer leaves.
    Were the padding done on the thread, each answer would leave before the next flow could start."""
    executor = ThreadPoolExecutor(1, thread_name_prefix="equal-time-test")
    monkeypatch.setattr(threads, "_pool", lambda: executor)
    equal_time.for_pool(harness.pool).hides(harness.client_id)  # the client's setting cached: no store reads below
    equal_time.for_pool(harness.pool).floors["test"] = Floor(minimum=2.0)
    events: list[str] = []

    def flow(i: int) -> int:
        events.append(f"ran {i}")
        return i

    async def one(i: int) -> None:
        await equal_time.run(harness.pool, "test", harness.client_id, flow, i)
        events.append(f"answered {i}")

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(50)))

    try:
        asyncio.run(main())
    finally:
        executor.shutdown()
    ran = [i for i, e in enumerate(events) if e.startswith("ran")]
    answered = [i for i, e in enumerate(events) if e.startswith("answered")]
    assert len(ran) == len(answered) == 50
    assert max(ran) < min(answered), events


def test_the_flows_own_arguments_pass_through(harness: PoolHarness, sleeps: list[float]) -> None:
    """The hosted forms' flows take `client_id` too: it must reach the flow, not collide with run's own."""

    def flow(*, client_id: str, username: str) -> str:
        return f"{client_id}/{username}"

    held = equal_time.run(harness.pool, "test", harness.client_id, flow, client_id="c", username="u")
    assert asyncio.run(held) == "c/u"


def test_a_queue_every_name_stands_in_is_not_the_flows_own_time(harness: PoolHarness, sleeps: list[float]) -> None:
    """A flow that queued 0.3 s for an argon2id slot (or an up-front write lock) and then worked briefly:
    the floor learns the work only, and the answer is held to the floor counted from the end of the queue."""
    equal_time.for_pool(harness.pool).floors["test"] = f = Floor(minimum=0.5)
    email = f"queued-{time.time_ns()}@example.com"
    harness.confirmed_user(email)

    def flow() -> str:
        with waits.waiting():
            time.sleep(0.3)  # in the queue
        harness.pool.run(lambda ctx: find_user(ctx, email))
        return "done"

    asyncio.run(equal_time.run(harness.pool, "test", harness.client_id, flow))
    assert f.value() == 0.5  # the work (a lookup) times the margin is far below the minimum: not 0.3 s of it
    assert len(sleeps) == 1 and 0.4 < sleeps[0] < 0.5, sleeps  # the floor after the queue, less the work


def test_waits_are_counted_per_thread_and_lock_waits_only_when_asked() -> None:
    waits.reset()
    with waits.waiting():
        time.sleep(0.01)
    assert waits.total() >= 0.01
    assert not waits.counting_lock_waits()
    before = waits.total()
    with waits.lock_wait():  # not within up_front_lock_waits: not counted
        time.sleep(0.01)
    assert waits.total() == before
    with waits.up_front_lock_waits():
        assert waits.counting_lock_waits()
        with waits.lock_wait():
            time.sleep(0.01)
    assert waits.total() >= before + 0.01
    assert not waits.counting_lock_waits()
    seen: list[float] = []
    other = threading.Thread(target=lambda: seen.append(waits.total()))
    other.start()
    other.join()
    assert seen == [0.0]  # another thread's count is its own
