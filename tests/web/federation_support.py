"""Real upstream identity providers for the federation tests: oidc-provider-mock (a standards-compliant
OpenID Connect provider built on Authlib) on loopback ports, standing in for Google, Login with Amazon,
Facebook, Sign in with Apple and generic OIDC issuers by overriding their URLs in the definition, plus an
in-process hosted UI wired as serve wires it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import oidc_provider_mock
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.exceptions import StarletteDeprecationWarning

from tests.web.browser import CALLBACK, Pkce, query_of
from userpool import define_auth, secret
from userpool.api.cognito import shapes
from userpool.api.cognito.admin_actions import ADMIN_ACTIONS
from userpool.bootstrap import open_pool
from userpool.core.flows import sign_up
from userpool.core.model import Message
from userpool.courier import SandboxCourier
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import Sealer
from userpool.server import build_app
from userpool.service import UserPool
from userpool.store import open_store
from userpool.web import hosted_routes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ENDPOINT = "http://127.0.0.1:9"


@dataclass
class Upstream:
    """One running OIDC provider."""

    url: str  # also its issuer

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        """The claims the provider releases for `sub` (standard ones by scope, the others always)."""
        httpx.put(f"{self.url}/users/{sub}", json=claims).raise_for_status()

    def approve(self, authorize_url: str, sub: str) -> str:
        """The user signs in at the provider as `sub`: where the provider sends the browser back."""
        response = httpx.post(authorize_url, data={"sub": sub})
        assert response.status_code == 302, response.text
        return response.headers["location"]

    def deny(self, authorize_url: str) -> str:
        response = httpx.post(authorize_url, data={"action": "deny"})
        assert response.status_code == 302, response.text
        return response.headers["location"]


@contextmanager
def upstreams(count: int = 2) -> Iterator[list[Upstream]]:
    with ExitStack() as stack:
        servers = [stack.enter_context(oidc_provider_mock.run_server_in_thread()) for _ in range(count)]
        yield [Upstream(f"http://localhost:{s.server_port}") for s in servers]


def apple_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


SECRETS = {
    "GOOGLE_SECRET": "google-secret",
    "FACEBOOK_SECRET": "facebook-secret",
    "AMAZON_SECRET": "amazon-secret",
    "CORP_SECRET": "corp-secret",
    "PARTNER_SECRET": "partner-secret",
}


def providers(a: Upstream, b: Upstream, *, apple_key: str, **extra: Any) -> dict[str, Any]:
    """Every provider kind, each pointed at a local provider. Amazon and Facebook are OAuth 2.0 with a
    profile API: their profile URL is the provider's UserInfo, whose users carry `user_id` / `id`."""

    def ends(upstream: Upstream) -> dict[str, str]:
        return {
            "authorization": f"{upstream.url}/oauth2/authorize",
            "token": f"{upstream.url}/oauth2/token",
            "user_info": f"{upstream.url}/userinfo",
            "jwks_uri": f"{upstream.url}/jwks",
        }

    return {
        "google": {
            "client_id": "google-client",
            "client_secret": secret("GOOGLE_SECRET"),
            "issuer_url": a.url,  # discovery finds the rest
            "attribute_mapping": {"given_name": "given_name"},
        },
        "facebook": {
            "client_id": "facebook-app",
            "client_secret": secret("FACEBOOK_SECRET"),
            "scopes": ["email"],
            "endpoints": ends(a),
        },
        "login_with_amazon": {
            "client_id": "amazon-client",
            "client_secret": secret("AMAZON_SECRET"),
            "scopes": ["profile", "email"],
            "endpoints": ends(a),
        },
        "sign_in_with_apple": {
            "client_id": "com.example.app",
            "team_id": "TEAM123456",
            "key_id": "KEY1234567",
            "private_key": secret("APPLE_KEY"),
            "scopes": ["openid", "email", "name"],
            "attribute_mapping": {"given_name": "firstName", "family_name": "lastName"},  # Cognito's Apple names
            "issuer_url": a.url,
            "endpoints": ends(a),
        },
        "oidc": [
            {
                "name": "Corp",
                "client_id": "corp-client",
                "client_secret": secret("CORP_SECRET"),
                "issuer_url": a.url,
                "scopes": ["openid", "email", "profile"],
                "identifiers": ["corp.example"],
                "attribute_mapping": {"family_name": "family_name", "custom": {"custom:team": "team"}},
            },
            {
                "name": "Partner",
                "client_id": "partner-client",
                "client_secret": secret("PARTNER_SECRET"),
                "issuer_url": b.url,
                "scopes": ["openid", "email"],
                "attribute_request_method": "POST",
            },
        ],
        "callback_urls": [CALLBACK],
        "logout_urls": ["http://localhost:3000/"],
        **extra,
    }


@dataclass
class FedPool:
    pool: UserPool
    http: TestClient
    sent: list[Message]

    def native_user(self, email: str, password: str = "Passw0rd!x") -> str:
        """A user signed up and confirmed as the app would (email as the user name); their sub."""
        client = self.pool.default_client_id
        result = self.pool.run(
            sign_up.sign_up, client_id=client, username=email, password=password, attributes={"email": email}
        )
        code = next(m.code for m in reversed(self.sent) if m.to == email and m.code)
        self.pool.run(sign_up.confirm_sign_up, client_id=client, username=email, code=code)
        return result.user_sub

    def admin(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """An admin action as the wire carries it: validated against Cognito's model, then handled."""
        body = {"UserPoolId": self.pool.config.pool_id, **body}
        shapes.validate(action, body)
        return ADMIN_ACTIONS[action](self.pool, body)

    def authorize(self, pkce: Pkce, **params: str) -> httpx.Response:
        query = {
            "client_id": self.pool.default_client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid email profile aws.cognito.signin.user.admin",
            "state": "app-state",
            "nonce": "app-nonce",
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
            **params,
        }
        return self.http.get("/oauth2/authorize", params=query)

    def back(self, location: str) -> httpx.Response:
        """The browser arriving at /oauth2/idpresponse from the provider."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}" == ENDPOINT and parts.path == "/oauth2/idpresponse", location
        return self.http.get(f"{parts.path}?{parts.query}")

    def tokens(self, callback: httpx.Response, pkce: Pkce) -> dict[str, Any]:
        assert callback.status_code == 302, callback.text
        location = callback.headers["location"]
        assert location.startswith(CALLBACK + "?"), location
        code = query_of(location)["code"]
        response = self.http.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "client_id": self.pool.default_client_id,
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": pkce.verifier,
            },
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def claims(self, token: str) -> dict[str, Any]:
        keys = KeySet.import_key_set(self.http.get(f"/{self.pool.config.pool_id}/.well-known/jwks.json").json())
        return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)


@contextmanager
def fed_pool(
    tmp_path: Path,
    external: dict[str, Any],
    secrets: dict[str, str],
    login: dict[str, Any] | None = None,
    **options: Any,
) -> Iterator[FedPool]:
    key = bytes(range(32))
    store = open_store(f"sqlite:///{tmp_path / 'pool.db'}", Sealer(key))
    login_with = {**(login or {"email": True}), "external_providers": external}
    definition = define_auth(login_with=login_with, user_attributes={"custom:team": {"data_type": "String"}}, **options)
    sent: list[Message] = []
    pool, _ = open_pool(
        store,
        definition,
        endpoint=ENDPOINT,
        master_key=key,
        courier=SandboxCourier(sent.append),
        hasher=Argon2Hasher(memory_cost=1024, time_cost=1),
        secrets=secrets,
    )
    app = build_app(pool, sandbox_mode=True, extra_routes=hosted_routes())
    try:
        with TestClient(app, base_url=ENDPOINT, follow_redirects=False) as http:
            yield FedPool(pool, http, sent)
    finally:
        store.close()
