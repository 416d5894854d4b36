"""Verify a user pool's ID and access tokens in a resource server (an API that receives them).

An API that takes Amplify's access token as `Authorization: Bearer <token>` (`uvicorn api:app`):

    import json

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from userpool.integrations.verify import TokenError, TokenVerifier

    with open("amplify_outputs.json") as f:
        outputs = json.load(f)
    verifier = TokenVerifier(outputs["custom"]["userpool"]["issuer"], [outputs["auth"]["user_pool_client_id"]])


    def me(request: Request) -> JSONResponse:  # sync: a JWKS fetch may block, so Starlette runs it in a thread
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            claims = verifier.verify(token, "access")
        except TokenError as err:  # e.g. "token expired", "wrong client_id", "invalid signature"
            return JSONResponse({"message": str(err)}, status_code=401)
        return JSONResponse({"sub": claims["sub"], "username": claims["username"]})


    app = Starlette(routes=[Route("/me", me)])

Or, with one verifier per (issuer, client id) kept for the life of the process:

    from userpool.integrations.verify import verify_token

    claims = verify_token(id_token, issuer=issuer, client_id=client_id, token_use="id")

What is checked, in this order (the first failure is the message of the `TokenError`):
the token is a compact JWS of sane size; its header's `alg` is RS256 (never `none`, never an HMAC algorithm
that would take the public key as a shared secret); it names a `kid`; that key is in the pool's JWKS; the
signature; `iss` is exactly the issuer; `exp` (and `nbf` when present) against the clock with `leeway`
seconds; `iat` is present; `token_use`; and `aud` (ID tokens) or `client_id` (access tokens) is one of
`client_ids` (Cognito's access tokens carry no `aud`).

The JWKS (by default `<issuer>/.well-known/jwks.json`) is fetched once and kept `cache_seconds`. A token
signed with a key the cache does not know triggers a refetch (keys rotate), but at most one per
`REFETCH_INTERVAL` seconds, so a stream of forged kids cannot make the verifier hammer the JWKS endpoint.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from collections.abc import Callable, Collection
from typing import Any, Literal, TypeGuard

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

__all__ = ["REFETCH_INTERVAL", "TokenError", "TokenVerifier", "verify_token"]

ALGORITHMS = ["RS256"]
MAX_TOKEN_LENGTH = 16384
REFETCH_INTERVAL = 60.0

TokenUse = Literal["id", "access"]


class TokenError(ValueError):
    """A token that must not be trusted; the message says which check failed."""


def _b64json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


class TokenVerifier:
    """Checks signature and claims of tokens from one user pool, for one or more app clients.

    `http` is used for the JWKS fetch when given (the caller closes it); otherwise each fetch uses a
    short-lived client. `clock` returns seconds since the epoch; tests pin it.
    """

    def __init__(
        self,
        issuer: str,
        client_ids: Collection[str],
        *,
        jwks_uri: str | None = None,
        leeway: int = 0,
        http: httpx.Client | None = None,
        cache_seconds: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuer:
            raise ValueError("issuer is required")
        if isinstance(client_ids, str) or not client_ids:
            raise ValueError("client_ids must be a non-empty collection of app client ids")
        self.issuer = issuer
        self.client_ids = frozenset(client_ids)
        self.jwks_uri = jwks_uri or f"{issuer.rstrip('/')}/.well-known/jwks.json"
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, RSAKey] = {}
        self._fetched_at: float | None = None

    # -- keys -------------------------------------------------------------------------------------------

    def _fetch(self) -> None:
        """Replace the cached keys with the JWKS; on failure keep the old keys (if any) until next time."""
        self._fetched_at = self._clock()
        try:
            if self._http is not None:
                response = self._http.get(self.jwks_uri, timeout=10)
            else:
                response = httpx.get(self.jwks_uri, timeout=10)
            response.raise_for_status()
            document = response.json()
            keys: dict[str, RSAKey] = {}
            for jwk in document["keys"]:
                if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
                    continue
                if jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") not in ALGORITHMS:
                    continue
                keys[jwk["kid"]] = RSAKey.import_key(jwk)
        except (httpx.HTTPError, ValueError, KeyError, TypeError, JoseError) as exc:
            if not self._keys:
                raise TokenError(f"JWKS unavailable from {self.jwks_uri}: {exc}") from exc
            return
        self._keys = keys

    def _key(self, kid: str) -> RSAKey:
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self.cache_seconds:
                self._fetch()
            elif kid not in self._keys and now - self._fetched_at >= REFETCH_INTERVAL:
                self._fetch()  # maybe the pool rotated its keys since we last looked
            key = self._keys.get(kid)
        if key is None:
            raise TokenError("unknown kid")
        return key

    # -- tokens -----------------------------------------------------------------------------------------

    def verify(self, token: str, token_use: TokenUse) -> dict[str, Any]:
        """The token's claims, once every check has passed; otherwise `TokenError`."""
        if token_use not in ("id", "access"):
            raise ValueError('token_use must be "id" or "access"')
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise TokenError("malformed token")
        try:
            header = _b64json(token.split(".", 1)[0])
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested thousands deep
            raise TokenError("malformed token header") from None
        if not isinstance(header, dict):
            raise TokenError("malformed token header")
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise TokenError(f"algorithm not allowed: {str(alg)[:20]!r}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenError("missing kid")
        key = self._key(kid)
        try:
            claims: dict[str, Any] = dict(jwt.decode(token, key, algorithms=ALGORITHMS).claims)
        except (JoseError, ValueError):
            raise TokenError("invalid signature") from None
        self._check_claims(claims, token_use)
        return claims

    def _check_claims(self, claims: dict[str, Any], token_use: TokenUse) -> None:
        now = self._clock()
        if claims.get("iss") != self.issuer:
            raise TokenError("wrong issuer")
        exp = claims.get("exp")
        if not _number(exp):
            raise TokenError("missing exp")
        if now > exp + self.leeway:
            raise TokenError("token expired")
        nbf = claims.get("nbf")
        if nbf is not None and (not _number(nbf) or now + self.leeway < nbf):
            raise TokenError("token not yet valid")
        if not _number(claims.get("iat")):
            raise TokenError("missing iat")
        if claims.get("token_use") != token_use:
            raise TokenError("wrong token_use")
        if token_use == "id":
            aud = claims.get("aud")
            audiences = aud if isinstance(aud, list) else [aud]
            if not any(isinstance(a, str) and a in self.client_ids for a in audiences):
                raise TokenError("wrong audience")
        elif claims.get("client_id") not in self.client_ids:
            raise TokenError("wrong client_id")


@functools.lru_cache(maxsize=32)
def _shared(issuer: str, client_id: str) -> TokenVerifier:
    return TokenVerifier(issuer, [client_id])


def verify_token(
    token: str,
    *,
    issuer: str,
    client_id: str,
    token_use: TokenUse = "id",  # noqa: S107
) -> dict[str, Any]:
    """`TokenVerifier(issuer, [client_id]).verify(token, token_use)` with the verifier (and so its JWKS
    cache) kept per (issuer, client_id) for the life of the process."""
    return _shared(issuer, client_id).verify(token, token_use)
