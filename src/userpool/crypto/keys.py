"""Token signing keys: RS256 only, a `kid` on every token, JWKS for verifiers.

Like Cognito, ID tokens and access tokens are signed with two different keys, and both public keys are in
the pool's JWKS. Verification accepts RS256 alone (never `none`, never an HMAC algorithm that would take a
public key as a shared secret) and only keys in this ring.

Signing and verifying are JWS compact serialisation (RFC 7515 §7.1) done here over `cryptography`'s
RSASSA-PKCS1-v1_5/SHA-256, not through a JOSE library: that is a base64url join and one RSA operation,
and a library's generic machinery (claim conversion, algorithm registries, header objects) cost more than
the RSA verification itself (measured: about 0.4 ms per token on this machine, where verifying is
0.03 ms). Every segment must be canonical unpadded base64url, so one token has one spelling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from userpool.core.ports import InvalidToken, TokenUse

ALGORITHMS = ["RS256"]
# Generous but finite: a JWT larger than this is not one of ours and is refused before any parsing work.
MAX_TOKEN_LENGTH = 16384
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_int(value: int) -> str:
    """A JWK's integer (RFC 7518 §6.3.1): its big-endian bytes, as few as hold it, in base64url."""
    return _b64(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _unb64(segment: str) -> bytes:
    """Strict base64url without padding: any other alphabet, padding or stray bits is not ours."""
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise InvalidToken("malformed token")
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if _b64(raw) != segment:  # non-zero trailing bits: a second spelling of the same bytes
        raise InvalidToken("malformed token")
    return raw


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise InvalidToken(f"malformed token {what}") from exc
    if not isinstance(value, dict):
        raise InvalidToken(f"malformed token {what}")
    return value


def generate_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def kid_for(private_pem: str) -> str:
    """A kid shaped like Cognito's: base64 of the SHA-256 of the public key (stable, unique per key)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


KeySource = Callable[[], Iterable[tuple[str, str, str]]]
RELOAD_INTERVAL = 10.0  # seconds between two looks at the store for a kid this process does not know


class KeyRing:
    """core.ports.TokenSigner over the pool's keys: signs with the active key per use, verifies with any
    (a retired key keeps verifying, and stays in the JWKS, until its tokens have expired).

    `reload` (bootstrap wires the store) gives the keys again: a token naming a kid this process has not
    seen — another process rotated the keys (`userpool signing-keys rotate`) — makes it look, at most once
    each RELOAD_INTERVAL seconds, so a stream of forged kids cannot make it read the store on every request.
    """

    def __init__(self, keys: Iterable[tuple[str, str, str]], *, reload: KeySource | None = None) -> None:
        """keys: (kid, use, private_pem), retired keys first; the last key given per use signs."""
        self._private: dict[str, rsa.RSAPrivateKey] = {}
        self._public: dict[str, rsa.RSAPublicKey] = {}
        self._signing: dict[str, tuple[bytes, rsa.RSAPrivateKey]] = {}
        self._reload = reload
        self._reloaded_at = float("-inf")
        self._lock = threading.Lock()
        self._load(keys)

    def _load(self, keys: Iterable[tuple[str, str, str]]) -> None:
        private: dict[str, rsa.RSAPrivateKey] = {}
        signing: dict[str, tuple[bytes, rsa.RSAPrivateKey]] = {}
        for kid, use, pem in keys:
            key = self._private.get(kid)
            if key is None:
                loaded = serialization.load_pem_private_key(pem.encode(), password=None)
                if not isinstance(loaded, rsa.RSAPrivateKey):
                    raise ValueError(f"signing key {kid} is not an RSA key")
                key = loaded
            private[kid] = key
            header = json.dumps({"typ": "JWT", "alg": "RS256", "kid": kid}, separators=(",", ":")).encode()
            signing[use] = (_b64(header).encode(), key)
        public = {kid: key.public_key() for kid, key in private.items()}
        # Swapped whole: readers see one set or the other.
        self._private, self._public, self._signing = private, public, signing

    def _known(self, kid: str) -> rsa.RSAPublicKey | None:
        key = self._public.get(kid)
        if key is not None or self._reload is None:
            return key
        with self._lock:
            if time.monotonic() - self._reloaded_at >= RELOAD_INTERVAL:
                self._reloaded_at = time.monotonic()
                self._load(self._reload())
        return self._public.get(kid)

    def sign(self, claims: Mapping[str, object], use: TokenUse) -> str:
        header, key = self._signing[use]
        payload = json.dumps(dict(claims), ensure_ascii=False, separators=(",", ":")).encode()
        signing_input = header + b"." + _b64(payload).encode()
        return (signing_input + b"." + _b64(key.sign(signing_input, _PKCS1, _SHA256)).encode()).decode("ascii")

    def verify(self, token: str) -> dict[str, object]:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise InvalidToken("not a signed JWT")
        head, body, signature = token.split(".")
        header = _json_object(_unb64(head), "header")
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken("algorithm not allowed")
        if "crit" in header:  # no extension is understood here, so none may be required (RFC 7515 §4.1.11)
            raise InvalidToken("unsupported critical header")
        kid = header.get("kid")
        key = self._known(kid) if isinstance(kid, str) and kid else None
        if key is None:
            raise InvalidToken("unknown signing key")
        try:
            key.verify(_unb64(signature), f"{head}.{body}".encode("ascii"), _PKCS1, _SHA256)
        except (InvalidSignature, binascii.Error) as exc:
            raise InvalidToken("bad signature") from exc
        return _json_object(_unb64(body), "payload")

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        keys = []
        for kid, key in sorted(self._public.items()):  # a stable document, whatever order the store gives
            numbers = key.public_numbers()
            keys.append(
                {
                    "alg": "RS256",
                    "e": _b64_int(numbers.e),
                    "kid": kid,
                    "kty": "RSA",
                    "n": _b64_int(numbers.n),
                    "use": "sig",
                }
            )
        return {"keys": keys}
