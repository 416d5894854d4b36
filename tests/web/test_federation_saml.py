"""SAML 2.0 sign-in against a real pysaml2 identity provider (tests/web/saml_support.py): the request goes
out by HTTP-Redirect, the signed response comes back by HTTP-POST; unsigned assertions, replays,
IdP-initiated responses and another browser are refused; metadata from the definition (FILE) or a URL."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import CALLBACK, Pkce, query_of
from tests.web.federation_support import ENDPOINT, FedPool, fed_pool

if shutil.which("xmlsec1") is None:
    pytest.skip("SAML tests need Debian's xmlsec1 (scripts/setup --all installs it)", allow_module_level=True)

from tests.web.saml_support import Idp, idp_metadata, key_and_cert
from userpool.federation.saml import SamlProvider

SSO = "https://idp.example.test/sso"


def _saml_pool(tmp_path: Path, metadata: str, metadata_type: str) -> Any:
    external = {
        "saml": {
            "name": "Okta",
            "metadata": {"metadata_content": metadata, "metadata_type": metadata_type},
            "attribute_mapping": {"email": "mail", "given_name": "givenName"},
        },
        "callback_urls": [CALLBACK],
        "logout_urls": ["http://localhost:3000/"],
    }
    return fed_pool(tmp_path, external, {})


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return key_and_cert(tmp_path)


def _idp_for(fed: FedPool, keys: tuple[Path, Path], metadata: str) -> Idp:
    sp = SamlProvider(fed.pool.config.upstreams["Okta"], pool_id=fed.pool.config.pool_id, endpoint=ENDPOINT)
    return Idp.for_sp(sp, keys, SSO, metadata)


@pytest.fixture
def saml(tmp_path: Path, keys: tuple[Path, Path]) -> Iterator[tuple[FedPool, Idp]]:
    metadata = idp_metadata(keys, SSO)
    with _saml_pool(tmp_path, metadata, "FILE") as fed:
        yield fed, _idp_for(fed, keys, metadata)


def _post_from_idp(fed: FedPool, form: dict[str, str]) -> Any:
    """The IdP's auto-submitted form: a cross-site POST, which carries no SameSite=Lax cookie."""
    jar = dict(fed.http.cookies)
    fed.http.cookies.clear()
    try:
        return fed.http.post("/saml2/idpresponse", data=form)
    finally:
        fed.http.cookies.update(jar)


def _go_out(fed: FedPool) -> tuple[Pkce, str]:
    pkce = Pkce.new()
    out = fed.authorize(pkce, identity_provider="Okta")
    assert out.status_code == 302, out.text
    return pkce, out.headers["location"]


def test_a_signed_assertion_signs_the_user_in(saml: tuple[FedPool, Idp]) -> None:
    fed, idp = saml
    pkce, sso = _go_out(fed)
    form = idp.answer(sso, "okta-user-1", {"mail": ["uma@corp.example"], "givenName": ["Uma"]})
    posted = _post_from_idp(fed, form)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/oauth2/idpresponse?state=")
    back = fed.back(ENDPOINT + posted.headers["location"])
    assert query_of(back.headers["location"])["state"] == "app-state"
    claims = fed.claims(str(fed.tokens(back, pkce)["id_token"]))
    assert claims["cognito:username"] == "Okta_okta-user-1"
    assert claims["email"] == "uma@corp.example" and claims["given_name"] == "Uma"
    assert claims["identities"][0]["providerType"] == "SAML"
    replay = _post_from_idp(fed, form)  # the same response again: its sign-in is spent
    assert replay.status_code == 400 and "already used" in replay.text


def test_an_unsigned_assertion_is_refused(saml: tuple[FedPool, Idp]) -> None:
    fed, idp = saml
    _, sso = _go_out(fed)
    posted = _post_from_idp(fed, idp.answer(sso, "okta-user-2", {"mail": ["vi@corp.example"]}, signed=False))
    assert posted.status_code == 302
    sent = query_of(posted.headers["location"])
    assert posted.headers["location"].startswith(CALLBACK + "?")
    assert sent["error"] == "access_denied" and "did not verify" in sent["error_description"]


def test_idp_initiated_and_another_browser_are_refused(saml: tuple[FedPool, Idp]) -> None:
    fed, idp = saml
    _, sso = _go_out(fed)
    form = idp.answer(sso, "okta-user-3", {"mail": ["wu@corp.example"]})
    unsolicited = _post_from_idp(fed, {"SAMLResponse": form["SAMLResponse"]})  # no RelayState
    assert unsolicited.status_code == 400
    posted = _post_from_idp(fed, form)
    fed.http.cookies.clear()  # the GET comes from a browser that never left for the IdP
    stolen = fed.back(ENDPOINT + posted.headers["location"])
    assert stolen.status_code == 400 and "another browser" in stolen.text


class _Metadata(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/samlmetadata+xml")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_metadata_from_a_url(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    metadata = idp_metadata(keys, SSO)
    handler = type("Handler", (_Metadata,), {"body": metadata.encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metadata.xml"
        with _saml_pool(tmp_path, url, "URL") as fed:
            idp = _idp_for(fed, keys, metadata)
            pkce, sso = _go_out(fed)
            posted = _post_from_idp(fed, idp.answer(sso, "okta-user-4", {"mail": ["xi@corp.example"]}))
            claims = fed.claims(str(fed.tokens(fed.back(ENDPOINT + posted.headers["location"]), pkce)["id_token"]))
            assert claims["cognito:username"] == "Okta_okta-user-4"
    finally:
        server.shutdown()
        server.server_close()
