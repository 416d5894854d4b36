"""A real SAML 2.0 identity provider for the tests: pysaml2's IdP (keys made here, signatures by Debian's
xmlsec1), answering our AuthnRequests as an IdP's single sign-on endpoint would."""

from __future__ import annotations

import base64
import datetime
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.web.browser import query_of
from userpool.federation.saml import SamlProvider

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string, entity_descriptor
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server

IDP_ENTITY = "https://idp.example.test/saml"
PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def key_and_cert(folder: Path) -> tuple[Path, Path]:
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


def idp_config(keys: tuple[Path, Path], sso: str, sp_metadata: str | None) -> IdPConfig:
    config = IdPConfig()
    settings: dict[str, Any] = {
        "entityid": IDP_ENTITY,
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": str(keys[0]),
        "cert_file": str(keys[1]),
        "service": {
            "idp": {
                "endpoints": {"single_sign_on_service": [(sso, BINDING_HTTP_REDIRECT)]},
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


def idp_metadata(keys: tuple[Path, Path], sso: str) -> str:
    """The IdP's metadata, as its administrator would hand it over (FILE) or publish it (URL)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text: bytes = create_metadata_string(None, config=idp_config(keys, sso, None), sign=False)
    return text.decode()


@dataclass
class Idp:
    """The identity provider: it reads our AuthnRequest and answers with a (signed) assertion."""

    server: Server
    sso: str
    sp_entity: str
    acs: str

    @classmethod
    def for_sp(cls, sp: SamlProvider, keys: tuple[Path, Path], sso: str, metadata: str) -> Idp:
        """Our SP's metadata (entity id, assertion consumer service) registered with a new IdP."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sp_metadata = str(entity_descriptor(sp.client(metadata).config))
        return cls(Server(config=idp_config(keys, sso, sp_metadata)), sso, sp.entity_id, sp.acs)

    def answer(
        self, sso_location: str, subject: str, attributes: dict[str, list[str]], *, signed: bool = True
    ) -> dict[str, str]:
        """The form the IdP posts back: SAMLResponse (base64) and RelayState."""
        assert sso_location.startswith(self.sso + "?"), sso_location
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
                authn={"class_ref": PASSWORD_CLASS},
                sign_assertion=signed,
                sign_response=False,
            )
        return {"SAMLResponse": base64.b64encode(str(response).encode()).decode(), "RelayState": query["RelayState"]}
