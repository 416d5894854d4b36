"""argon2id with its working memory in a fixed set of buffers, reused hash after hash.

argon2-cffi's hasher lets the C library `malloc` its 19 MiB for every hash and `free` it after. glibc serves a
block that size from the heap once it has seen one freed (its mmap threshold adapts), and the heap then keeps
it: other allocations land beside and inside the freed blocks, so the next hash often needs fresh ones and a
server's heap grew by 100 MiB and more under sign-ins (measured: a `serve` worker at 118 MiB idle peaked at
266 MiB after a minute of sign-ins with two hashes at a time). Forcing every block onto mmap returns it to the
kernel, but then each hash faults its 4,864 pages in again (measured: about 25-60% more CPU per hash).

So the memory is handed to argon2 by us, through its context's allocate/free callbacks: one anonymous
mapping per slot (the number of hashes that may run at once), mapped on first use and kept, outside malloc's
heap. A process holds at most `slots` x the memory cost, and a hash costs what it did. argon2 wipes the memory
before giving it back (its default), so no password's state stays in a buffer.

The hashes are argon2-cffi's PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), read and written either
way. A string this module does not parse as exactly that (another version, a malformed one) is verified by
argon2-cffi itself, which decides what it means.
"""

from __future__ import annotations

import base64
import hmac
import mmap
import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from _argon2_cffi_bindings import lib  # type: ignore[import-untyped]  # argon2-cffi calls these too
from argon2 import PasswordHasher, Type
from argon2.exceptions import HashingError, InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import ARGON2_VERSION, error_to_str, ffi

from userpool import waits

_KIB = 1024
_HUGE_PAGE = 2 * 1024 * 1024
_local = threading.local()  # the buffer the current thread's argon2 run may use


def _allocate_from_local(memory: Any, size: int) -> int:
    buffer: _Buffer | None = getattr(_local, "buffer", None)
    if buffer is None or size > buffer.size:
        return int(lib.ARGON2_MEMORY_ALLOCATION_ERROR)
    memory[0] = buffer.pointer
    return int(lib.ARGON2_OK)


def _keep(memory: Any, size: int) -> None:
    """Nothing: the buffer goes back to its pool (argon2 has already wiped it)."""


# Called by argon2 in the hashing thread (cffi takes the GIL for them): once per hash each.
_allocate = ffi.callback("int(uint8_t **, size_t)", _allocate_from_local, error=lib.ARGON2_MEMORY_ALLOCATION_ERROR)
_free = ffi.callback("void(uint8_t *, size_t)", _keep)


class _Buffer:
    """One slot's memory: an anonymous private mapping, made on first use and kept.

    Mapped 2 MiB larger than needed and used from a 2 MiB boundary, and marked for transparent huge pages
    where Linux offers them (MADV_HUGEPAGE): argon2 reads its 19 MiB in an order no cache predicts, and with
    2 MiB pages the TLB misses less (measured: a verification about 13% less CPU than argon2-cffi's malloc).
    Private: a forked child gets its own copy, never memory another process is hashing in."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._map: mmap.mmap | None = None
        self.pointer: Any = ffi.NULL

    def ready(self) -> _Buffer:
        if self._map is None:  # mapped on first use: a process that never hashes never holds it
            self._map = mmap.mmap(-1, self.size + _HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            # A bare pointer (the temporary cdata holding the mapping's buffer goes away at once), so the mapping
            # can be closed; it lives as long as this object holds it.
            start = ffi.cast("uint8_t *", ffi.from_buffer(self._map))
            offset = -int(ffi.cast("uintptr_t", start)) % _HUGE_PAGE
            self.pointer = start + offset
            advice = getattr(mmap, "MADV_HUGEPAGE", None)
            whole = self.size - self.size % _HUGE_PAGE  # the tail in small pages: no huge page half used
            if advice is not None and whole:
                self._map.madvise(advice, offset, whole)
        return self

    def close(self) -> None:
        if self._map is not None:
            self.pointer = ffi.NULL
            self._map.close()
            self._map = None


class _Waiter:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.buffer: _Buffer | None = None


class _Slots:
    """The free buffers, handed to waiting threads first come, first served.

    A buffer given back goes straight to the thread that has waited longest, so the thread that gave it
    cannot take it again at once while others wait (a semaphore or a queue lets it): under a burst of
    sign-ins every one waits its turn, and none waits seconds while later ones pass."""

    def __init__(self, buffers: list[_Buffer]) -> None:
        self._free = list(buffers)
        self._waiting: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    def take(self) -> _Buffer:
        with self._lock:
            if self._free:
                return self._free.pop()
            waiter = _Waiter()
            self._waiting.append(waiter)
        try:
            waiter.ready.wait()
        except BaseException:  # interrupted (Ctrl+C in a command): leave the line, or pass on what came
            with self._lock:
                if waiter.buffer is None:
                    self._waiting.remove(waiter)
            if waiter.buffer is not None:
                self.give(waiter.buffer)
            raise
        assert waiter.buffer is not None
        return waiter.buffer

    def give(self, buffer: _Buffer) -> None:
        with self._lock:
            if self._waiting:
                waiter = self._waiting.popleft()
                waiter.buffer = buffer
                waiter.ready.set()
            else:
                self._free.append(buffer)

    def waiting(self) -> int:
        return len(self._waiting)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


class Argon2id:
    """argon2-cffi's `PasswordHasher` interface (hash, verify, check_needs_rehash) for argon2id, with at most
    `slots` hashes at a time (more wait), each in a buffer of the pool."""

    def __init__(
        self, *, time_cost: int, memory_cost: int, parallelism: int, hash_len: int, salt_len: int, slots: int
    ) -> None:
        self.time_cost, self.memory_cost, self.parallelism = time_cost, memory_cost, parallelism
        self.hash_len, self.salt_len = hash_len, salt_len
        self._library = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=hash_len,
            salt_len=salt_len,
            type=Type.ID,
        )
        self._size = self._bytes_for(memory_cost, parallelism)
        self._buffers = [_Buffer(self._size) for _ in range(slots)]
        self._slots = _Slots(self._buffers)

    @staticmethod
    def _bytes_for(memory_cost: int, parallelism: int) -> int:
        # argon2 uses max(m, 8p) KiB, rounded down to a multiple of 4p blocks of 1 KiB: never more than this.
        return max(memory_cost, 8 * parallelism) * _KIB

    @contextmanager
    def slot(self) -> Iterator[_Buffer]:
        """One of the slots (waiting while every one is hashing), for a hash here or any other memory-hard work."""
        with waits.waiting():  # a queue every name stands in alike: not the flow's own time (userpool/waits.py)
            buffer = self._slots.take()
        try:
            yield buffer
        finally:
            self._slots.give(buffer)

    def mapped(self) -> int:
        """How many buffers are mapped now (at most `slots`)."""
        return sum(b._map is not None for b in self._buffers)

    def _raw(self, password: bytes, salt: bytes, t: int, m: int, p: int, out_len: int) -> bytes:
        out = ffi.new("uint8_t[]", out_len)
        pwd = ffi.new("uint8_t[]", password)
        salt_c = ffi.new("uint8_t[]", salt)
        ctx = ffi.new(
            "argon2_context *",
            {
                "out": out,
                "outlen": out_len,
                "pwd": pwd,
                "pwdlen": len(password),
                "salt": salt_c,
                "saltlen": len(salt),
                "secret": ffi.NULL,
                "secretlen": 0,
                "ad": ffi.NULL,
                "adlen": 0,
                "t_cost": t,
                "m_cost": m,
                "lanes": p,
                "threads": p,
                "version": ARGON2_VERSION,
                "allocate_cbk": _allocate,
                "free_cbk": _free,
                "flags": lib.ARGON2_DEFAULT_FLAGS,
            },
        )
        needed = self._bytes_for(m, p)
        with self.slot() as buffer:
            extra = _Buffer(needed) if needed > buffer.size else None  # a stored hash with a larger cost: one-off
            try:
                _local.buffer = (extra or buffer).ready()
                rv = lib.argon2_ctx(ctx, Type.ID.value)
            except OSError as exc:  # no memory to map: what argon2 says when its malloc fails
                raise HashingError(error_to_str(lib.ARGON2_MEMORY_ALLOCATION_ERROR)) from exc
            finally:
                _local.buffer = None
                if extra is not None:
                    extra.close()
        if rv != lib.ARGON2_OK:
            raise HashingError(error_to_str(rv))
        return bytes(ffi.buffer(out, out_len))

    def hash(self, password: str | bytes) -> str:
        secret = password.encode("utf-8") if isinstance(password, str) else password
        salt = os.urandom(self.salt_len)
        m, t, p = self.memory_cost, self.time_cost, self.parallelism
        digest = self._raw(secret, salt, t, m, p, self.hash_len)
        return f"$argon2id$v={ARGON2_VERSION}$m={m},t={t},p={p}${_b64(salt)}${_b64(digest)}"

    def verify(self, encoded: str | bytes, password: str | bytes) -> bool:
        """True, or VerifyMismatchError (argon2-cffi's contract); InvalidHashError for what is no hash."""
        text = encoded.decode("ascii") if isinstance(encoded, bytes) else encoded
        parsed = _parse(text)
        if parsed is None:
            with self.slot():  # not our exact form: argon2-cffi decides (its own malloc, but one slot all the same)
                return bool(self._library.verify(text, password))
        m, t, p, salt, expected = parsed
        secret = password.encode("utf-8") if isinstance(password, str) else password
        try:
            digest = self._raw(secret, salt, t, m, p, len(expected))
        except HashingError as exc:  # parameters argon2 refuses (a salt too short, ...)
            raise VerificationError(str(exc)) from None
        if not hmac.compare_digest(digest, expected):
            raise VerifyMismatchError("The password does not match the supplied hash")
        return True

    def check_needs_rehash(self, encoded: str | bytes) -> bool:
        return self._library.check_needs_rehash(encoded)


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    """(m, t, p, salt, hash) of `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, or None for anything else."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] or parts[1] != "argon2id" or parts[2] != f"v={ARGON2_VERSION}":
        return None
    try:
        fields = dict(kv.split("=", 1) for kv in parts[3].split(","))
        if sorted(fields) != ["m", "p", "t"] or not all(v.isdigit() and int(v) < 2**32 for v in fields.values()):
            return None  # (argon2's parameters are 32-bit)
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:  # binascii.Error is a ValueError
        return None
    if not salt or not digest:
        return None
    return int(fields["m"]), int(fields["t"]), int(fields["p"]), salt, digest


__all__ = ["Argon2id", "InvalidHashError", "VerificationError", "VerifyMismatchError"]
