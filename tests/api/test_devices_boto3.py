"""Remembered devices through boto3 against the real sandbox: NewDeviceMetadata, ConfirmDevice (verifier from
pycognito's helper), the device actions, and a sign-in through DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, generate_hash_device, long_to_hex

from tests.support.sandbox import PASSWORD, Sandbox, unique_email


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def _new_user(cognito: Any, sandbox: Sandbox) -> str:
    email = unique_email("dev")
    cognito.sign_up(
        ClientId=sandbox.client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    cognito.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode=sandbox.last_code(email))
    return email


def _password_sign_in(cognito: Any, sandbox: Sandbox, email: str, device_key: str | None = None) -> dict[str, Any]:
    params = {"USERNAME": email, "PASSWORD": PASSWORD, **({"DEVICE_KEY": device_key} if device_key else {})}
    result: dict[str, Any] = cognito.initiate_auth(
        ClientId=sandbox.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
    )
    return result


class Device:
    """A client's remembered device: key, group and the random password only it knows."""

    def __init__(self, key: str, group_key: str) -> None:
        self.key, self.group_key = key, group_key
        self.password, self.verifier_config = generate_hash_device(group_key, key)


def _device_proof(cognito: Any, sandbox: Sandbox, email: str, device: Device, step: dict[str, Any]) -> dict[str, Any]:
    """From a DEVICE_SRP_AUTH challenge to the tokens, with the Session as Amplify sends it."""
    assert step["ChallengeName"] == "DEVICE_SRP_AUTH" and step["Session"], step
    srp = AWSSRP(
        username=email,
        password=PASSWORD,
        pool_id=sandbox.pool_id,
        client_id=sandbox.client_id,
        client=cognito,
        device_key=device.key,
        device_group_key=device.group_key,
        device_password=device.password,
    )
    verifier = cognito.respond_to_auth_challenge(
        ClientId=sandbox.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": email, "DEVICE_KEY": device.key, "SRP_A": long_to_hex(srp.large_a_value)},
    )
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    assert set(verifier["ChallengeParameters"]) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME"}
    result: dict[str, Any] = cognito.respond_to_auth_challenge(
        ClientId=sandbox.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=verifier["Session"],
        ChallengeResponses=srp.process_device_challenge(verifier["ChallengeParameters"]),
    )
    return result


def test_the_device_journey(cognito: Any, sandbox: Sandbox) -> None:
    email = _new_user(cognito, sandbox)
    first = _password_sign_in(cognito, sandbox, email)["AuthenticationResult"]
    meta = first["NewDeviceMetadata"]
    assert meta["DeviceKey"].startswith(f"{sandbox.region}_") and meta["DeviceGroupKey"].startswith("-")
    assert _claims(first["AccessToken"])["device_key"] == meta["DeviceKey"]
    device = Device(meta["DeviceKey"], meta["DeviceGroupKey"])

    confirmed = cognito.confirm_device(
        AccessToken=first["AccessToken"],
        DeviceKey=device.key,
        DeviceSecretVerifierConfig=device.verifier_config,
        DeviceName="boto3 laptop",
    )
    assert confirmed["UserConfirmationNecessary"] is True

    got = cognito.get_device(AccessToken=first["AccessToken"], DeviceKey=device.key)["Device"]
    attributes = {a["Name"]: a["Value"] for a in got["DeviceAttributes"]}
    assert attributes == {
        "device_status": "valid",
        "device_name": "boto3 laptop",
        "device_remembered_status": "not_remembered",
    }
    assert isinstance(got["DeviceCreateDate"], datetime.datetime)  # epoch seconds, parsed by botocore
    assert got["DeviceLastAuthenticatedDate"] >= got["DeviceCreateDate"]

    cognito.update_device_status(
        AccessToken=first["AccessToken"], DeviceKey=device.key, DeviceRememberedStatus="remembered"
    )
    listed = cognito.list_devices(AccessToken=first["AccessToken"], Limit=60)["Devices"]
    assert [d["DeviceKey"] for d in listed] == [device.key]
    assert {"Name": "device_remembered_status", "Value": "remembered"} in listed[0]["DeviceAttributes"]

    # USER_PASSWORD_AUTH with the device: the password, then the device proves itself
    step = _password_sign_in(cognito, sandbox, email, device.key)
    assert step["ChallengeParameters"] == {}
    signed_in = _device_proof(cognito, sandbox, email, device, step)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in signed_in
    assert _claims(signed_in["AccessToken"])["device_key"] == device.key

    # refresh keeps the device; another device key is refused
    refreshed = cognito.get_tokens_from_refresh_token(
        ClientId=sandbox.client_id, RefreshToken=signed_in["RefreshToken"], DeviceKey=device.key
    )["AuthenticationResult"]
    assert _claims(refreshed["AccessToken"])["device_key"] == device.key
    with pytest.raises(ClientError) as wrong_key:
        cognito.initiate_auth(
            ClientId=sandbox.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": signed_in["RefreshToken"], "DEVICE_KEY": f"{sandbox.region}_0000"},
        )
    assert _error(wrong_key)[0] == "NotAuthorizedException"

    # USER_SRP_AUTH with the device, pycognito's SRP client driving boto3 (it answers without Session)
    srp = AWSSRP(
        username=email,
        password=PASSWORD,
        pool_id=sandbox.pool_id,
        client_id=sandbox.client_id,
        client=cognito,
        device_key=device.key,
        device_group_key=device.group_key,
        device_password=device.password,
    )
    by_srp = srp.authenticate_user()["AuthenticationResult"]
    assert _claims(by_srp["AccessToken"])["device_key"] == device.key

    cognito.forget_device(AccessToken=signed_in["AccessToken"], DeviceKey=device.key)
    assert cognito.get_user(AccessToken=signed_in["AccessToken"])["Username"]  # the session goes on
    with pytest.raises(ClientError) as forgotten:
        _password_sign_in(cognito, sandbox, email, device.key)
    assert _error(forgotten) == ("ResourceNotFoundException", "Device does not exist.")
    with pytest.raises(ClientError) as gone:
        cognito.get_device(AccessToken=signed_in["AccessToken"], DeviceKey=device.key)
    assert _error(gone)[0] == "ResourceNotFoundException"
    assert cognito.list_devices(AccessToken=signed_in["AccessToken"])["Devices"] == []


def test_a_wrong_device_proof_and_another_users_device(cognito: Any, sandbox: Sandbox) -> None:
    email = _new_user(cognito, sandbox)
    first = _password_sign_in(cognito, sandbox, email)["AuthenticationResult"]
    meta = first["NewDeviceMetadata"]
    device = Device(meta["DeviceKey"], meta["DeviceGroupKey"])
    cognito.confirm_device(
        AccessToken=first["AccessToken"], DeviceKey=device.key, DeviceSecretVerifierConfig=device.verifier_config
    )
    thief = Device(device.key, device.group_key)  # same key, another random password
    with pytest.raises(ClientError) as wrong:
        _device_proof(cognito, sandbox, email, thief, _password_sign_in(cognito, sandbox, email, device.key))
    assert _error(wrong) == ("NotAuthorizedException", "Incorrect username or password.")

    other = _new_user(cognito, sandbox)
    with pytest.raises(ClientError) as not_theirs:
        _password_sign_in(cognito, sandbox, other, device.key)
    assert _error(not_theirs) == ("ResourceNotFoundException", "Device does not exist.")
    other_token = _password_sign_in(cognito, sandbox, other)["AuthenticationResult"]["AccessToken"]
    for call in (cognito.get_device, cognito.forget_device):
        with pytest.raises(ClientError) as hidden:
            call(AccessToken=other_token, DeviceKey=device.key)
        assert _error(hidden) == ("ResourceNotFoundException", "Device does not exist.")


def test_list_devices_pages(cognito: Any, sandbox: Sandbox) -> None:
    email = _new_user(cognito, sandbox)
    keys = set()
    token = ""
    for _ in range(3):
        result = _password_sign_in(cognito, sandbox, email)["AuthenticationResult"]
        meta = result["NewDeviceMetadata"]
        device = Device(meta["DeviceKey"], meta["DeviceGroupKey"])
        cognito.confirm_device(
            AccessToken=result["AccessToken"], DeviceKey=device.key, DeviceSecretVerifierConfig=device.verifier_config
        )
        keys.add(device.key)
        token = result["AccessToken"]
    seen: list[str] = []
    page = cognito.list_devices(AccessToken=token, Limit=2)
    seen += [d["DeviceKey"] for d in page["Devices"]]
    assert len(seen) == 2 and page["PaginationToken"]
    page = cognito.list_devices(AccessToken=token, Limit=2, PaginationToken=page["PaginationToken"])
    seen += [d["DeviceKey"] for d in page["Devices"]]
    assert "PaginationToken" not in page and set(seen) == keys and len(seen) == 3
    with pytest.raises(ClientError) as tampered:
        cognito.list_devices(AccessToken=token, Limit=2, PaginationToken="Mjpmb3JnZWQ")
    assert _error(tampered)[0] == "InvalidParameterException"
