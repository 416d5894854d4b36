"""SAML 2.0 identity providers (the definition's `saml`), with pysaml2 and Debian's `xmlsec1`.

We are the service provider `urn:amazon:cognito:sp:<pool id>` (Cognito's entity id, so an IdP set up for
Cognito needs only the URLs changed) with the assertion consumer service `<endpoint>/saml2/idpresponse`.

- The IdP's metadata comes from the definition (FILE: the XML itself) or its URL (fetched, cached an hour).
- The request goes by HTTP-Redirect, its ID derived from this sign-in's nonce and its RelayState the
  sign-in's state; the response comes back by HTTP-POST and must answer that request (InResponseTo):
  IdP-initiated (unsolicited) responses are refused, and since each state is spent once, so is each
  assertion.
- Assertions must be signed by a key in the IdP's metadata; conditions (audience, NotBefore/NotOnOrAfter,
  recipient) are checked by pysaml2.
- The subject is the NameID; attributes are mapped by `attribute_mapping` (SAML attribute name → value, the
  first one when there are several).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import threading
import time
import warnings
from typing import Any

import httpx

from userpool.core.config import UpstreamSettings
from userpool.core.flows.federation import UpstreamIdentity
from userpool.federation.base import MAX_RESPONSE, Return, UpstreamError, unavailable

log = logging.getLogger("userpool.federation")
METADATA_SECONDS = 3600
ACS_PATH = "/saml2/idpresponse"

_metadata: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def _saml2() -> Any:
    """pysaml2, imported when a SAML provider is used (it warns about ciphers it never uses here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            import saml2
            import saml2.client
            import saml2.config
    except ImportError:
        raise UpstreamError("server_error", "SAML needs pysaml2: pip install 'userpool[saml]'.") from None
    return saml2


def sp_entity_id(pool_id: str) -> str:
    return f"urn:amazon:cognito:sp:{pool_id}"


def request_id(nonce: str) -> str:
    """The AuthnRequest's ID (an xsd:ID must not start with a digit): derived from the sign-in's nonce."""
    return "_" + hashlib.sha256(nonce.encode()).hexdigest()


class SamlProvider:
    def __init__(self, settings: UpstreamSettings, *, pool_id: str, endpoint: str) -> None:
        self.settings = settings
        self.entity_id = sp_entity_id(pool_id)
        self.acs = endpoint.rstrip("/") + ACS_PATH

    async def metadata(self, http: httpx.AsyncClient) -> str:
        s = self.settings
        if not s.saml_metadata_url:
            return s.saml_metadata
        now = time.monotonic()
        with _lock:
            cached = _metadata.get(s.saml_metadata)
        if cached is not None and now - cached[0] < METADATA_SECONDS:
            return cached[1]
        try:
            response = await http.get(s.saml_metadata)
        except httpx.HTTPError:
            raise unavailable("SAML metadata") from None
        if response.status_code != 200 or len(response.content) > MAX_RESPONSE:
            raise UpstreamError(
                "server_error", f"{s.name}: the SAML metadata URL answered HTTP {response.status_code}."
            )
        with _lock:
            _metadata[s.saml_metadata] = (now, response.text)
        return response.text

    def client(self, metadata: str) -> Any:
        saml2 = _saml2()
        xmlsec = shutil.which("xmlsec1")
        if xmlsec is None:
            raise UpstreamError("server_error", "SAML needs the xmlsec1 program (Debian: apt-get install xmlsec1).")
        config = saml2.config.SPConfig()
        try:
            config.load(
                {
                    "entityid": self.entity_id,
                    "xmlsec_binary": xmlsec,
                    "allow_unknown_attributes": True,
                    "metadata": {"inline": [metadata]},
                    "service": {
                        "sp": {
                            "endpoints": {"assertion_consumer_service": [(self.acs, saml2.BINDING_HTTP_POST)]},
                            "allow_unsolicited": False,  # IdP-initiated sign-in: off
                            "want_assertions_signed": True,
                            "want_response_signed": False,
                            "authn_requests_signed": False,
                        }
                    },
                }
            )
        except Exception as exc:  # pysaml2 raises many kinds for bad metadata
            raise UpstreamError("server_error", f"{self.settings.name}: the SAML metadata is not usable.") from exc
        return saml2.client.Saml2Client(config)

    async def authorization_url(self, http: httpx.AsyncClient, back: Return, *, prompt: str) -> str:
        del prompt
        client = self.client(await self.metadata(http))
        saml2 = _saml2()
        idps = list(client.metadata.identity_providers())
        if len(idps) != 1:
            raise UpstreamError("server_error", f"{self.settings.name}: the metadata must describe one IdP.")
        try:
            _, info = client.prepare_for_authenticate(
                entityid=idps[0],
                relay_state=back.state,
                binding=saml2.BINDING_HTTP_REDIRECT,
                message_id=request_id(back.nonce),
            )
        except Exception as exc:
            raise UpstreamError("server_error", f"{self.settings.name}: no HTTP-Redirect sign-in endpoint.") from exc
        location = dict(info["headers"]).get("Location")
        if not isinstance(location, str):
            raise UpstreamError("server_error", f"{self.settings.name}: no HTTP-Redirect sign-in endpoint.")
        return location

    async def identity(self, http: httpx.AsyncClient, code: str, back: Return) -> UpstreamIdentity:
        """`code` is the SAMLResponse (base64) the IdP posted."""
        client = self.client(await self.metadata(http))
        return await asyncio.to_thread(self._verify, client, code, back)

    def _verify(self, client: Any, saml_response: str, back: Return) -> UpstreamIdentity:
        saml2 = _saml2()
        refused = UpstreamError("access_denied", f"{self.settings.name}'s SAML response did not verify.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                response = client.parse_authn_request_response(
                    saml_response, saml2.BINDING_HTTP_POST, outstanding={request_id(back.nonce): self.acs}
                )
        except Exception as exc:  # bad signature, unsolicited, expired, wrong audience: pysaml2 raises many kinds
            log.warning("%s: SAML response refused: %s: %s", self.settings.name, type(exc).__name__, exc)
            raise refused from None
        if response is None or not response.assertion or response.name_id is None:
            raise refused
        if not all(getattr(a, "signature", None) for a in [response.assertion]):
            raise refused  # belt and braces: the assertion itself carries the signature
        subject = str(response.name_id.text or "").strip()
        if not subject or len(subject) > 255:
            raise refused
        claims: dict[str, object] = {
            name: values[0] if isinstance(values, list) and values else values
            for name, values in (response.ava or {}).items()
        }
        return UpstreamIdentity(self.settings.name, subject, claims)
