"""What every upstream provider module offers, and the HTTP steps they share.

A provider builds the URL the browser is sent to, and turns the code it sends back into a verified
`UpstreamIdentity`. Whatever goes wrong upstream is an `UpstreamError` carrying an OAuth error code, which
/oauth2/idpresponse sends on to the app's redirect URI: never a 500.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote_plus, urlencode, urlsplit

import httpx

from userpool.core.config import UpstreamSettings
from userpool.core.flows.federation import UpstreamIdentity

TIMEOUT = httpx.Timeout(10.0)
MAX_RESPONSE = 256 * 1024  # a token or profile response is a few KB


class UpstreamError(Exception):
    """The provider refused, failed, or answered something that does not verify."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Return:
    """Where the provider sends the browser back, and what that request must prove."""

    redirect_uri: str  # <endpoint>/oauth2/idpresponse
    state: str
    nonce: str
    code_verifier: str


class Provider(Protocol):
    settings: UpstreamSettings

    async def authorization_url(self, http: httpx.AsyncClient, back: Return, *, prompt: str) -> str: ...

    async def identity(self, http: httpx.AsyncClient, code: str, back: Return) -> UpstreamIdentity: ...


def with_params(url: str, params: Mapping[str, str]) -> str:
    joiner = "&" if urlsplit(url).query else "?"
    return url + joiner + urlencode({k: v for k, v in params.items() if v})


def unavailable(what: str) -> UpstreamError:
    return UpstreamError("temporarily_unavailable", f"The identity provider could not be reached ({what}).")


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if len(response.content) > MAX_RESPONSE:
        raise UpstreamError("server_error", f"The identity provider's {what} answer is too large.")
    try:
        body = response.json()
    except ValueError:
        raise UpstreamError("server_error", f"The identity provider's {what} answer is not JSON.") from None
    if not isinstance(body, dict):
        raise UpstreamError("server_error", f"The identity provider's {what} answer is not a JSON object.")
    return body


async def get_json(
    http: httpx.AsyncClient, url: str, what: str, *, bearer: str | None = None, params: Mapping[str, str] | None = None
) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    try:
        response = await http.get(url, headers=headers, params=dict(params or {}))
    except httpx.HTTPError:
        raise unavailable(what) from None
    if response.status_code != 200:
        raise UpstreamError("server_error", f"The identity provider's {what} answered HTTP {response.status_code}.")
    return _json(response, what)


async def post_json(http: httpx.AsyncClient, url: str, what: str, *, bearer: str) -> dict[str, Any]:
    """OIDC Core §5.3.1: UserInfo by POST, the access token in the header (attribute_request_method POST)."""
    try:
        response = await http.post(url, headers={"Accept": "application/json", "Authorization": f"Bearer {bearer}"})
    except httpx.HTTPError:
        raise unavailable(what) from None
    if response.status_code != 200:
        raise UpstreamError("server_error", f"The identity provider's {what} answered HTTP {response.status_code}.")
    return _json(response, what)


async def exchange_code(
    http: httpx.AsyncClient,
    url: str,
    form: Mapping[str, str],
    *,
    client_id: str,
    client_secret: str,
    basic: bool,
) -> dict[str, Any]:
    """RFC 6749 §4.1.3: the code for tokens, the client authenticated by HTTP Basic or in the form."""
    data = dict(form)
    headers = {"Accept": "application/json"}
    if basic:
        pair = f"{_form_escape(client_id)}:{_form_escape(client_secret)}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        data |= {"client_id": client_id, "client_secret": client_secret}
    try:
        response = await http.post(url, data=data, headers=headers)
    except httpx.HTTPError:
        raise unavailable("token endpoint") from None
    body = _json(response, "token endpoint")
    if response.status_code != 200 or "error" in body:
        detail = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise UpstreamError("access_denied", f"The identity provider refused the sign-in: {str(detail)[:200]}")
    if not isinstance(body.get("access_token"), str):
        raise UpstreamError("server_error", "The identity provider's token answer has no access_token.")
    return body


def _form_escape(value: str) -> str:
    return quote_plus(value)  # RFC 6749 §2.3.1: form-encode the id and secret before Basic


def subject_of(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > 255:
        raise UpstreamError("server_error", f"The identity provider gave no usable `{name}` for the user.")
    return value
