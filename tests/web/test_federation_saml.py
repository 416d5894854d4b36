"""SAML 2.0 sign-in against a real pysaml2 identity provider (keys made here, signatures by Debian's
xmlsec1): the request goes out by HTTP-Redirect, the signed response comes back by HTTP-POST; unsigned
assertions, replays, IdP-initiated responses and another browser are refused; metadata from the
definition (FILE) or from a URL."""

from __future__ import annotations

import base64
import datetime
import shutil
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.web.browser import CALLBACK, Pkce, query_of
from tests.web.federation_support import ENDPOINT, FedPool, fed_pool
from userpool.federation.saml import SamlProvider

if shutil.which("xmlsec1") is None:
    pytest.skip("SAML tests need Debian's xmlsec1 (scripts/setup --all installs it)", allow_module_level=True)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server

IDP_ENTITY = "https://idp.example.test/saml"
IDP_SSO = "https://idp.example.test/sso"


def _key_and_cert(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "idp-key.pem", folder / "idp-cert.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _idp_config(key: Path, cert: Path, sp_metadata: str | None) -> IdPConfig:
    config = IdPConfig()
    settings: dict[str, Any] = {
        "entityid": IDP_ENTITY,
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": str(key),
        "cert_file": str(cert),
        "service": {
            "idp": {
                "endpoints": {"single_sign_on_service": [(IDP_SSO, BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {"default": {"lifetime": {"minutes": 15}, "name_form": NAME_FORMAT_URI}},
            }
        },
    }
    if sp_metadata is not None:
        settings["metadata"] = {"inline": [sp_metadata]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config.load(settings)
    return config


@dataclass
class Idp:
    """The identity provider: it reads our AuthnRequest and answers as a real IdP's SSO endpoint would."""

    server: Server
    sp_entity: str
    acs: str

    def answer(
        self, sso_location: str, subject: str, attributes: dict[str, list[str]], *, signed: bool = True
    ) -> dict[str, str]:
        assert sso_location.startswith(IDP_SSO + "?")
        query = query_of(sso_location)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            request = self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
            response = self.server.create_authn_response(
                identity=attributes,
                in_response_to=request.message.id,
                destination=self.acs,
                sp_entity_id=self.sp_entity,
                name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
                sign_assertion=signed,
                sign_response=False,
            )
        return {"SAMLResponse": base64.b64encode(str(response).encode()).decode(), "RelayState": query["RelayState"]}


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
    return _key_and_cert(tmp_path)


def _idp_for(fed: FedPool, keys: tuple[Path, Path], idp_metadata: str) -> Idp:
    sp = SamlProvider(fed.pool.config.upstreams["Okta"], pool_id=fed.pool.config.pool_id, endpoint=ENDPOINT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from saml2.metadata import entity_descriptor

        sp_metadata = str(entity_descriptor(sp.client(idp_metadata).config))
    return Idp(Server(config=_idp_config(*keys, sp_metadata)), sp.entity_id, sp.acs)


def _idp_metadata(keys: tuple[Path, Path]) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_metadata_string(None, config=_idp_config(*keys, None), sign=False).decode()


@pytest.fixture
def saml(tmp_path: Path, keys: tuple[Path, Path]) -> Iterator[tuple[FedPool, Idp]]:
    metadata = _idp_metadata(keys)
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
    metadata = _idp_metadata(keys)
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
