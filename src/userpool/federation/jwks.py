"""Verifying a provider's ID token: its keys (JWKS, cached), then every claim that matters.

Keys are cached per JWKS URL for an hour; a token signed with a key id not in the cache fetches the set
again (providers rotate keys), at most once a minute per URL so a stream of bad tokens cannot make us hammer
the provider.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Collection, Mapping
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from userpool.federation.base import UpstreamError, get_json

ALGORITHMS = ["RS256", "ES256"]  # what Google, Apple and OIDC issuers sign with (HS256 never: it is our secret)
CACHE_SECONDS = 3600
REFETCH_AFTER = 60
LEEWAY = 60  # seconds of clock difference tolerated on exp/iat


class JwksCache:
    def __init__(self) -> None:
        self._sets: dict[str, tuple[float, KeySet, frozenset[str]]] = {}
        self._lock = threading.Lock()

    async def key_set(self, http: httpx.AsyncClient, uri: str, kid: str) -> KeySet:
        now = time.monotonic()
        with self._lock:
            cached = self._sets.get(uri)
        if cached is not None:
            fetched_at, keys, kids = cached
            fresh = now - fetched_at < CACHE_SECONDS
            if fresh and (kid in kids or now - fetched_at < REFETCH_AFTER):
                return keys
        body = await get_json(http, uri, "key set (JWKS)")
        try:
            keys = KeySet.import_key_set(body)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError):
            raise UpstreamError("server_error", "The identity provider's key set (JWKS) is not valid.") from None
        kids = frozenset(str(k.kid) for k in keys.keys if k.kid)
        with self._lock:
            self._sets[uri] = (now, keys, kids)
        return keys


CACHE = JwksCache()


def _header(token: str) -> dict[str, Any]:
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError):
        raise UpstreamError("access_denied", "The identity provider's ID token is malformed.") from None
    if not isinstance(header, dict):
        raise UpstreamError("access_denied", "The identity provider's ID token is malformed.")
    return header


async def verify_id_token(
    http: httpx.AsyncClient,
    token: str,
    *,
    jwks_uri: str,
    issuers: Collection[str],
    audience: str,
    nonce: str | None,
    now: float | None = None,
) -> Mapping[str, Any]:
    """The claims of a verified ID token: signature by a key of the provider's JWKS (RS256/ES256), `iss` one
    of `issuers`, `aud` containing our client id (and `azp` ours when there are several audiences), `exp` in
    the future, `iat` not in it, and `nonce` the one this sign-in sent (when one was sent)."""
    refused = UpstreamError("access_denied", "The identity provider's ID token did not verify.")
    header = _header(token)
    if header.get("alg") not in ALGORITHMS:
        raise refused
    keys = await CACHE.key_set(http, jwks_uri, str(header.get("kid") or ""))
    try:
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError):
        raise refused from None
    claims = dict(decoded.claims)
    moment = time.time() if now is None else now
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    checks = (
        claims.get("iss") in issuers,
        audience in audiences,
        len(audiences) == 1 or claims.get("azp") == audience,
        isinstance(claims.get("exp"), int | float) and claims["exp"] + LEEWAY > moment,
        not isinstance(claims.get("iat"), int | float) or claims["iat"] - LEEWAY <= moment,
        nonce is None or claims.get("nonce") == nonce,
    )
    if not all(checks):
        raise refused
    return claims
