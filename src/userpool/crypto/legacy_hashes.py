"""Password hashes other systems made, verified as they are so imported users keep their passwords.

Each scheme is one small class: `owns(encoded)` says whether a stored hash is in its format, `verify`
checks a password against it in constant time. `SCHEMES` is the one list, tried in order. A user signed in
with a legacy hash is moved to argon2id at once (`core.credentials.verify_password`), so these only ever
run for a user's first sign-in after an import.

Formats (docs/import-export.md has an example of each):

    bcrypt           $2a$ / $2b$ / $2y$ + cost + 22-char salt + 31-char hash (OpenBSD's encoding)
    argon2           $argon2id$ / $argon2i$ / $argon2d$ with any parameters (PHC string format)
    django-pbkdf2    pbkdf2_sha256$<iterations>$<salt>$<base64 hash>  (also pbkdf2_sha1: Django's hashers)
    passlib-pbkdf2   $pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 hash>  (also -sha512, and $pbkdf2$ for SHA-1)
    firebase-scrypt  $firebase-scrypt$r=<rounds>,m=<mem_cost>$<salt>$<salt separator>$<signer key>$<hash>
                     (standard base64 each; our own encoding of Firebase's per-user hash and salt with the
                     project's parameters, built by `firebase_scrypt_encode` at import)

Firebase's scrypt is its published variant: scrypt(password, salt ‖ separator, N=2^mem_cost, r=rounds,
p=1) gives a key; AES-256-CTR under that key (zero counter block) encrypts the project's signer key; the
result is the stored hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import ClassVar, Protocol

import bcrypt
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BCRYPT_MAX_BYTES = 72  # bcrypt only ever read this many bytes of a password; the systems that made these did too
MAX_PBKDF2_ITERATIONS = 10_000_000  # far above any real setting; refuses a hash made to stall the server
MAX_SCRYPT_MEM_COST = 20  # N = 2^20 with r = 8 is 1 GiB; Firebase uses 14


class Scheme(Protocol):
    name: ClassVar[str]

    def owns(self, encoded: str) -> bool: ...
    def well_formed(self, encoded: str) -> bool: ...
    def verify(self, encoded: str, password: str) -> bool: ...


class Bcrypt:
    name: ClassVar[str] = "bcrypt"
    _FORMAT = re.compile(r"^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$")

    def owns(self, encoded: str) -> bool:
        return encoded.startswith(("$2a$", "$2b$", "$2y$"))

    def well_formed(self, encoded: str) -> bool:
        return bool(self._FORMAT.match(encoded))

    def verify(self, encoded: str, password: str) -> bool:
        if not self.well_formed(encoded):
            return False
        # $2y$ (PHP) and $2a$ are the same algorithm as $2b$ for every password these systems accepted.
        normalised = "$2b$" + encoded[4:]
        try:
            return bcrypt.checkpw(password.encode()[:BCRYPT_MAX_BYTES], normalised.encode())
        except ValueError:
            return False


class Argon2Any:
    """Any argon2 variant and parameters (argon2-cffi reads both from the PHC string)."""

    name: ClassVar[str] = "argon2"
    _FORMAT = re.compile(r"^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")

    def __init__(self) -> None:
        self._ph = _Argon2()

    def owns(self, encoded: str) -> bool:
        return encoded.startswith(("$argon2id$", "$argon2i$", "$argon2d$"))

    def well_formed(self, encoded: str) -> bool:
        return bool(self._FORMAT.match(encoded))

    def verify(self, encoded: str, password: str) -> bool:
        try:
            return self._ph.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


_DIGESTS = {"sha1": "sha1", "sha256": "sha256", "sha512": "sha512"}


def _b64(text: str) -> bytes:
    """Standard base64, padding optional (passlib and some exporters drop it)."""
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _pbkdf2_matches(digest: str, password: str, salt: bytes, iterations: int, expected: bytes) -> bool:
    if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS or not expected:
        return False
    derived = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations, dklen=len(expected))
    return hmac.compare_digest(derived, expected)


class DjangoPbkdf2:
    name: ClassVar[str] = "django-pbkdf2"
    _FORMAT = re.compile(r"^pbkdf2_(sha1|sha256)\$(\d+)\$([^$]+)\$([A-Za-z0-9+/]+=*)$")

    def owns(self, encoded: str) -> bool:
        return encoded.startswith(("pbkdf2_sha256$", "pbkdf2_sha1$"))

    def well_formed(self, encoded: str) -> bool:
        return self._parts(encoded) is not None

    def _parts(self, encoded: str) -> tuple[str, int, bytes, bytes] | None:
        found = self._FORMAT.match(encoded)
        if found is None:
            return None
        try:
            expected = _b64(found[4])
        except binascii.Error:
            return None
        return _DIGESTS[found[1]], int(found[2]), found[3].encode(), expected

    def verify(self, encoded: str, password: str) -> bool:
        parts = self._parts(encoded)
        return parts is not None and _pbkdf2_matches(parts[0], password, parts[2], parts[1], parts[3])


class PasslibPbkdf2:
    """passlib's pbkdf2_sha1/sha256/sha512: "adapted base64" ('.' for '+', no padding) salt and hash."""

    name: ClassVar[str] = "passlib-pbkdf2"
    _FORMAT = re.compile(r"^\$pbkdf2(-sha256|-sha512|)\$(\d+)\$([./A-Za-z0-9]*)\$([./A-Za-z0-9]+)$")

    def owns(self, encoded: str) -> bool:
        return encoded.startswith(("$pbkdf2$", "$pbkdf2-sha256$", "$pbkdf2-sha512$"))

    def well_formed(self, encoded: str) -> bool:
        return self._parts(encoded) is not None

    def _parts(self, encoded: str) -> tuple[str, int, bytes, bytes] | None:
        found = self._FORMAT.match(encoded)
        if found is None:
            return None
        try:
            salt, expected = (_b64(found[i].replace(".", "+")) for i in (3, 4))
        except binascii.Error:
            return None
        return _DIGESTS[found[1][1:] or "sha1"], int(found[2]), salt, expected

    def verify(self, encoded: str, password: str) -> bool:
        parts = self._parts(encoded)
        return parts is not None and _pbkdf2_matches(parts[0], password, parts[2], parts[1], parts[3])


class FirebaseScrypt:
    name: ClassVar[str] = "firebase-scrypt"
    PREFIX: ClassVar[str] = "$firebase-scrypt$"
    _FORMAT = re.compile(r"^\$firebase-scrypt\$r=(\d+),m=(\d+)\$([^$]*)\$([^$]*)\$([^$]+)\$([^$]+)$")

    def owns(self, encoded: str) -> bool:
        return encoded.startswith(self.PREFIX)

    def well_formed(self, encoded: str) -> bool:
        return self._parts(encoded) is not None

    def _parts(self, encoded: str) -> tuple[int, int, bytes, bytes, bytes, bytes] | None:
        found = self._FORMAT.match(encoded)
        if found is None:
            return None
        rounds, mem_cost = int(found[1]), int(found[2])
        if not (1 <= rounds <= 64 and 1 <= mem_cost <= MAX_SCRYPT_MEM_COST):
            return None
        try:
            salt, separator, signer_key, expected = (_b64(found[i]) for i in (3, 4, 5, 6))
        except binascii.Error:
            return None
        return rounds, mem_cost, salt, separator, signer_key, expected

    def verify(self, encoded: str, password: str) -> bool:
        parts = self._parts(encoded)
        if parts is None:
            return False
        rounds, mem_cost, salt, separator, signer_key, expected = parts
        n = 2**mem_cost
        key = hashlib.scrypt(
            password.encode(), salt=salt + separator, n=n, r=rounds, p=1, dklen=64, maxmem=256 * n * rounds
        )
        encryptor = Cipher(algorithms.AES(key[:32]), modes.CTR(bytes(16))).encryptor()
        derived = encryptor.update(signer_key) + encryptor.finalize()
        return hmac.compare_digest(derived, expected)


def firebase_scrypt_encode(
    *, hash_b64: str, salt_b64: str, signer_key_b64: str, salt_separator_b64: str, rounds: int, mem_cost: int
) -> str:
    """One stored string for a Firebase user's hash: their hash and salt (from Firebase's export) with the
    project's hash parameters (Firebase console: Authentication → Users → ⋮ → Password hash parameters)."""
    b64 = "".join(x.strip() for x in (hash_b64, salt_b64, signer_key_b64, salt_separator_b64))
    if "$" in b64:
        raise ValueError("base64 values cannot contain '$'")
    return (
        f"{FirebaseScrypt.PREFIX}r={rounds},m={mem_cost}${salt_b64.strip()}${salt_separator_b64.strip()}"
        f"${signer_key_b64.strip()}${hash_b64.strip()}"
    )


SCHEMES: tuple[Scheme, ...] = (Argon2Any(), Bcrypt(), DjangoPbkdf2(), PasslibPbkdf2(), FirebaseScrypt())


def scheme_of(encoded: str) -> Scheme | None:
    return next((s for s in SCHEMES if s.owns(encoded)), None)
