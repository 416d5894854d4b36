"""Races the store must settle in the database, on each backend: threads with their own transactions, and
server processes sharing one database."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

import pytest

from userpool.core.errors import StoreConflict
from userpool.store.sql import SqlStore

from . import records as r

if TYPE_CHECKING:
    from .conftest import Backend

T = TypeVar("T")
HOLD = 0.3  # how long the first transaction keeps its locks while the second one waits


def _run_together(*jobs: Callable[[], T]) -> list[T]:
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [f.result(timeout=60) for f in futures]


def test_twenty_threads_one_email_exactly_one_wins(store: SqlStore) -> None:
    start = threading.Barrier(20)

    def sign_up(i: int) -> str:
        user = r.user(f"sub-{i:02d}", f"username:user{i}", "email:same@example.com")
        start.wait(timeout=30)
        try:
            with store.begin() as tx:
                tx.insert_user(user)
        except StoreConflict:
            return "conflict"
        return "ok"

    outcomes = _run_together(*(lambda i=i: sign_up(i) for i in range(20)))
    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"]
    with store.begin() as tx:
        assert tx.count_users(r.POOL) == 1
        winner = tx.find_user(r.POOL, "email:same@example.com")
        assert winner is not None
        (own_key,) = winner.login_keys - {"email:same@example.com"}
        assert tx.find_user(r.POOL, own_key) == winner  # the winner's other key was written too


def test_authorization_code_taken_by_exactly_one_of_many_simultaneous_callers(store: SqlStore) -> None:
    codes = [f"ac-{n}" for n in range(5)]
    with store.begin() as tx:
        for code_hash in codes:
            tx.put_authorization_code(r.authorization_code(code_hash))
    for code_hash in codes:
        start = threading.Barrier(8)

        def take(code_hash: str = code_hash, start: threading.Barrier = start) -> bool:
            start.wait(timeout=30)
            with store.begin() as tx:
                return tx.take_authorization_code(code_hash) is not None

        assert sorted(_run_together(*[take] * 8)) == [False] * 7 + [True]


def test_authorization_code_race_the_second_taker_waits_and_finds_nothing(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_authorization_code(r.authorization_code("ac-1"))
    taken = threading.Event()

    def first() -> tuple[bool, float]:
        with store.begin() as tx:
            got = tx.take_authorization_code("ac-1")
            taken.set()
            time.sleep(HOLD)  # the second caller is now blocked on our lock
        return got is not None, 0.0

    def second() -> tuple[bool, float]:
        assert taken.wait(timeout=30)
        started = time.monotonic()
        with store.begin() as tx:
            got = tx.take_authorization_code("ac-1")
        return got is not None, time.monotonic() - started

    (first_got, _), (second_got, waited) = _run_together(first, second)
    assert (first_got, second_got) == (True, False)
    assert waited > HOLD / 2  # it really overlapped with the first transaction


def test_authorization_code_goes_to_the_waiting_taker_when_the_first_rolls_back(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.put_authorization_code(r.authorization_code("ac-1"))
    taken = threading.Event()

    def first() -> bool:
        try:
            with store.begin() as tx:
                assert tx.take_authorization_code("ac-1") is not None
                taken.set()
                time.sleep(HOLD)
                raise RuntimeError("the request failed after taking the code")
        except RuntimeError:
            return False

    def second() -> bool:
        assert taken.wait(timeout=30)
        with store.begin() as tx:
            return tx.take_authorization_code("ac-1") is not None

    assert _run_together(first, second) == [False, True]


def test_update_user_race_the_second_writer_conflicts(store: SqlStore) -> None:
    with store.begin() as tx:
        tx.insert_user(r.user("sub-1"))
        read = tx.get_user(r.POOL, "sub-1")
    assert read is not None
    updated = threading.Event()

    def first() -> str:
        with store.begin() as tx:
            tx.update_user(replace(read, username="first"))
            updated.set()
            time.sleep(HOLD)
        return "ok"

    def second() -> str:
        assert updated.wait(timeout=30)
        try:
            with store.begin() as tx:
                tx.update_user(replace(read, username="second"))
        except StoreConflict:
            return "conflict"
        return "ok"

    assert _run_together(first, second) == ["ok", "conflict"]
    with store.begin() as tx:
        stored = tx.get_user(r.POOL, "sub-1")
        assert stored is not None
        assert (stored.username, stored.version) == ("first", 1)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # SQLite writers take turns: no deadlocks
def test_a_deadlock_between_writers_is_a_store_conflict(backend: Backend) -> None:
    store = backend.open()
    a_holds, b_holds = threading.Event(), threading.Event()

    def writer(first: str, second: str, mine: threading.Event, theirs: threading.Event) -> str:
        with store.begin() as tx:
            tx.insert_user(r.user(f"{first}-1", f"email:{first}"))
            mine.set()
            assert theirs.wait(timeout=30)
            try:
                # Each now waits for the other's key: PostgreSQL breaks the cycle by failing one (after
                # deadlock_timeout); the other then finds the key taken once the first commits.
                tx.insert_user(r.user(f"{first}-2", f"email:{second}"))
            except StoreConflict:
                return "conflict"
            return "ok"

    outcomes = _run_together(
        lambda: writer("a", "b", a_holds, b_holds),
        lambda: writer("b", "a", b_holds, a_holds),
    )
    assert outcomes == ["conflict", "conflict"]
    with store.begin() as tx:  # each kept its first user: a conflict undoes only the write that lost
        assert {u.sub for key in ("email:a", "email:b") if (u := tx.find_user(r.POOL, key))} == {"a-1", "b-1"}


# A server process in miniature: open the store (migrating a database nobody opened yet), wait for the
# signal, then sign up its own users and one user that every process tries to claim.
_WORKER = """
import json, sys
from userpool.core.errors import StoreConflict
from userpool.core.model import User, UserStatus
from userpool.crypto.sealing import Sealer
from userpool.store.sql import open_store

url, schema, worker, count = sys.argv[1], sys.argv[2] or None, sys.argv[3], int(sys.argv[4])
store = open_store(url, Sealer(bytes(range(32))), schema=schema)
print("ready", flush=True)
sys.stdin.readline()
results = []
for i in range(count + 1):
    key = "email:everyone@example.com" if i == count else f"username:{worker}-{i}"
    user = User(pool_id="p_1", username=key, sub=f"{worker}-{i}", status=UserStatus.CONFIRMED,
                attributes={}, created_at=0.0, updated_at=0.0, login_keys=frozenset({key}))
    try:
        with store.begin() as tx:
            tx.insert_user(user)
        results.append("ok")
    except StoreConflict:
        results.append("conflict")
store.close()
print(json.dumps(results))
"""


def test_several_processes_share_one_database(backend: Backend) -> None:
    workers, count = 4, 10
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, backend.url, backend.schema or "", f"w{n}", str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    try:
        for proc in procs:  # every process has migrated (or found the schema migrated)
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        outputs = [proc.communicate("go\n", timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    results = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert all(res[:count] == ["ok"] * count for res in results)
    assert sorted(res[count] for res in results) == ["conflict"] * (workers - 1) + ["ok"]
    with backend.open().begin() as tx:
        assert tx.count_users("p_1") == workers * count + 1
