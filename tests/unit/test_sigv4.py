"""SigV4 verification against botocore's own signer: what boto3 signs verifies; any change to what was
signed, a wrong secret, a wrong scope or a stale date is refused with AWS's error and message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from userpool.core import sigv4
from userpool.core.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)

KEY_ID, SECRET, REGION = "AKIAUSERPOOLEXAMPLE1", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "eu-west-1"
NOW = datetime(2025, 3, 4, 12, 0, 0, tzinfo=UTC)


def _signed(
    body: dict[str, object] | None = None,
    *,
    at: datetime = NOW,
    secret: str = SECRET,
    region: str = REGION,
    service: str = "cognito-idp",
    url: str = "http://127.0.0.1:7429/",
) -> sigv4.SignedRequest:
    raw = json.dumps(body or {"UserPoolId": "eu-west-1_abc"}).encode()
    request = AWSRequest(
        "POST",
        url,
        data=raw,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUsers",
        },
    )
    signer = SigV4Auth(Credentials(KEY_ID, secret), service, region)
    # botocore reads the time from botocore.auth.get_current_datetime; sign "at" a chosen instant
    with mock.patch("botocore.auth.get_current_datetime", lambda: at.replace(tzinfo=None)):
        signer.add_auth(request)
    prepared = request.prepare()
    path, _, query = prepared.url.split("7429", 1)[1].partition("?")
    headers = {k.lower(): v for k, v in prepared.headers.items()}
    headers["host"] = "127.0.0.1:7429"
    return sigv4.SignedRequest("POST", path or "/", query, headers, raw)


def _verify(request: sigv4.SignedRequest, *, now: datetime = NOW, secret: str = SECRET) -> None:
    auth = sigv4.parse_authorization(request)
    sigv4.verify(request, auth, secret, region=REGION, now=now.timestamp())


def test_what_botocore_signs_verifies() -> None:
    request = _signed()
    auth = sigv4.parse_authorization(request)
    assert (auth.key_id, auth.date, auth.region, auth.service) == (KEY_ID, "20250304", REGION, "cognito-idp")
    assert {"host", "x-amz-date", "x-amz-target"} <= set(auth.signed_headers)
    _verify(request)
    _verify(_signed(url="http://127.0.0.1:7429/some%20path/?b=2&a=1"))


def test_a_wrong_secret_or_a_changed_body_does_not() -> None:
    mismatch = "The request signature we calculated does not match the signature you provided."
    with pytest.raises(InvalidSignatureException, match=mismatch):
        _verify(_signed(), secret="x" * 40)
    request = _signed()
    tampered = sigv4.SignedRequest(request.method, request.path, request.query, request.headers, b'{"x":1}')
    with pytest.raises(InvalidSignatureException, match=mismatch):
        _verify(tampered)
    other_action = dict(request.headers, **{"x-amz-target": "AWSCognitoIdentityProviderService.AdminDeleteUser"})
    with pytest.raises(InvalidSignatureException, match=mismatch):
        _verify(sigv4.SignedRequest(request.method, request.path, request.query, other_action, request.body))
    lying = dict(request.headers, **{"x-amz-content-sha256": "0" * 64})
    with pytest.raises(InvalidSignatureException, match="x-amz-content-sha256"):
        _verify(sigv4.SignedRequest(request.method, request.path, request.query, lying, request.body))


def test_five_minutes_either_side_and_not_a_second_more() -> None:
    _verify(_signed(at=NOW - timedelta(seconds=300)))
    _verify(_signed(at=NOW + timedelta(seconds=300)))
    with pytest.raises(InvalidSignatureException) as old:
        _verify(_signed(at=NOW - timedelta(seconds=301)))
    assert old.value.message == (
        "Signature expired: 20250304T115459Z is now earlier than 20250304T115500Z (20250304T120000Z - 5 min.)"
    )
    with pytest.raises(InvalidSignatureException) as ahead:
        _verify(_signed(at=NOW + timedelta(minutes=6)))
    assert ahead.value.message == (
        "Signature not yet current: 20250304T120600Z is still later than 20250304T120500Z (20250304T120000Z + 5 min.)"
    )


def test_scope_must_name_this_service_and_region() -> None:
    with pytest.raises(InvalidSignatureException, match="correct service: 'cognito-idp'"):
        _verify(_signed(service="dynamodb"))
    with pytest.raises(InvalidSignatureException, match="valid region"):
        _verify(_signed(region="us-west-2"))


def test_missing_or_incomplete_authorization() -> None:
    request = _signed()
    bare = {k: v for k, v in request.headers.items() if k != "authorization"}
    with pytest.raises(MissingAuthenticationTokenException, match="Missing Authentication Token"):
        sigv4.parse_authorization(sigv4.SignedRequest("POST", "/", "", bare, b""))
    partial = dict(
        bare, authorization=f"AWS4-HMAC-SHA256 Credential={KEY_ID}/20250304/{REGION}/cognito-idp/aws4_request"
    )
    with pytest.raises(IncompleteSignatureException, match="requires 'Signature' parameter"):
        sigv4.parse_authorization(sigv4.SignedRequest("POST", "/", "", partial, b""))
    basic = dict(bare, authorization="Basic YWRhOmxvdmVsYWNl")
    with pytest.raises(IncompleteSignatureException, match="Unsupported AWS 'algorithm'"):
        sigv4.parse_authorization(sigv4.SignedRequest("POST", "/", "", basic, b""))
    auth = request.headers["authorization"].replace(";x-amz-target", "")
    unsigned_target = sigv4.SignedRequest("POST", "/", "", dict(request.headers, authorization=auth), request.body)
    with pytest.raises(InvalidSignatureException, match="'x-amz-target' must be a 'SignedHeader'"):
        _verify(unsigned_target)
