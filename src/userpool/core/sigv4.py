"""AWS Signature Version 4, verified: what the admin actions' callers (boto3, the AWS CLI, any AWS SDK)
sign with an access key. Pure: the caller hands in the request and the key's secret, and the clock's time.

    Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<yyyymmdd>/<region>/cognito-idp/aws4_request,
                   SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=<hex>

    canonical request = method, canonical URI, canonical query, canonical headers, signed headers, payload hash
    string to sign    = "AWS4-HMAC-SHA256", X-Amz-Date, scope, hex(SHA-256(canonical request))
    signing key       = HMAC chain "AWS4"+secret → date → region → service → "aws4_request"
    signature         = hex(HMAC(signing key, string to sign)), compared in constant time

Refusals carry AWS's names and wording, so SDKs and people recognise them. The signed headers must include
`host`, `x-amz-date` and `x-amz-target` (the action: a captured request cannot be replayed as another one),
and X-Amz-Date must be within 5 minutes of the server's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from userpool.core.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "cognito-idp"
MAX_SKEW = 300  # seconds either side of the server's clock
REQUIRED_SIGNED = ("host", "x-amz-date", "x-amz-target")
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
_KEY_ID = re.compile(r"[A-Z0-9]{16,128}")


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as received: `headers` with lower-case names (repeated ones joined by ",")."""

    method: str
    path: str  # as sent, percent-encoded
    query: str  # as sent
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Authorization:
    """The parts of an `Authorization: AWS4-HMAC-SHA256 …` header."""

    key_id: str
    date: str  # yyyymmdd of the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(request: SignedRequest) -> Authorization:
    """The Authorization header's parts; MissingAuthenticationToken without one, IncompleteSignature when a
    part is missing or malformed."""
    header = request.headers.get("authorization", "").strip()
    if not header:
        raise MissingAuthenticationTokenException("Missing Authentication Token")
    algorithm, _, rest = header.partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(
            f"Unsupported AWS 'algorithm': '{algorithm}'. Sign the request with {ALGORITHM} (AWS Signature Version 4)."
        )
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            parts[name] = value
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not parts.get(name)
    ]
    if "x-amz-date" not in request.headers:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise IncompleteSignatureException(" ".join(missing) + f" Authorization={header[:40]}")
    credential = parts["Credential"].split("/")
    if len(credential) != 5 or credential[4] != "aws4_request" or not _KEY_ID.fullmatch(credential[0]):
        raise IncompleteSignatureException(
            f"Credential should be of the form <key id>/<yyyymmdd>/<region>/{SERVICE}/aws4_request, "
            f"not '{parts['Credential'][:120]}'."
        )
    signed = tuple(parts["SignedHeaders"].split(";"))
    if list(signed) != sorted(set(signed)) or any(h != h.lower() or not h for h in signed):
        raise IncompleteSignatureException("SignedHeaders must be lower-case header names, sorted, separated by ';'.")
    return Authorization(credential[0], credential[1], credential[2], credential[3], signed, parts["Signature"])


def check_scope(auth: Authorization, request: SignedRequest, region: str) -> datetime:
    """The credential scope names this service, this region and the request's own date; the headers that
    must be signed are. Returns the request's X-Amz-Date."""
    if auth.service != SERVICE:
        raise InvalidSignatureException(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if auth.region != region:
        raise InvalidSignatureException(
            f"Credential should be scoped to a valid region. This user pool is in '{region}', not '{auth.region}'."
        )
    for name in REQUIRED_SIGNED:
        if name not in auth.signed_headers:
            raise InvalidSignatureException(f"'{name}' must be a 'SignedHeader' in the AWS Authorization.")
    amz_date = request.headers["x-amz-date"]
    try:
        when = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        raise IncompleteSignatureException(
            f"X-Amz-Date must be in the ISO-8601 basic format yyyyMMdd'T'HHmmss'Z', not '{amz_date[:40]}'."
        ) from None
    if auth.date != amz_date[:8]:
        raise InvalidSignatureException(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{auth.date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    return when


def check_time(when: datetime, now: float) -> None:
    """X-Amz-Date within MAX_SKEW seconds of `now`, with AWS's messages either way."""
    signed_at = when.timestamp()
    stamp = when.strftime(_AMZ_DATE)
    if signed_at < now - MAX_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {stamp} is now earlier than {_stamp(now - MAX_SKEW)} ({_stamp(now)} - 5 min.)"
        )
    if signed_at > now + MAX_SKEW:
        raise InvalidSignatureException(
            f"Signature not yet current: {stamp} is still later than {_stamp(now + MAX_SKEW)} ({_stamp(now)} + 5 min.)"
        )


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime(_AMZ_DATE)


def payload_hash(request: SignedRequest) -> str:
    """SHA-256 of the body; an X-Amz-Content-SHA256 header must say the same (no UNSIGNED-PAYLOAD here)."""
    actual = hashlib.sha256(request.body).hexdigest()
    declared = request.headers.get("x-amz-content-sha256")
    if declared is not None and not hmac.compare_digest(declared.lower().encode(), actual.encode()):
        raise InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was computed.")
    return actual


def _canonical_uri(path: str) -> str:
    # botocore (every service but S3): normalise the path as sent, then percent-encode it again.
    segments: list[str] = []
    for segment in (path or "/").split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return quote(normalized, safe="/~")


def _canonical_query(query: str) -> str:
    pairs = []
    for item in query.split("&") if query else []:
        name, _, value = item.partition("=")
        pairs.append((quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _header_value(value: str) -> str:
    return " ".join(value.split())  # trimmed, inner runs of spaces collapsed


def canonical_request(request: SignedRequest, signed_headers: tuple[str, ...], body_hash: str) -> str:
    headers = "".join(f"{name}:{_header_value(request.headers.get(name, ''))}\n" for name in signed_headers)
    return "\n".join(
        (
            request.method.upper(),
            _canonical_uri(request.path),
            _canonical_query(request.query),
            headers,
            ";".join(signed_headers),
            body_hash,
        )
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return "\n".join((ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str = SERVICE) -> bytes:
    return _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), "aws4_request")


def signature(secret: str, auth: Authorization, request: SignedRequest) -> str:
    """The signature `request` should carry under `secret`, for the scope and headers `auth` names."""
    canonical = canonical_request(request, auth.signed_headers, payload_hash(request))
    to_sign = string_to_sign(request.headers["x-amz-date"], auth.scope, canonical)
    return hmac.new(
        signing_key(secret, auth.date, auth.region, auth.service), to_sign.encode(), hashlib.sha256
    ).hexdigest()


def verify(request: SignedRequest, auth: Authorization, secret: str, *, region: str, now: float) -> None:
    """Everything but finding the key: scope, the required signed headers, the time, the signature."""
    when = check_scope(auth, request, region)
    check_time(when, now)
    expected = signature(secret, auth, request)
    if not hmac.compare_digest(expected.encode(), auth.signature.lower().encode()):
        raise InvalidSignatureException(_MISMATCH)
