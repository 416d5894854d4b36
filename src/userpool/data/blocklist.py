"""The common-password blocklist: 100,000 passwords seen most often in breaches (NOTICE-common-passwords.txt).

Loaded on first use, not at import, and kept compact: each password becomes an 8-byte BLAKE2b digest in
one sorted `array('Q')` (about 0.8 MB, against some 10 MB for a set of strings), searched by bisection.
Two different passwords share a digest with odds near 100,000 / 2^64: nobody's good password is refused.
A password is refused as typed and in lower case, so "Password" counts as "password"; the whole password
is compared, never a part of it (NIST SP 800-63B).
"""

from __future__ import annotations

import hashlib
import lzma
import threading
from array import array
from bisect import bisect_left
from importlib import resources

_FILE = "common-passwords.txt.xz"


def _digest(password: str) -> int:
    return int.from_bytes(hashlib.blake2b(password.encode("utf-8"), digest_size=8).digest(), "big")


class Blocklist:
    """A `Container[str]` of passwords, loaded from a packaged xz file of one password a line."""

    def __init__(self, package: str = "userpool.data", name: str = _FILE) -> None:
        self._package, self._name = package, name
        self._digests: array[int] | None = None
        self._lock = threading.Lock()

    def _load(self) -> array[int]:
        with self._lock:
            if self._digests is None:
                source = resources.files(self._package).joinpath(self._name)
                with source.open("rb") as packed, lzma.open(packed) as lines:
                    digests = {_digest(line.rstrip(b"\n").decode("utf-8")) for line in lines if line.strip(b"\n")}
                self._digests = array("Q", sorted(digests))
            return self._digests

    def load(self) -> None:
        """Load now (start-up warms it on a thread, so no request pays for it)."""
        self._load()

    def __len__(self) -> int:
        return len(self._digests if self._digests is not None else self._load())

    def __contains__(self, password: object) -> bool:
        if not isinstance(password, str) or not password:
            return False
        digests = self._digests if self._digests is not None else self._load()
        for candidate in {password, password.lower()}:
            target = _digest(candidate)
            i = bisect_left(digests, target)
            if i < len(digests) and digests[i] == target:
                return True
        return False


COMMON_PASSWORDS = Blocklist()
