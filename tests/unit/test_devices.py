"""Remembered devices: NewDeviceMetadata, ConfirmDevice, device SRP with pycognito's maths, the device actions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP, generate_hash_device, long_to_hex

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core import errors
from userpool.core.flows import account, devices, sign_in
from userpool.core.model import Device
from userpool.core.tokens import AuthResult

WRONG = "Incorrect username or password."
NO_DEVICE = r"^Device does not exist\.$"


@dataclass
class Remembered:
    """What a client keeps after ConfirmDevice: the device's key, group and random password."""

    key: str
    group_key: str
    password: str


def _respond(h: PoolHarness, challenge: str, responses: dict[str, str], session: str | None = None) -> Any:
    return h.pool.run(
        sign_in.respond_to_auth_challenge,
        client_id=h.client_id,
        challenge=challenge,
        responses=responses,
        session=session,
    )


def _new_device(result: AuthResult) -> tuple[str, str]:
    assert result.new_device is not None, "a sign-in without a known device gets NewDeviceMetadata"
    return result.new_device.key, result.new_device.group_key


def _confirm(h: PoolHarness, result: AuthResult, name: str = "laptop") -> Remembered:
    """ConfirmDevice with the verifier pycognito computes (generate_hash_device: PAD-ded salt and verifier)."""
    key, group_key = _new_device(result)
    password, config = generate_hash_device(group_key, key)
    h.pool.run(
        devices.confirm_device, access_token=result.access_token, device_key=key, verifier_config=config, name=name
    )
    return Remembered(key, group_key, password)


def _remembered_user(h: PoolHarness, email: str = "ada@example.com") -> tuple[AuthResult, Remembered]:
    h.confirmed_user(email)
    result = h.password_sign_in(email)
    return result, _confirm(h, result)


def _srp_client(h: PoolHarness, email: str, device: Remembered | None, password: str = PASSWORD) -> AWSSRP:
    return AWSSRP(
        username=email,
        password=password,
        pool_id=h.pool.config.pool_id,
        client_id=h.client_id,
        client=object(),
        device_key=device.key if device else None,
        device_group_key=device.group_key if device else None,
        device_password=device.password if device else None,
    )


def _to_device_challenge(h: PoolHarness, email: str, client: AWSSRP, *, with_session: bool = False) -> Any:
    """InitiateAuth(USER_SRP_AUTH) and PASSWORD_VERIFIER as pycognito sends them (DEVICE_KEY in both)."""
    params = client.get_auth_params()
    step = h.pool.run(sign_in.initiate_auth, client_id=h.client_id, flow="USER_SRP_AUTH", params=params)
    responses = client.process_challenge(step.parameters, params)
    return _respond(h, "PASSWORD_VERIFIER", responses, step.session if with_session else None)


def _device_srp(h: PoolHarness, email: str, client: AWSSRP, step: Any, *, with_session: bool = False) -> Any:
    assert isinstance(step, sign_in.Challenge) and step.name == "DEVICE_SRP_AUTH" and step.session
    answer = {"USERNAME": email, "DEVICE_KEY": client.device_key, "SRP_A": long_to_hex(client.large_a_value)}
    return _respond(h, "DEVICE_SRP_AUTH", answer, step.session if with_session else None)


def _device_sign_in(h: PoolHarness, email: str, device: Remembered, *, with_session: bool = False) -> Any:
    client = _srp_client(h, email, device)
    step = _device_srp(h, email, client, _to_device_challenge(h, email, client, with_session=with_session))
    assert step.name == "DEVICE_PASSWORD_VERIFIER"
    answer = client.process_device_challenge(step.parameters)
    return _respond(h, "DEVICE_PASSWORD_VERIFIER", answer, step.session if with_session else None)


def _stored(h: PoolHarness, key: str) -> Device | None:
    with h.store.begin() as tx:
        return tx.get_device(h.pool.config.pool_id, key)


# -- NewDeviceMetadata and ConfirmDevice ------------------------------------------------------------------


def test_a_sign_in_without_a_device_gets_new_device_metadata(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    first = harness.password_sign_in("ada@example.com")
    key, group_key = _new_device(first)
    assert re.fullmatch(r"us-east-1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", key)
    assert re.fullmatch(r"-[A-Za-z0-9]{9}", group_key)
    assert harness.pool.signer.verify(first.access_token)["device_key"] == key  # the family is bound to it
    stored = _stored(harness, key)
    assert stored is not None and not stored.confirmed and stored.verifier is None
    second = harness.password_sign_in("ada@example.com")
    assert _new_device(second)[0] != key and _new_device(second)[1] == group_key  # one group per user


def test_a_sign_in_drops_the_users_devices_never_confirmed_within_a_day(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    old_key, group_key = _new_device(harness.password_sign_in("ada@example.com"))
    harness.clock.advance(devices.UNCONFIRMED_TTL - 10)
    young_key, _ = _new_device(harness.password_sign_in("ada@example.com"))
    harness.clock.advance(20)
    newest_key, newest_group = _new_device(harness.password_sign_in("ada@example.com"))
    assert _stored(harness, old_key) is None  # a day old and never confirmed: gone
    assert _stored(harness, young_key) is not None and _stored(harness, newest_key) is not None
    assert newest_group == group_key  # the group outlives the devices it started with


def test_confirm_device_stores_the_verifier_and_asks_the_user_first(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    result = harness.password_sign_in("ada@example.com")
    key, group_key = _new_device(result)
    _, config = generate_hash_device(group_key, key)
    necessary = harness.pool.run(
        devices.confirm_device,
        access_token=result.access_token,
        device_key=key,
        verifier_config=config,
        name="Ada's laptop",
    )
    assert necessary is True  # device_only_remembered_on_user_prompt, Amplify's default
    device = harness.pool.run(devices.get_device, access_token=result.access_token, device_key=key)
    assert device.confirmed and not device.remembered and device.name == "Ada's laptop"
    import base64

    assert device.salt == base64.b64decode(config["Salt"]).hex()  # as the client PAD-ded it
    harness.pool.run(
        devices.update_device_status, access_token=result.access_token, device_key=key, status="remembered"
    )
    assert harness.pool.run(devices.get_device, access_token=result.access_token, device_key=key).remembered
    with pytest.raises(errors.InvalidParameterException, match="already been confirmed"):
        harness.pool.run(
            devices.confirm_device, access_token=result.access_token, device_key=key, verifier_config=config, name="x"
        )


def test_a_pool_that_does_not_ask_remembers_at_once(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"email": True}, devices={"device_only_remembered_on_user_prompt": False})
    h.confirmed_user("ada@example.com")
    result = h.password_sign_in("ada@example.com")
    key, group_key = _new_device(result)
    _, config = generate_hash_device(group_key, key)
    assert not h.pool.run(
        devices.confirm_device, access_token=result.access_token, device_key=key, verifier_config=config, name=""
    )
    assert h.pool.run(devices.get_device, access_token=result.access_token, device_key=key).remembered
    h.store.close()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, "Salt is required"),
        ({"Salt": "not base64!", "PasswordVerifier": "AQ=="}, "Salt must be base64"),
        ({"Salt": "AQ==", "PasswordVerifier": "AQ=="}, "Salt must be 8 to 64 bytes"),
        ({"Salt": "AAAAAAAAAAE=", "PasswordVerifier": "AA=="}, "not a valid SRP verifier"),
        ({"Salt": "AAAAAAAAAAE=", "PasswordVerifier": "A" * 600}, "PasswordVerifier must be 1 to 385 bytes"),
    ],
)
def test_confirm_device_validates_the_verifier_config(
    harness: PoolHarness, config: dict[str, str] | None, message: str
) -> None:
    harness.confirmed_user("ada@example.com")
    result = harness.password_sign_in("ada@example.com")
    with pytest.raises(errors.InvalidParameterException, match=message):
        harness.pool.run(
            devices.confirm_device,
            access_token=result.access_token,
            device_key=_new_device(result)[0],
            verifier_config=config,
            name="x",
        )


# -- signing in with the device -------------------------------------------------------------------------


@pytest.mark.parametrize("with_session", [False, True])
def test_a_confirmed_device_signs_in_through_device_srp(harness: PoolHarness, with_session: bool) -> None:
    _, device = _remembered_user(harness)
    before = _stored(harness, device.key)
    harness.clock.advance(5)
    result = _device_sign_in(harness, "ada@example.com", device, with_session=with_session)
    assert isinstance(result, AuthResult) and result.new_device is None
    assert harness.pool.signer.verify(result.access_token)["device_key"] == device.key
    after = _stored(harness, device.key)
    assert before is not None and after is not None
    assert after.last_authenticated_at == harness.clock.now() > (before.last_authenticated_at or 0)


def test_the_device_verifier_challenge_names_the_user_and_echoes_the_salt(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness)
    client = _srp_client(harness, "ada@example.com", device)
    step = _device_srp(harness, "ada@example.com", client, _to_device_challenge(harness, "ada@example.com", client))
    stored = _stored(harness, device.key)
    assert stored is not None
    assert set(step.parameters) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME"}
    assert step.parameters["SALT"] == stored.salt and step.parameters["USERNAME"] == stored.user_sub


def test_user_password_auth_with_a_device_key_goes_through_the_device_too(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness)
    params = {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD, "DEVICE_KEY": device.key}
    step = harness.pool.run(
        sign_in.initiate_auth, client_id=harness.client_id, flow="USER_PASSWORD_AUTH", params=params
    )
    assert isinstance(step, sign_in.Challenge) and step.name == "DEVICE_SRP_AUTH" and step.parameters == {}


def test_a_wrong_device_password_is_refused(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness)
    impostor = Remembered(device.key, device.group_key, "not-the-device-password")
    with pytest.raises(errors.NotAuthorizedException, match=WRONG):
        _device_sign_in(harness, "ada@example.com", impostor)


@pytest.mark.parametrize("client_style", ["amplify", "cognito-identity-js"])
def test_an_unknown_device_is_reported_after_the_password_and_the_challenge_survives(
    harness: PoolHarness, client_style: str
) -> None:
    harness.confirmed_user("ada@example.com")
    ghost = Remembered("us-east-1_00000000-0000-4000-8000-000000000000", "-ghostgrp1", "x")
    client = _srp_client(harness, "ada@example.com", ghost)
    params = client.get_auth_params()
    if client_style == "amplify":  # Amplify names its device only in the PASSWORD_VERIFIER answer
        del params["DEVICE_KEY"]
    step = harness.pool.run(sign_in.initiate_auth, client_id=harness.client_id, flow="USER_SRP_AUTH", params=params)
    responses = client.process_challenge(step.parameters, params)
    with pytest.raises(errors.ResourceNotFoundException, match=NO_DEVICE):
        _respond(harness, "PASSWORD_VERIFIER", responses, step.session)
    # Both forget the device and answer the same challenge again: Amplify without DEVICE_KEY, the older
    # library with DEVICE_KEY: null (an empty string by the time it reaches the core)
    if client_style == "amplify":
        del responses["DEVICE_KEY"]
    else:
        responses["DEVICE_KEY"] = ""
    result = _respond(harness, "PASSWORD_VERIFIER", responses, step.session)
    assert isinstance(result, AuthResult) and result.new_device is not None
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _respond(harness, "PASSWORD_VERIFIER", responses, step.session)


def test_a_wrong_password_says_nothing_about_the_device(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    params = {"USERNAME": "ada@example.com", "PASSWORD": "Wrong-Pass1", "DEVICE_KEY": "us-east-1_0000"}
    with pytest.raises(errors.NotAuthorizedException, match=WRONG):
        harness.pool.run(sign_in.initiate_auth, client_id=harness.client_id, flow="USER_PASSWORD_AUTH", params=params)


def test_another_users_device_does_not_exist_for_this_user(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness, "ada@example.com")
    harness.confirmed_user("bob@example.com")
    params = {"USERNAME": "bob@example.com", "PASSWORD": PASSWORD, "DEVICE_KEY": device.key}
    with pytest.raises(errors.ResourceNotFoundException, match=NO_DEVICE):
        harness.pool.run(sign_in.initiate_auth, client_id=harness.client_id, flow="USER_PASSWORD_AUTH", params=params)


def test_an_unconfirmed_device_counts_as_none(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    unconfirmed, _ = _new_device(harness.password_sign_in("ada@example.com"))
    params = {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD, "DEVICE_KEY": unconfirmed}
    step = harness.pool.run(
        sign_in.initiate_auth, client_id=harness.client_id, flow="USER_PASSWORD_AUTH", params=params
    )
    assert isinstance(step, AuthResult) and _new_device(step)[0] != unconfirmed


def test_device_challenges_are_single_use(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness)
    client = _srp_client(harness, "ada@example.com", device)
    first = _to_device_challenge(harness, "ada@example.com", client)
    verifier = _device_srp(harness, "ada@example.com", client, first, with_session=True)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _device_srp(harness, "ada@example.com", client, first, with_session=True)
    answer = client.process_device_challenge(verifier.parameters)
    assert isinstance(_respond(harness, "DEVICE_PASSWORD_VERIFIER", answer), AuthResult)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _respond(harness, "DEVICE_PASSWORD_VERIFIER", answer)


@pytest.mark.parametrize("stage", ["DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"])
def test_device_challenges_expire(harness: PoolHarness, stage: str) -> None:
    _, device = _remembered_user(harness)
    client = _srp_client(harness, "ada@example.com", device)
    step = _to_device_challenge(harness, "ada@example.com", client)
    if stage == "DEVICE_PASSWORD_VERIFIER":
        step = _device_srp(harness, "ada@example.com", client, step)
    harness.clock.advance(181)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        if stage == "DEVICE_SRP_AUTH":
            _device_srp(harness, "ada@example.com", client, step)
        else:
            _respond(harness, stage, client.process_device_challenge(step.parameters))


def test_a_device_answer_for_another_device_is_refused(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness)
    client = _srp_client(harness, "ada@example.com", device)
    step = _to_device_challenge(harness, "ada@example.com", client)
    answer = {"USERNAME": "ada@example.com", "DEVICE_KEY": "us-east-1_1111", "SRP_A": long_to_hex(client.large_a_value)}
    with pytest.raises(errors.NotAuthorizedException, match=WRONG):
        _respond(harness, "DEVICE_SRP_AUTH", answer, step.session)


# -- the actions ----------------------------------------------------------------------------------------


def test_list_devices_pages_with_a_tamper_proof_token(harness: PoolHarness) -> None:
    result, first = _remembered_user(harness)
    keys = {first.key} | {_confirm(harness, harness.password_sign_in("ada@example.com")).key for _ in range(2)}
    harness.password_sign_in("ada@example.com")  # an unconfirmed one is not listed

    def page(limit: int | None, token: str | None = None) -> tuple[list[Device], str | None]:
        found: tuple[list[Device], str | None] = harness.pool.run(
            devices.list_devices, access_token=result.access_token, limit=limit, pagination_token=token
        )
        return found

    one, token = page(2)
    assert len(one) == 2 and token
    two, end = page(2, token)
    assert len(two) == 1 and end is None
    assert {d.key for d in one + two} == keys
    assert {d.key for d in page(None)[0]} == keys
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "bm90LWEtdG9rZW4", "MTow"):
        with pytest.raises(errors.InvalidParameterException, match="pagination token"):
            page(2, bad)
    for limit in (0, 61):
        with pytest.raises(errors.InvalidParameterException, match="Limit"):
            page(limit)
    harness.confirmed_user("bob@example.com")
    bob = harness.password_sign_in("bob@example.com")
    with pytest.raises(errors.InvalidParameterException, match="pagination token"):  # not Bob's token
        harness.pool.run(devices.list_devices, access_token=bob.access_token, limit=2, pagination_token=token)


def test_another_users_device_is_not_found_by_any_action(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness, "ada@example.com")
    harness.confirmed_user("bob@example.com")
    bob = harness.password_sign_in("bob@example.com").access_token
    calls: list[tuple[Any, dict[str, Any]]] = [
        (devices.get_device, {}),
        (devices.update_device_status, {"status": "remembered"}),
        (devices.forget_device, {}),
        (devices.confirm_device, {"verifier_config": generate_hash_device("-g", "k")[1], "name": "x"}),
    ]
    for flow, extra in calls:
        with pytest.raises(errors.ResourceNotFoundException, match=NO_DEVICE):
            harness.pool.run(flow, access_token=bob, device_key=device.key, **extra)
    assert _stored(harness, device.key) is not None


def test_forgetting_the_device_keeps_the_session_but_the_device_stops_authenticating(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness)
    signed_in = _device_sign_in(harness, "ada@example.com", device)
    harness.pool.run(devices.forget_device, access_token=signed_in.access_token, device_key=device.key)
    assert harness.pool.run(account.get_user, access_token=signed_in.access_token).username  # still signed in
    refreshed = harness.pool.run(
        sign_in.get_tokens_from_refresh_token,
        client_id=harness.client_id,
        refresh_token=signed_in.refresh_token,
        client_secret=None,
        device_key=device.key,
    )
    assert harness.pool.signer.verify(refreshed.access_token)["device_key"] == device.key
    with pytest.raises(errors.ResourceNotFoundException, match=NO_DEVICE):
        _device_sign_in(harness, "ada@example.com", device)
    with pytest.raises(errors.ResourceNotFoundException):
        harness.pool.run(devices.get_device, access_token=signed_in.access_token, device_key=device.key)


def test_refresh_checks_the_device_key_against_the_family(harness: PoolHarness) -> None:
    _, device = _remembered_user(harness)
    signed_in = _device_sign_in(harness, "ada@example.com", device)

    def refresh(flow: str, key: str | None) -> AuthResult:
        if flow == "GetTokensFromRefreshToken":
            result: AuthResult = harness.pool.run(
                sign_in.get_tokens_from_refresh_token,
                client_id=harness.client_id,
                refresh_token=signed_in.refresh_token,
                client_secret=None,
                device_key=key,
            )
            return result
        params = {"REFRESH_TOKEN": signed_in.refresh_token or "", **({"DEVICE_KEY": key} if key else {})}
        return harness.pool.run(sign_in.initiate_auth, client_id=harness.client_id, flow=flow, params=params)

    for flow in ("REFRESH_TOKEN_AUTH", "GetTokensFromRefreshToken"):
        with pytest.raises(errors.NotAuthorizedException):
            refresh(flow, "us-east-1_99999999-9999-4999-8999-999999999999")
        for key in (device.key, None):
            assert harness.pool.signer.verify(refresh(flow, key).access_token)["device_key"] == device.key


def test_tracking_off_gives_no_metadata_and_ignores_device_keys(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"email": True}, devices=None)
    h.confirmed_user("ada@example.com")
    result = h.password_sign_in("ada@example.com")
    assert result.new_device is None and "device_key" not in h.pool.signer.verify(result.access_token)
    params = {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD, "DEVICE_KEY": "us-east-1_0000"}
    step = h.pool.run(sign_in.initiate_auth, client_id=h.client_id, flow="USER_PASSWORD_AUTH", params=params)
    assert isinstance(step, AuthResult) and step.new_device is None
    srp = h.srp_sign_in("ada@example.com")
    assert isinstance(srp, AuthResult) and srp.new_device is None
    h.store.close()
