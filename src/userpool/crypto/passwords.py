"""Password hashing: argon2id with OWASP's parameters (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1).

Hashes imported from other systems (bcrypt, other argon2 variants, PBKDF2, Firebase scrypt:
`legacy_hashes.py`) verify too, and always "need a rehash", so the first sign-in moves them to argon2id."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from userpool.crypto.legacy_hashes import scheme_of

OWASP_MEMORY_KIB = 19 * 1024
OWASP_TIME_COST = 2
OWASP_PARALLELISM = 1
_M_ARENA_MAX = -8  # glibc's mallopt parameter
PROCESSES_ENV = "USERPOOL_PROCESSES"  # set by `userpool serve --workers N` for its workers


def hash_slots() -> int:
    """How many hashes one process may run at once: the machine's cores shared by the server's processes
    (`USERPOOL_PROCESSES`), at least one. Two hashes time-sliced on one core cost each about 14% more CPU
    than one after the other (their 19 MiB each evict the other's from the cache; measured: two processes
    hashing on two cores, 22 ms of CPU per verification with one thread each, 25 ms with two), and finish
    no sooner."""
    try:
        processes = max(1, int(os.environ.get(PROCESSES_ENV) or "1"))
    except ValueError:
        processes = 1
    return max(1, (os.cpu_count() or 1) // processes)


def share_one_malloc_arena() -> bool:
    """Make every thread of this process allocate from one glibc malloc arena; call before threads start.

    argon2id takes 19 MiB per hash with malloc and frees it after. glibc gives each thread its own arena
    (up to 8 per core) and each arena keeps the freed block for its next hash, so a server whose 16 flow
    threads each hashed once holds 16 x 19 MiB (measured: 355 MiB RSS after 160 hashes on 16 threads, two
    at a time). With one arena the same block is reused by whichever thread hashes next: 83 MiB peak, 44 MiB
    after. (Returning the block to the kernel after each hash instead, a fixed mmap threshold, costs 65%
    more CPU per hash in page faults.) The other allocations do not suffer: the GIL serialises most of
    them anyway. False where this is not glibc (nothing changed)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError, TypeError):  # not glibc, or no mallopt: leave the allocator alone
        return False


class Argon2Hasher:
    """core.ports.PasswordHasher over argon2-cffi (which releases the GIL while it hashes)."""

    def __init__(
        self,
        *,
        memory_cost: int = OWASP_MEMORY_KIB,
        time_cost: int = OWASP_TIME_COST,
        parallelism: int = OWASP_PARALLELISM,
    ) -> None:
        self._ph = _Argon2(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # At most one hash per core at a time, over all the server's processes (`hash_slots`): more only
        # queue inside argon2 while each holds 19 MiB, so a burst of sign-ins would cost memory (hundreds
        # of MiB) and CPU for no throughput.
        self._slots = threading.BoundedSemaphore(hash_slots())
        # Verified against for users who do not exist, so their answer costs the same time as a real one.
        self._dummy = self._ph.hash("userpool: no such user")

    def hash(self, password: str) -> str:
        with self._slots:
            return self._ph.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        if not encoded.startswith("$argon2id$"):
            legacy = scheme_of(encoded)
            if legacy is None:
                return False
            with self._slots:
                return legacy.verify(encoded, password)
        try:
            with self._slots:
                return self._ph.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def scheme(self, encoded: str) -> str | None:
        found = scheme_of(encoded)
        if found is None or not found.well_formed(encoded):
            return None
        return encoded.split("$")[1] if found.name == "argon2" else found.name

    def needs_rehash(self, encoded: str) -> bool:
        try:
            return self._ph.check_needs_rehash(encoded)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        self.verify(self._dummy, password)
