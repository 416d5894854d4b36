"""Any OpenID Connect issuer (the definition's `oidc` list), and the base of Google and Apple.

Endpoints come from the issuer's discovery document (`<issuer>/.well-known/openid-configuration`, cached an
hour), each overridable in the definition (`endpoints`). The code is exchanged with PKCE (S256); the ID
token is verified (jwks.py); then the UserInfo endpoint, by GET or POST (`attribute_request_method`),
adds the claims the token lacks — and must name the same `sub` (OIDC Core §5.3.2).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from userpool.core.config import UpstreamSettings
from userpool.core.flows.federation import UpstreamIdentity
from userpool.federation import jwks
from userpool.federation.base import Return, UpstreamError, exchange_code, get_json, post_json, subject_of, with_params

DISCOVERY_SECONDS = 3600


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorization: str
    token: str
    userinfo: str
    jwks_uri: str
    basic_auth: bool  # client_secret_basic, else client_secret_post


_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


async def discover(http: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    now = time.monotonic()
    with _lock:
        cached = _discovered.get(issuer)
    if cached is not None and now - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    doc = await get_json(http, issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery document")
    if doc.get("issuer") != issuer:  # OIDC Discovery §4.3: it MUST be exactly the issuer asked for
        raise UpstreamError("server_error", "The identity provider's discovery document names another issuer.")
    with _lock:
        _discovered[issuer] = (now, doc)
    return doc


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class OidcProvider:
    default_scopes: tuple[str, ...] = ("openid",)
    default_issuer = ""
    other_issuers: tuple[str, ...] = ()  # spellings of the issuer the provider also puts in `iss`
    defaults: Mapping[str, str] = {}  # endpoint → URL when the provider is known without discovery
    response_mode = ""
    scope_separator = " "

    def __init__(self, settings: UpstreamSettings) -> None:
        self.settings = settings
        self.issuer = settings.issuer or self.default_issuer

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.settings.scopes or self.default_scopes

    async def endpoints(self, http: httpx.AsyncClient) -> Endpoints:
        s = self.settings
        given = {
            "authorization": s.authorization_endpoint or self.defaults.get("authorization", ""),
            "token": s.token_endpoint or self.defaults.get("token", ""),
            "userinfo": s.userinfo_endpoint or self.defaults.get("userinfo", ""),
            "jwks_uri": s.jwks_uri or self.defaults.get("jwks_uri", ""),
        }
        methods: list[str] = ["client_secret_post"] if self.defaults else []
        if not all(given[k] for k in ("authorization", "token", "jwks_uri")):
            doc = await discover(http, self.issuer)
            names = {"authorization": "authorization_endpoint", "token": "token_endpoint"}
            names |= {"userinfo": "userinfo_endpoint", "jwks_uri": "jwks_uri"}
            found = {k: v if isinstance(v := doc.get(names[k]), str) else "" for k in names}
            given = {k: v or found[k] for k, v in given.items()}
            listed = doc.get("token_endpoint_auth_methods_supported")
            methods = [m for m in listed if isinstance(m, str)] if isinstance(listed, list) else []
        if not all(given[k] for k in ("authorization", "token", "jwks_uri")):
            raise UpstreamError("server_error", f"{s.name}: the provider's endpoints are unknown; set them.")
        # OIDC Discovery §3: client_secret_basic is the default when the provider lists none
        basic = "client_secret_post" not in methods
        return Endpoints(
            self.issuer, given["authorization"], given["token"], given["userinfo"], given["jwks_uri"], basic
        )

    def extra_authorization_params(self) -> dict[str, str]:
        return {}

    async def authorization_url(self, http: httpx.AsyncClient, back: Return, *, prompt: str) -> str:
        ends = await self.endpoints(http)
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": back.redirect_uri,
            "scope": self.scope_separator.join(self.scopes),
            "state": back.state,
            "nonce": back.nonce,
            "code_challenge": s256(back.code_verifier),
            "code_challenge_method": "S256",
            "response_mode": self.response_mode,
            "prompt": prompt,
            **self.extra_authorization_params(),
        }
        return with_params(ends.authorization, params)

    async def client_secret(self) -> str:
        return self.settings.client_secret

    async def identity(self, http: httpx.AsyncClient, code: str, back: Return) -> UpstreamIdentity:
        ends = await self.endpoints(http)
        tokens = await exchange_code(
            http,
            ends.token,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": back.redirect_uri,
                "code_verifier": back.code_verifier,
            },
            client_id=self.settings.client_id,
            client_secret=await self.client_secret(),
            basic=ends.basic_auth,
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise UpstreamError("server_error", f"{self.settings.name} returned no ID token (is `openid` a scope?).")
        claims = dict(
            await jwks.verify_id_token(
                http,
                id_token,
                jwks_uri=ends.jwks_uri,
                issuers=(ends.issuer, *self.other_issuers),
                audience=self.settings.client_id,
                nonce=back.nonce,
            )
        )
        subject = subject_of(claims, "sub")
        if ends.userinfo and self.wants_userinfo():
            if self.settings.attribute_request_method == "POST":
                info = await post_json(http, ends.userinfo, "user info", bearer=tokens["access_token"])
            else:
                info = await get_json(http, ends.userinfo, "user info", bearer=tokens["access_token"])
            if info.get("sub") != subject:
                raise UpstreamError("access_denied", f"{self.settings.name}'s user info names another user.")
            claims = {**claims, **info}
        return UpstreamIdentity(self.settings.name, subject, claims)

    def wants_userinfo(self) -> bool:
        return True


class GoogleProvider(OidcProvider):
    """Google is an OIDC issuer; its tokens say `iss` with or without the scheme."""

    default_scopes = ("openid", "email", "profile")
    default_issuer = "https://accounts.google.com"
    other_issuers = ("accounts.google.com",)
