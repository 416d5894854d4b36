"""pycognito's own device calls, for real, against the sandbox.

pycognito signs in through boto3 (pointed at the sandbox as usual), but posts ConfirmDevice,
UpdateDeviceStatus and ForgetDevice with `requests` to the hard-coded https://cognito-idp.<region>.amazonaws.com/,
with an `Authorization: Bearer <access token>` header and no SigV4. So the pycognito part runs in a child
process in its own mount namespace (`unshare -m`), where /etc/hosts is bind-mounted with a file that sends
that host name to 127.0.0.1. There a TLS-terminating forwarder (this process, 127.0.0.1:443, a certificate
for the host name from a CA made here, trusted in the child through REQUESTS_CA_BUNDLE) hands every byte to
the sandbox. The host's own /etc/hosts is never touched.

The child is this module run as a script: `python -m tests.api.test_pycognito_devices <config.json>`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.support.sandbox import PASSWORD, Sandbox, unique_email

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


# -- the parent: preflight, certificates, the forwarder -------------------------------------------------


def _skip(reason: str) -> NoReturn:
    pytest.skip(f"PYCOGNITO DEVICE CALLS NOT TESTED: {reason}")


def _preflight(tmp_path: Path) -> None:
    """unshare, mount and a bind mount over /etc/hosts must work here (root in a container does)."""
    for tool in ("unshare", "mount"):
        if shutil.which(tool) is None:
            _skip(f"`{tool}` is not on PATH (util-linux); it gives the pycognito child its own /etc/hosts")
    probe = tmp_path / "hosts.probe"
    probe.write_text("127.0.0.1 localhost\n")
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind '{probe}' /etc/hosts"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        _skip(f"`unshare -m` with a bind mount over /etc/hosts failed (needs root or CAP_SYS_ADMIN): {done.stderr}")


def _certificates(host: str, directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for `host` signed by it: (ca.pem, server.pem, server.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "userpool test CA")])
    off = ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "encipher_only")
    usage = dict.fromkeys((*off, "decipher_only"), False)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, **usage), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


class TlsForwarder:
    """127.0.0.1:443 with TLS, each connection piped to the sandbox's plain HTTP port."""

    def __init__(self, cert: Path, key: Path, target_port: int) -> None:
        self.target_port = target_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 443))  # OSError when taken or not allowed: the caller skips
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.connections = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._pipe, args=(raw,), daemon=True).start()

    def _pipe(self, raw: socket.socket) -> None:
        with contextlib.ExitStack() as stack:
            stack.callback(raw.close)
            try:
                raw.settimeout(30)
                tls = stack.enter_context(self.context.wrap_socket(raw, server_side=True))
                upstream = stack.enter_context(socket.create_connection(("127.0.0.1", self.target_port), timeout=30))
                while True:
                    # bytes TLS already decrypted are not visible to select()
                    ready = [tls] if tls.pending() else select.select([tls, upstream], [], [], 30)[0]
                    if not ready:
                        return
                    for source in ready:
                        data = source.recv(65536)
                        if not data:
                            return
                        (upstream if source is tls else tls).sendall(data)
            except (OSError, ssl.SSLError):
                return  # a client that hung up; the test sees what matters in the child's results

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(5)


def _child_env(ca: Path) -> dict[str, str]:
    proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    env = {k: v for k, v in os.environ.items() if k.lower() not in proxies}
    return {**env, "REQUESTS_CA_BUNDLE": str(ca), "PYTHONPATH": str(ROOT)}


def test_pycognito_device_calls_reach_the_sandbox(cognito: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    _preflight(tmp_path)
    host = f"cognito-idp.{sandbox.region}.amazonaws.com"
    email = unique_email("pycdev")
    cognito.sign_up(
        ClientId=sandbox.client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    cognito.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode=sandbox.last_code(email))

    ca, cert, key = _certificates(host, tmp_path)
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n127.0.0.1 {host}\n")
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {"endpoint": sandbox.endpoint, "pool_id": sandbox.pool_id, "client_id": sandbox.client_id, "email": email}
        )
    )
    try:
        forwarder = TlsForwarder(cert, key, sandbox.port)
    except OSError as exc:
        _skip(f"cannot listen on 127.0.0.1:443 for the TLS forwarder ({exc})")
    try:
        script = 'mount --bind "$1" /etc/hosts && exec "$2" -m tests.api.test_pycognito_devices "$3"'
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, "sh", str(hosts), sys.executable, str(config)],
            cwd=ROOT,
            env=_child_env(ca),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        forwarder.close()
    assert done.returncode == 0, f"child failed:\n{done.stdout}\n{done.stderr}\n{sandbox.log()[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["resolved"] == "127.0.0.1"
    assert result["first_has_new_device"] and result["first_device_claim"] == result["device_key"]
    assert result["confirm_status"] == 200 and result["confirm_body"] == {"UserConfirmationNecessary": True}
    assert "[200]" in result["update"] and result["remembered_after_update"] == "remembered"
    assert result["device_sign_in_claim"] == result["device_key"] and not result["device_sign_in_new_device"]
    assert "[200]" in result["forget"]
    assert result["after_forget"] == ["ResourceNotFoundException", "Device does not exist."]
    assert forwarder.connections >= 3, "pycognito's device calls did not go through the TLS forwarder"


# -- the child: pycognito, in the namespace where cognito-idp.<region>.amazonaws.com is 127.0.0.1 --------


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def child(config_path: str) -> dict[str, Any]:
    import boto3
    from botocore.exceptions import ClientError
    from pycognito.aws_srp import AWSSRP

    cfg = json.loads(Path(config_path).read_text())
    region = cfg["pool_id"].split("_")[0]
    client = boto3.client(
        "cognito-idp",
        endpoint_url=cfg["endpoint"],
        region_name=region,
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
    )
    out: dict[str, Any] = {"resolved": socket.gethostbyname(f"cognito-idp.{region}.amazonaws.com")}

    def srp(**device: str) -> AWSSRP:
        return AWSSRP(cfg["email"], PASSWORD, cfg["pool_id"], cfg["client_id"], client=client, **device)

    plain = srp()
    tokens = plain.authenticate_user()  # USER_SRP_AUTH without a device
    result = tokens["AuthenticationResult"]
    out["first_has_new_device"] = "NewDeviceMetadata" in result
    out["first_device_claim"] = _claims(result["AccessToken"]).get("device_key")
    response, device_password = plain.confirm_device(tokens, device_name="pycognito test")  # requests, https
    key, group_key = plain.device_key, plain.device_group_key
    out |= {"device_key": key, "confirm_status": response.status_code, "confirm_body": response.json()}
    out["update"] = plain.update_device_status(True, result["AccessToken"], key)
    got = client.get_device(AccessToken=result["AccessToken"], DeviceKey=key)["Device"]
    attributes = {a["Name"]: a["Value"] for a in got["DeviceAttributes"]}
    out["remembered_after_update"] = attributes["device_remembered_status"]

    remembered = srp(device_key=key, device_group_key=group_key, device_password=device_password)
    signed_in = remembered.authenticate_user()["AuthenticationResult"]  # PASSWORD_VERIFIER, then the device
    out["device_sign_in_claim"] = _claims(signed_in["AccessToken"]).get("device_key")
    out["device_sign_in_new_device"] = "NewDeviceMetadata" in signed_in

    out["forget"] = remembered.forget_device(signed_in["AccessToken"], key)
    try:
        srp(device_key=key, device_group_key=group_key, device_password=device_password).authenticate_user()
        out["after_forget"] = None
    except ClientError as exc:
        out["after_forget"] = [exc.response["Error"]["Code"], exc.response["Error"]["Message"]]
    return out


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1])))
