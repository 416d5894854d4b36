"""argon2id in buffers of its own (crypto/argon2id.py): the same hashes as argon2-cffi, at most `slots` buffers."""

from __future__ import annotations

import os
import threading
import time

import pytest
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import hash_secret

from userpool.crypto.argon2id import Argon2id
from userpool.crypto.passwords import PROCESSES_ENV, Argon2Hasher, hash_slots

CHEAP = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1, "hash_len": 32, "salt_len": 16}


def ours(slots: int = 2) -> Argon2id:
    return Argon2id(**CHEAP, slots=slots)


def library(**changes: int) -> PasswordHasher:
    return PasswordHasher(**{**CHEAP, **changes}, type=Type.ID)  # type: ignore[arg-type]


@pytest.mark.parametrize("password", ["correct horse", "pässwörd ✓", "", "x" * 500])
def test_hashes_are_argon2_cffi_hashes_both_ways(password: str) -> None:
    hasher = ours()
    mine = hasher.hash(password)
    assert mine.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert library().verify(mine, password)
    assert hasher.verify(library().hash(password), password)
    assert hasher.verify(mine, password.encode("utf-8"))


def test_a_wrong_password_is_a_mismatch() -> None:
    hasher = ours()
    for encoded in (hasher.hash("right"), library().hash("right")):
        with pytest.raises(VerifyMismatchError):
            hasher.verify(encoded, "wrong")


def test_other_parameters_verify_in_a_one_off_buffer() -> None:
    """A stored hash made with more memory or lanes (an older policy, an import) verifies; the pool's
    buffers stay the configured size, and the larger one is let go."""
    hasher = ours(slots=1)
    for params in ({"memory_cost": 4096}, {"parallelism": 2, "memory_cost": 2048}, {"time_cost": 3}):
        assert hasher.verify(library(**params).hash("pw"), "pw")
        with pytest.raises(VerifyMismatchError):
            hasher.verify(library(**params).hash("pw"), "pw2")
    assert hasher.mapped() == 1


def test_forms_it_does_not_read_go_to_argon2_cffi() -> None:
    hasher = ours()
    old = hash_secret(b"pw", b"somesaltsomesalt", 1, 1024, 1, 32, Type.ID, version=0x10).decode()  # argon2 1.0
    assert old.startswith("$argon2id$v=16$")
    assert hasher.verify(old, "pw")
    with pytest.raises(VerifyMismatchError):
        hasher.verify(old, "pw2")
    for broken in ("$argon2id$v=19$m=1024,t=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$aGFzaA"):
        with pytest.raises((InvalidHashError, VerificationError)):
            hasher.verify(broken, "pw")


def test_the_password_hasher_answers_false_for_what_is_no_hash() -> None:
    hasher = Argon2Hasher(memory_cost=1024, time_cost=1)
    encoded = hasher.hash("pw")
    assert hasher.verify(encoded, "pw")
    assert not hasher.verify(encoded, "pw2")
    for broken in (
        "$argon2id$garbage",
        "$argon2id$v=19$m=1024,t=1,p=1$!!$!!",
        "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdA$aGFzaA",
    ):
        assert not hasher.verify(broken, "pw")
    assert not hasher.needs_rehash(encoded)
    assert hasher.needs_rehash(library(time_cost=2).hash("pw"))


def test_no_more_buffers_than_slots_whatever_the_threads() -> None:
    """The memory bound: 12 threads hashing and verifying at once map at most `slots` buffers."""
    hasher = ours(slots=2)
    encoded = hasher.hash("pw")
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(4):
                assert hasher.verify(encoded, "pw")
                assert hasher.verify(hasher.hash("other"), "other")
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert 1 <= hasher.mapped() <= 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_hashes_in_its_own_copy_of_the_buffers() -> None:
    """The buffers are private mappings: a child and its parent hashing at once never share memory."""
    hasher = ours(slots=1)
    encoded = hasher.hash("pw")  # the buffer is mapped before the fork
    pid = os.fork()
    if pid == 0:  # the child: any wrong answer is its exit status
        ok = all(hasher.verify(encoded, "pw") for _ in range(30))
        os._exit(0 if ok else 1)
    ok = all(hasher.verify(encoded, "pw") for _ in range(30))
    _, status = os.waitpid(pid, 0)
    assert ok
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_hasher_holds_one_buffer_per_slot_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    cores = os.cpu_count() or 1
    monkeypatch.setenv(PROCESSES_ENV, str(10 * cores))  # more processes than cores: one slot each
    hasher = Argon2Hasher(memory_cost=1024, time_cost=1)
    assert hasher._ph.mapped() == 1  # the dummy hash's buffer
    for _ in range(3):
        hasher.verify(hasher.hash("pw"), "pw")
    assert hasher._ph.mapped() == 1
    assert hash_slots() == 1


def test_a_freed_slot_goes_to_the_thread_that_waited_longest() -> None:
    hasher = ours(slots=1)
    order: list[int] = []

    def take_turn(i: int) -> None:
        with hasher.slot():
            order.append(i)  # noted while holding the slot: the order the slot was handed out

    threads = []
    with hasher.slot():  # every slot busy: the threads below queue, one after the other
        for i in range(5):
            t = threading.Thread(target=take_turn, args=(i,))
            t.start()
            threads.append(t)
            while hasher._slots.waiting() < i + 1:
                time.sleep(0.001)
    for t in threads:
        t.join()
    assert order == [0, 1, 2, 3, 4]
