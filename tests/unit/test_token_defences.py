"""The server's own check of access tokens (every token-authorised action), against tokens forged here:
RS256 only, a known `kid`, expiry, iat/nbf in the future, revoked families; and signing-key rotation,
where the retired key keeps verifying and the JWKS keeps it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.support.pool import PoolHarness, make_pool
from userpool import signing_keys
from userpool.core import errors
from userpool.core.flows import account
from userpool.crypto.keys import KeyRing, generate_private_pem

ADA = "ada@example.com"


@pytest.fixture
def h(tmp_path: Path) -> Iterator[PoolHarness]:
    harness = make_pool(tmp_path)
    yield harness
    harness.store.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = token.split(".")
    return json.loads(base64.urlsafe_b64decode(_pad(head))), json.loads(base64.urlsafe_b64decode(_pad(body)))


def _pad(segment: str) -> str:
    return segment + "=" * (-len(segment) % 4)


def _get_user(h: PoolHarness, token: str) -> Any:
    return h.pool.run(account.get_user, access_token=token)


def _refused(h: PoolHarness, token: str, message: str = "Invalid Access Token") -> None:
    with pytest.raises(errors.NotAuthorizedException) as refused:
        _get_user(h, token)
    assert refused.value.message == message


def _signed_in(h: PoolHarness) -> str:
    h.confirmed_user(ADA)
    token = h.password_sign_in(ADA).access_token
    _get_user(h, token)  # the genuine token works
    return token


def test_alg_none_is_refused(h: PoolHarness) -> None:
    header, claims = _parts(_signed_in(h))
    forged = f"{_b64(json.dumps({**header, 'alg': 'none'}).encode())}.{_b64(json.dumps(claims).encode())}."
    _refused(h, forged)


def test_hs256_with_the_public_key_as_secret_is_refused(h: PoolHarness) -> None:
    header, claims = _parts(_signed_in(h))
    jwks = h.pool.signer.jwks()  # type: ignore[attr-defined]
    public = RSAKey.import_key(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    pem = public.as_pem(private=False)  # what a verifier that trusts the header's alg would use as the secret
    signing_input = f"{_b64(json.dumps({**header, 'alg': 'HS256'}).encode())}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    _refused(h, f"{signing_input}.{_b64(mac)}")


def test_a_token_without_kid_or_with_an_unknown_kid_is_refused(h: PoolHarness) -> None:
    header, claims = _parts(_signed_in(h))
    stranger = RSAKey.import_key(generate_private_pem())
    no_kid = jwt.encode({"alg": "RS256"}, claims, stranger, algorithms=["RS256"])
    _refused(h, no_kid)
    unknown = jwt.encode({"alg": "RS256", "kid": "not-ours"}, claims, stranger, algorithms=["RS256"])
    _refused(h, unknown)
    # Our kid, someone else's key: the signature does not verify.
    stolen_kid = jwt.encode({"alg": "RS256", "kid": header["kid"]}, claims, stranger, algorithms=["RS256"])
    _refused(h, stolen_kid)


def test_a_tampered_claim_breaks_the_signature(h: PoolHarness) -> None:
    token = _signed_in(h)
    _, claims = _parts(token)
    body = _b64(json.dumps({**claims, "sub": "someone-else"}).encode())
    head, _, signature = token.split(".")
    _refused(h, f"{head}.{body}.{signature}")


def test_expired_and_future_tokens_are_refused(h: PoolHarness) -> None:
    token = _signed_in(h)
    _, claims = _parts(token)
    now = int(h.clock.now())
    for future in ({"iat": now + 3600}, {"nbf": now + 3600}):  # signed with our own key: only the times are off
        _refused(h, h.pool.signer.sign({**claims, **future}, "access"))
    assert _get_user(h, h.pool.signer.sign({**claims, "iat": now + 30}, "access"))  # within the leeway
    h.clock.advance(3600)
    _refused(h, token, "Access Token has expired")


def test_revoked_and_signed_out_families_are_refused(h: PoolHarness) -> None:
    token = _signed_in(h)
    h.pool.run(account.global_sign_out, access_token=token)
    _refused(h, token, "Access Token has been revoked")


def test_rotated_keys_sign_new_tokens_and_the_retired_ones_still_verify(h: PoolHarness) -> None:
    old_token = _signed_in(h)
    old_kid = _parts(old_token)[0]["kid"]
    pool_id = h.pool.config.pool_id
    done = signing_keys.rotate(h.store, pool_id, h.clock.now())
    assert old_kid in done.retired and len(done.added) == 2
    # Another process, started after the rotation, signs with the new access key...
    other = KeyRing(signing_keys.keys_of(h.store, pool_id))
    _, claims = _parts(old_token)
    new_token = other.sign(claims, "access")
    assert _parts(new_token)[0]["kid"] in done.added
    # ...which this process, started before it, learns from the store on first sight of the new kid.
    assert _get_user(h, new_token)
    assert _get_user(h, old_token)  # the retired key verifies until its tokens expire
    kids = {k["kid"] for k in other.jwks()["keys"]}
    assert old_kid in kids and set(done.added) <= kids
    # A rotation long after the retired key's tokens expired deletes it.
    later = signing_keys.rotate(h.store, pool_id, h.clock.now() + 2 * 86400)
    assert old_kid in later.dropped
    assert old_kid not in {k["kid"] for k in KeyRing(signing_keys.keys_of(h.store, pool_id)).jwks()["keys"]}
