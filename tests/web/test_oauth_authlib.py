"""The OAuth 2.0 / OpenID Connect server as a real client library sees it: Authlib's OAuth2Client, configured
only from the discovery document, against a real sandbox — the code flow with PKCE (a public client and
a confidential one), userInfo, refresh, revoke; client_credentials with a resource server's scopes; /logout
with the client's sign-out URLs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.sandbox import Sandbox, start_sandbox, unique_email, userpool_command
from tests.web.browser import CALLBACK, Browser, create_user

RESOURCE = f'''from userpool import define_auth

auth = define_auth(
    login_with={{"email": True, "external_providers": {{
        "callback_urls": ["{CALLBACK}"], "logout_urls": ["http://localhost:3000/signed-out"],
    }}}},
    resource_servers=[{{"identifier": "https://api.example.com", "name": "Orders API",
                        "scopes": [{{"name": "orders.read"}}, {{"name": "orders.write"}}]}}],
    clients=[
        {{"name": "worker", "generate_secret": True, "oauth_flows": ["client_credentials"],
          "oauth_scopes": ["https://api.example.com/orders.read", "https://api.example.com/orders.write"]}},
        {{"name": "webapp", "generate_secret": True, "callback_urls": ["{CALLBACK}"],
          "oauth_scopes": ["OPENID", "EMAIL", "https://api.example.com/orders.read"]}},
    ],
)
'''


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(Path(tmp_path_factory.mktemp("authlib")), RESOURCE)
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def clients(box: Sandbox) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [*userpool_command(), "sandbox", "clients", "--json", "--show-secrets", "--dir", str(box.app_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {row["name"]: row for row in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def discovery(box: Sandbox) -> dict[str, Any]:
    doc: dict[str, Any] = httpx.get(f"{box.endpoint}/{box.pool_id}/.well-known/openid-configuration").json()
    return doc


def _claims(box: Sandbox, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(httpx.get(f"{box.endpoint}/{box.pool_id}/.well-known/jwks.json").json())
    return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)


def test_discovery_lists_every_endpoint_and_each_answers(box: Sandbox, discovery: dict[str, Any]) -> None:
    assert discovery["issuer"] == f"{box.endpoint}/{box.pool_id}"
    for name, path in {
        "authorization_endpoint": "/oauth2/authorize",
        "token_endpoint": "/oauth2/token",
        "userinfo_endpoint": "/oauth2/userInfo",
        "revocation_endpoint": "/oauth2/revoke",
        "end_session_endpoint": "/logout",
        "jwks_uri": f"/{box.pool_id}/.well-known/jwks.json",
    }.items():
        assert discovery[name] == box.endpoint + path
        assert httpx.request("GET" if "token" not in name else "POST", discovery[name]).status_code < 500
    assert set(discovery["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert "https://api.example.com/orders.read" in discovery["scopes_supported"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]


def _code_flow(box: Sandbox, discovery: dict[str, Any], client: OAuth2Client, scope: str) -> dict[str, Any]:
    email = unique_email("authlib")
    create_user(box, email)
    verifier = generate_token(48)
    url, state = client.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="authlib-nonce", scope=scope
    )
    with Browser(box) as browser:  # the user, in the hosted pages
        login = browser.follow(browser.http.get(url))
        done = browser.submit(login, {"username": email, "password": "Corr3ct-Horse!"})
        back = browser.follow(done)
    callback = back.headers["location"]
    assert callback.startswith(CALLBACK + "?") and f"state={state}" in callback
    token: dict[str, Any] = client.fetch_token(
        discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    claims = _claims(box, token["id_token"])
    assert claims["email"] == email and claims["nonce"] == "authlib-nonce" and claims["aud"] == client.client_id
    return token


def test_the_code_flow_with_pkce_for_a_public_client(box: Sandbox, discovery: dict[str, Any]) -> None:
    with OAuth2Client(
        box.client_id, redirect_uri=CALLBACK, code_challenge_method="S256", token_endpoint_auth_method="none"
    ) as client:
        token = _code_flow(box, discovery, client, "openid email profile aws.cognito.signin.user.admin")
        info = client.get(discovery["userinfo_endpoint"]).json()
        assert info["email"] == _claims(box, token["id_token"])["email"]
        refreshed = client.refresh_token(discovery["token_endpoint"])
        assert refreshed["access_token"] != token["access_token"]
        revoked = client.revoke_token(discovery["revocation_endpoint"], token=token["refresh_token"])
        assert revoked.status_code == 200
        again = client.post(
            discovery["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": box.client_id},
        )
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_the_code_flow_for_a_confidential_client_with_a_custom_scope(
    box: Sandbox, discovery: dict[str, Any], clients: dict[str, dict[str, Any]]
) -> None:
    webapp = clients["webapp"]
    with OAuth2Client(
        webapp["client_id"], webapp["secret"], redirect_uri=CALLBACK, code_challenge_method="S256"
    ) as client:  # client_secret_basic, Authlib's default
        token = _code_flow(box, discovery, client, "openid email https://api.example.com/orders.read")
        access = _claims(box, token["access_token"])
        assert access["scope"] == "openid email https://api.example.com/orders.read"


def test_client_credentials_for_a_backend(
    box: Sandbox, discovery: dict[str, Any], clients: dict[str, dict[str, Any]]
) -> None:
    worker = clients["worker"]
    with OAuth2Client(worker["client_id"], worker["secret"], scope="https://api.example.com/orders.read") as client:
        token = client.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")
    assert "refresh_token" not in token and "id_token" not in token and token["token_type"] == "Bearer"
    access = _claims(box, token["access_token"])
    assert access["sub"] == worker["client_id"] == access["client_id"]
    assert access["scope"] == "https://api.example.com/orders.read" and access["token_use"] == "access"
    with OAuth2Client(worker["client_id"], worker["secret"]) as client:  # no scope: every scope it has
        everything = client.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")
    assert _claims(box, everything["access_token"])["scope"].split() == [
        "https://api.example.com/orders.read",
        "https://api.example.com/orders.write",
    ]
    # the token is no user's: the user endpoints refuse it
    assert (
        httpx.get(
            discovery["userinfo_endpoint"], headers={"authorization": f"Bearer {token['access_token']}"}
        ).status_code
        == 401
    )
    refusals = [
        ({"grant_type": "client_credentials"}, (worker["client_id"], "wrong"), 401, "invalid_client"),
        (
            {"grant_type": "client_credentials", "scope": "openid"},
            (worker["client_id"], worker["secret"]),
            400,
            "invalid_scope",
        ),
        (
            {"grant_type": "client_credentials"},
            (clients["webapp"]["client_id"], clients["webapp"]["secret"]),
            400,
            "unauthorized_client",
        ),
        ({"grant_type": "client_credentials", "client_id": box.client_id}, None, 400, "unauthorized_client"),
    ]
    for form, auth, status, error in refusals:
        response = httpx.post(discovery["token_endpoint"], data=form, auth=auth)
        assert (response.status_code, response.json()["error"]) == (status, error), form


def test_a_client_credentials_client_cannot_use_the_code_flow(
    box: Sandbox, discovery: dict[str, Any], clients: dict[str, dict[str, Any]]
) -> None:
    params = {"client_id": clients["worker"]["client_id"], "redirect_uri": CALLBACK, "response_type": "code"}
    response = httpx.get(discovery["authorization_endpoint"], params={**params, "state": "s1"})
    assert response.status_code == 302 and "error=unauthorized_client" in response.headers["location"]


def test_logout_goes_only_to_the_clients_sign_out_urls(box: Sandbox, discovery: dict[str, Any]) -> None:
    end = discovery["end_session_endpoint"]
    ok = httpx.get(end, params={"client_id": box.client_id, "logout_uri": "http://localhost:3000/signed-out"})
    assert ok.status_code == 302 and ok.headers["location"] == "http://localhost:3000/signed-out"
    # (the sandbox also accepts any loopback URL, as for redirect URIs; `serve` matches exactly: test_serve_mode)
    for uri in ("https://evil.example/", "https://localhost:3000.evil.example/", "javascript:alert(1)"):
        other = httpx.get(end, params={"client_id": box.client_id, "logout_uri": uri})
        assert other.status_code == 200 and "signed out" in other.text.lower(), uri
