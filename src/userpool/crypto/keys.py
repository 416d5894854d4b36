"""Token signing keys: RS256 only, a `kid` on every token, JWKS for verifiers.

Like Cognito, ID tokens and access tokens are signed with two different keys, and both public keys are in
the pool's JWKS. Verification accepts RS256 alone (never `none`, never an HMAC algorithm that would take a
public key as a shared secret) and only keys in this ring.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from userpool.core.ports import InvalidToken, TokenUse

ALGORITHMS = ["RS256"]
# Generous but finite: a JWT larger than this is not one of ours and is refused before any parsing work.
MAX_TOKEN_LENGTH = 16384


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


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        head = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise InvalidToken("malformed token") from exc
    if not isinstance(header, dict):
        raise InvalidToken("malformed token header")
    return header


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
        self._by_kid: dict[str, RSAKey] = {}
        self._signing: dict[str, tuple[str, RSAKey]] = {}
        self._reload = reload
        self._reloaded_at = float("-inf")
        self._lock = threading.Lock()
        self._load(keys)

    def _load(self, keys: Iterable[tuple[str, str, str]]) -> None:
        by_kid: dict[str, RSAKey] = {}
        signing: dict[str, tuple[str, RSAKey]] = {}
        for kid, use, pem in keys:
            key = self._by_kid.get(kid) or RSAKey.import_key(pem, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
            by_kid[kid] = key
            signing[use] = (kid, key)
        self._by_kid, self._signing = by_kid, signing  # swapped whole: readers see one set or the other

    def _known(self, kid: str) -> RSAKey | None:
        key = self._by_kid.get(kid)
        if key is not None or self._reload is None:
            return key
        with self._lock:
            if time.monotonic() - self._reloaded_at >= RELOAD_INTERVAL:
                self._reloaded_at = time.monotonic()
                self._load(self._reload())
        return self._by_kid.get(kid)

    def sign(self, claims: Mapping[str, object], use: TokenUse) -> str:
        kid, key = self._signing[use]
        return jwt.encode({"alg": "RS256", "kid": kid}, dict(claims), key, algorithms=ALGORITHMS)

    def verify(self, token: str) -> dict[str, object]:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise InvalidToken("not a signed JWT")
        header = _unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken("algorithm not allowed")
        kid = header.get("kid")
        key = self._known(kid) if isinstance(kid, str) and kid else None
        if key is None:
            raise InvalidToken("unknown signing key")
        try:
            decoded = jwt.decode(token, key, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise InvalidToken("bad signature") from exc
        return dict(decoded.claims)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        keys = []
        for kid, key in sorted(self._by_kid.items()):  # a stable document, whatever order the store gives
            public = key.as_dict(private=False)
            keys.append({"alg": "RS256", "e": public["e"], "kid": kid, "kty": "RSA", "n": public["n"], "use": "sig"})
        return {"keys": keys}
