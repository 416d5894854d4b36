"""Reading OAuth parameters: bounded form bodies, the authorization request, client credentials."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

from userpool.core.flows.hosted import MAX_PARAM, AuthorizeRequest, OAuthError

MAX_FORM = 64 * 1024  # a sign-up form or token request is a few hundred bytes
MAX_FIELDS = 50
FORM_TYPE = "application/x-www-form-urlencoded"
CARRIED = tuple(f.name for f in dataclasses.fields(AuthorizeRequest))


def _clean(value: str) -> bool:
    return "\x00" not in value and len(value) <= MAX_PARAM


async def read_form(request: Request) -> dict[str, str] | None:
    """The url-encoded body as a dict; None when it is not one, is too large, or repeats a field
    (RFC 6749 §3.2: "parameters MUST NOT be included more than once")."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != FORM_TYPE:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form or "\x00" in value:
            return None
        form[name] = value
    return form


def oauth_params(source: Mapping[str, str], *, default_client_id: str = "") -> AuthorizeRequest | None:
    """The authorization request's parameters (from a query string); None when one is unusable."""
    values = {name: source.get(name, "") for name in CARRIED}
    if not all(_clean(v) for v in values.values()):
        return None
    values["client_id"] = values["client_id"] or default_client_id
    return AuthorizeRequest(**values)


def oauth_query(req: AuthorizeRequest, **extra: str) -> str:
    """The same request as a query string, for links and redirects between the hosted pages."""
    pairs = [(name, getattr(req, name)) for name in CARRIED if getattr(req, name)]
    pairs += [(name, value) for name, value in extra.items() if value]
    return urlencode(pairs)


def with_query(uri: str, **params: str) -> str:
    """`uri` with parameters added, keeping its own query (RFC 6749 §3.1.2: it MUST be retained)."""
    parts = urlsplit(uri)
    added = urlencode([(k, v) for k, v in params.items() if v])
    query = f"{parts.query}&{added}" if parts.query and added else parts.query or added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str | None]:
    """(client_id, client_secret) from HTTP Basic (RFC 6749 §2.3.1) or the form; only one method at once."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return form.get("client_id", ""), form.get("client_secret") or None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), not ASCII (a header of raw octets), not UTF-8
        decoded = ""
    raw_id, colon, raw_secret = decoded.partition(":")
    if not colon or not raw_id:
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.", http_status=401)
    client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    if "client_secret" in form or form.get("client_id", client_id) != client_id:
        raise OAuthError("invalid_request", "Use one way of client authentication, not two.")
    return client_id, secret
