"""TokenVerifier against a real sandbox: real tokens pass; every forgery and every wrong claim is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.support.sandbox import PASSWORD, Sandbox, free_port, unique_email
from userpool.integrations.verify import REFETCH_INTERVAL, TokenError, TokenVerifier, verify_token


@dataclass
class Issued:
    id_token: str
    access_token: str
    id_claims: dict[str, Any]
    header: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(token: str, i: int) -> dict[str, Any]:
    segment = token.split(".")[i]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


@pytest.fixture(scope="module")
def issued(sandbox: Sandbox) -> Issued:
    client = boto3.client(
        "cognito-idp",
        endpoint_url=sandbox.endpoint,
        region_name=sandbox.region,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    try:
        email = unique_email("verify")
        client.sign_up(
            ClientId=sandbox.client_id,
            Username=email,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        client.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode=sandbox.last_code(email))
        result = client.initiate_auth(
            ClientId=sandbox.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
    finally:
        client.close()
    id_token = result["IdToken"]
    return Issued(id_token, result["AccessToken"], _part(id_token, 1), _part(id_token, 0))


@pytest.fixture
def issuer(sandbox: Sandbox) -> str:
    return str(sandbox.outputs["custom"]["userpool"]["issuer"])


@dataclass
class Counted:
    http: httpx.Client
    fetches: list[str]


@pytest.fixture
def counted() -> Iterator[Counted]:
    fetches: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda request: fetches.append(str(request.url))]})
    yield Counted(http, fetches)
    http.close()


@pytest.fixture
def make_verifier(sandbox: Sandbox, issuer: str, counted: Counted) -> Callable[..., TokenVerifier]:
    def make(**kwargs: Any) -> TokenVerifier:
        options: dict[str, Any] = {"http": counted.http, "client_ids": [sandbox.client_id], "issuer": issuer}
        options.update(kwargs)
        return TokenVerifier(**options)

    return make


def refused(verifier: TokenVerifier, token: str, use: str, message: str) -> None:
    with pytest.raises(TokenError) as caught:
        verifier.verify(token, use)  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_real_tokens_verify(
    make_verifier: Callable[..., TokenVerifier], issued: Issued, sandbox: Sandbox, issuer: str, counted: Counted
) -> None:
    verifier = make_verifier()
    id_claims = verifier.verify(issued.id_token, "id")
    access_claims = verifier.verify(issued.access_token, "access")
    assert id_claims["aud"] == sandbox.client_id and id_claims["token_use"] == "id"
    assert id_claims["email"].startswith("verify-")
    assert access_claims["client_id"] == sandbox.client_id and access_claims["token_use"] == "access"
    assert counted.fetches == [f"{issuer}/.well-known/jwks.json"]  # fetched once, then cached
    assert verify_token(issued.id_token, issuer=issuer, client_id=sandbox.client_id)["sub"] == id_claims["sub"]
    assert verify_token(issued.access_token, issuer=issuer, client_id=sandbox.client_id, token_use="access")


def test_token_use_is_checked(make_verifier: Callable[..., TokenVerifier], issued: Issued) -> None:
    verifier = make_verifier()
    refused(verifier, issued.id_token, "access", "wrong token_use")
    refused(verifier, issued.access_token, "id", "wrong token_use")


def test_tampered_tokens_are_refused(make_verifier: Callable[..., TokenVerifier], issued: Issued) -> None:
    verifier = make_verifier()
    head, payload, signature = issued.id_token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    refused(verifier, f"{head}.{payload}.{flipped}", "id", "invalid signature")
    altered = _b64(json.dumps({**issued.id_claims, "email": "admin@example.com"}).encode())
    refused(verifier, f"{head}.{altered}.{signature}", "id", "invalid signature")
    refused(verifier, "not-a-token", "id", "malformed token")
    refused(verifier, "a.b.c", "id", "malformed token header")


def test_wrong_issuer(make_verifier: Callable[..., TokenVerifier], issued: Issued, sandbox: Sandbox) -> None:
    # The right keys, but the verifier expects another pool: the issuer check must catch it.
    jwks_uri = sandbox.outputs["custom"]["userpool"]["jwks_uri"]
    verifier = make_verifier(issuer=f"{sandbox.endpoint}/us-east-1_Other", jwks_uri=jwks_uri)
    refused(verifier, issued.id_token, "id", "wrong issuer")
    refused(verifier, issued.access_token, "access", "wrong issuer")


def test_wrong_audience(make_verifier: Callable[..., TokenVerifier], issued: Issued) -> None:
    verifier = make_verifier(client_ids=["someotherappclient"])
    refused(verifier, issued.id_token, "id", "wrong audience")
    refused(verifier, issued.access_token, "access", "wrong client_id")


def test_expiry_with_clock_and_leeway(make_verifier: Callable[..., TokenVerifier], issued: Issued) -> None:
    exp = issued.id_claims["exp"]
    refused(make_verifier(clock=lambda: exp + 10), issued.id_token, "id", "token expired")
    assert make_verifier(clock=lambda: exp + 10, leeway=30).verify(issued.id_token, "id")
    refused(make_verifier(clock=lambda: exp + 31, leeway=30), issued.id_token, "id", "token expired")


def test_alg_none_and_hs256_with_the_public_key_are_refused(
    make_verifier: Callable[..., TokenVerifier], issued: Issued, sandbox: Sandbox, issuer: str
) -> None:
    verifier = make_verifier()
    kid = issued.header["kid"]
    refused(verifier, _unsigned({"alg": "none", "kid": kid}, issued.id_claims), "id", "algorithm not allowed: 'none'")
    # The classic confusion attack: HMAC-sign with the public key, hoping it is used as the shared secret.
    jwks = httpx.get(f"{issuer}/.well-known/jwks.json").json()
    public_pem = RSAKey.import_key(next(k for k in jwks["keys"] if k["kid"] == kid)).as_pem(private=False)
    header = {"alg": "HS256", "kid": kid, "typ": "JWT"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(issued.id_claims).encode())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    refused(verifier, f"{signing_input}.{_b64(mac)}", "id", "algorithm not allowed: 'HS256'")


def test_missing_kid_and_foreign_key(make_verifier: Callable[..., TokenVerifier], issued: Issued) -> None:
    verifier = make_verifier()
    attacker = RSAKey.generate_key(2048)
    no_kid = jwt.encode({"alg": "RS256"}, issued.id_claims, attacker, algorithms=["RS256"])
    refused(verifier, no_kid, "id", "missing kid")
    borrowed_kid = jwt.encode({"alg": "RS256", "kid": issued.header["kid"]}, issued.id_claims, attacker)
    refused(verifier, borrowed_kid, "id", "invalid signature")


def test_unknown_kid_refetches_at_most_once_per_interval(
    make_verifier: Callable[..., TokenVerifier], issued: Issued, counted: Counted
) -> None:
    now = [time.time()]
    verifier = make_verifier(clock=lambda: now[0])
    assert verifier.verify(issued.id_token, "id")
    assert len(counted.fetches) == 1
    attacker = RSAKey.generate_key(2048)
    forged = [
        jwt.encode({"alg": "RS256", "kid": f"attacker-{i}"}, issued.id_claims, attacker, algorithms=["RS256"])
        for i in range(5)
    ]
    for token in forged:  # just fetched: no refetch at all
        refused(verifier, token, "id", "unknown kid")
    assert len(counted.fetches) == 1
    now[0] += REFETCH_INTERVAL + 1
    for token in forged:  # a minute later: one refetch for the whole burst
        refused(verifier, token, "id", "unknown kid")
    assert len(counted.fetches) == 2
    assert verifier.verify(issued.id_token, "id")  # the real key is still known, without another fetch
    assert len(counted.fetches) == 2


def test_keys_are_refetched_after_cache_seconds(
    make_verifier: Callable[..., TokenVerifier], issued: Issued, counted: Counted
) -> None:
    now = [time.time()]
    verifier = make_verifier(clock=lambda: now[0], cache_seconds=300)
    verifier.verify(issued.access_token, "access")
    now[0] += 301
    verifier.verify(issued.access_token, "access")
    assert len(counted.fetches) == 2


def test_jwks_unreachable(issued: Issued, issuer: str, sandbox: Sandbox) -> None:
    dead = f"http://127.0.0.1:{free_port()}/jwks.json"
    verifier = TokenVerifier(issuer, [sandbox.client_id], jwks_uri=dead)
    with pytest.raises(TokenError, match="JWKS unavailable"):
        verifier.verify(issued.id_token, "id")


def test_constructor_refuses_a_bare_string_of_client_ids(issuer: str) -> None:
    with pytest.raises(ValueError, match="client_ids"):
        TokenVerifier(issuer, "3iocz2tf3u0cze5br2oow156iq")
