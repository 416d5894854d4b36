"""Password hashing: argon2id with OWASP's parameters (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1).

Hashes imported from other systems (bcrypt, other argon2 variants, PBKDF2, Firebase scrypt:
`legacy_hashes.py`) verify too, and always "need a rehash", so the first sign-in moves them to argon2id."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from userpool.crypto.argon2id import Argon2id, InvalidHashError, VerificationError, VerifyMismatchError
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

    glibc gives each thread its own arena (up to 8 per core), and each arena keeps what was freed in it for
    its own later use. When argon2id took its 19 MiB from malloc, a server whose 16 flow threads had each
    hashed once held 16 x 19 MiB that way (measured: 355 MiB RSS). argon2id's memory now comes from buffers
    of its own (`argon2id.py`), but large blocks still pass through malloc (an imported hash verified by
    its library: scrypt, bcrypt, another argon2; big responses), and one arena shares what each frees with
    every thread. The other allocations do not suffer: the GIL serialises most of them anyway. False where
    this is not glibc (nothing changed)."""
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
        slots: int | None = None,
    ) -> None:
        """`slots`: hashes at once in this process (default `hash_slots()`: the cores shared by the server's
        processes)."""
        # At most one hash per core at a time, over all the server's processes: more only queue inside argon2
        # while each holds 19 MiB, so a burst of sign-ins would cost memory and CPU for no throughput. Each
        # slot's 19 MiB is one buffer, kept (crypto/argon2id.py): a process holds at most slots x 19 MiB for
        # argon2id, whatever the load (measured with `bench.cpu`, 2 workers on 2 cores, PostgreSQL: a
        # worker's peak 150 MiB with two slots each, 130 MiB with one).
        self._ph = Argon2id(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            slots=slots or hash_slots(),
        )
        # Verified against for users who do not exist, so their answer costs the same time as a real one.
        self._dummy = self._ph.hash("userpool: no such user")

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        if not encoded.startswith("$argon2id$"):
            legacy = scheme_of(encoded)
            if legacy is None:
                return False
            with self._ph.slot():  # bcrypt, scrypt: memory- or CPU-hard too, so under the same bound
                return legacy.verify(encoded, password)
        try:
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
