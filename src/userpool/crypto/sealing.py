"""Sealing secrets at rest: AES-256-GCM under a master key that never enters the database.

A sealed value is `v1.<key id>.<base64url(nonce | ciphertext)>`. The key id names which master key sealed it,
so a rotated-out key can still open old values while new ones use the current key. Each value is bound to a
context string (its table and column) as associated data, so a sealed value cannot be moved to another
column and opened there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASTER_KEY_ENV = "USERPOOL_MASTER_KEY"
# During a master-key rotation: the key being retired, still opening what it sealed (never sealing).
PREVIOUS_MASTER_KEY_ENV = "USERPOOL_MASTER_KEY_PREVIOUS"
PREVIOUS_SUFFIX = ".previous"  # the sandbox's retiring key file: master.key.previous


class SealError(ValueError):
    """A sealed value that does not open: wrong key, wrong context, or tampered with."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(master_key: bytes) -> str:
    return hashlib.sha256(b"userpool key id" + master_key).hexdigest()[:8]


def subkey(master_key: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived so no two uses share key material."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"userpool/" + purpose.encode()).derive(master_key)


class Sealer:
    def __init__(self, master_key: bytes, *, old_keys: tuple[bytes, ...] = ()) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self.master_key = master_key
        self._current = key_id(master_key)
        self._aeads = {key_id(k): AESGCM(subkey(k, "seal")) for k in (master_key, *old_keys)}

    @property
    def current_key_id(self) -> str:
        return self._current

    def seal(self, plaintext: bytes, context: str) -> str:
        nonce = secrets.token_bytes(12)
        ct = self._aeads[self._current].encrypt(nonce, plaintext, context.encode())
        return f"v1.{self._current}.{_b64(nonce + ct)}"

    def unseal(self, sealed: str, context: str) -> bytes:
        try:
            version, kid, payload = sealed.split(".", 2)
            aead = self._aeads[kid]
            raw = _unb64(payload)
            if version != "v1":
                raise ValueError(version)
            return aead.decrypt(raw[:12], raw[12:], context.encode())
        except Exception as exc:  # any failure means the same thing: this value does not open here
            raise SealError(f"cannot open sealed value for {context}") from exc

    def seal_text(self, plaintext: str, context: str) -> str:
        return self.seal(plaintext.encode(), context)

    def unseal_text(self, sealed: str, context: str) -> str:
        return self.unseal(sealed, context).decode()


class HmacKeyed:
    """core.ports.Keyed: HMAC-SHA256 under a per-purpose subkey of the master key."""

    def __init__(self, master_key: bytes) -> None:
        self._master = master_key
        self._keys: dict[str, bytes] = {}

    def digest(self, purpose: str, value: str) -> str:
        key = self._keys.get(purpose)
        if key is None:
            key = self._keys[purpose] = subkey(self._master, "keyed:" + purpose)
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def load_or_create_master_key(path: Path) -> bytes:
    """The sandbox's master key: a 0600 file beside (never inside) the database, made on first run."""
    if path.exists():
        raw = base64.b64decode(path.read_text().strip())
        if len(raw) != 32:
            raise ValueError(f"{path} does not hold a 32-byte base64 key")
        return raw
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode() + "\n")
    return key


def sealed_key_id(sealed: str) -> str:
    """The id of the master key that sealed `sealed` ("" when it is not a sealed value)."""
    parts = sealed.split(".", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "v1" else ""


def read_key_file(path: Path) -> bytes:
    raw = base64.b64decode(path.read_text().strip())
    if len(raw) != 32:
        raise ValueError(f"{path} does not hold a 32-byte base64 key")
    return raw


def write_key_file(path: Path, key: bytes) -> None:
    """Write a key file 0600, atomically (a crash leaves the old file or the new one, never half of one)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def sandbox_sealer(path: Path) -> Sealer:
    """The sandbox's sealer: its master key, and the retiring one while a rotation is unfinished."""
    previous = path.with_name(path.name + PREVIOUS_SUFFIX)
    old = (read_key_file(previous),) if previous.exists() else ()
    return Sealer(load_or_create_master_key(path), old_keys=old)


def master_key_from_env(environ: dict[str, str] | None = None, name: str = MASTER_KEY_ENV) -> bytes | None:
    value = (environ if environ is not None else dict(os.environ)).get(name)
    if not value:
        return None
    raw = base64.b64decode(value)
    if len(raw) != 32:
        raise ValueError(f"{name} must be 32 bytes, base64-encoded")
    return raw


def serve_sealer(master_key: bytes, environ: dict[str, str] | None = None) -> Sealer:
    """`serve`'s sealer: USERPOOL_MASTER_KEY, and USERPOOL_MASTER_KEY_PREVIOUS (if set) for reading."""
    previous = master_key_from_env(environ, PREVIOUS_MASTER_KEY_ENV)
    return Sealer(master_key, old_keys=(previous,) if previous else ())
