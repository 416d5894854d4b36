"""The steps after the first factor, together: their order, and the device step with MFA."""

from __future__ import annotations

from pathlib import Path

import pyotp
from pycognito.aws_srp import generate_hash_device

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core.flows import challenges, devices, sign_in, software_token
from userpool.core.flows.sign_in import Challenge
from userpool.core.tokens import AuthResult

ADA = "ada@example.com"


def test_the_steps_and_their_order() -> None:
    assert [s.name for s in challenges.STEPS] == ["new_password", "mfa", "device"]
    assert {
        "NEW_PASSWORD_REQUIRED", "SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SELECT_MFA_TYPE", "MFA_SETUP",
        "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER",
    } == challenges.CHALLENGES  # fmt: skip


def _device_pool(tmp_path: Path) -> PoolHarness:
    return make_pool(
        tmp_path,
        login_with={"email": True},
        multifactor={"mode": "OPTIONAL", "totp": True},
        devices={"device_only_remembered_on_user_prompt": True},
    )


def _setup(h: PoolHarness) -> tuple[pyotp.TOTP, str, str]:
    """A TOTP user whose sign-in registered a device (confirmed, not remembered yet)."""
    h.confirmed_user(ADA)
    first = h.sign_in_step(ADA)
    assert isinstance(first, AuthResult) and first.new_device is not None
    secret = h.pool.run(software_token.associate, access_token=first.access_token)
    app = pyotp.TOTP(secret)
    h.pool.run(software_token.verify, access_token=first.access_token, code=app.at(h.clock.now()), name=None)
    h.clock.advance(30)
    _, config = generate_hash_device(first.new_device.group_key, first.new_device.key)
    h.pool.run(
        devices.confirm_device,
        access_token=first.access_token,
        device_key=first.new_device.key,
        verifier_config=config,
        name="laptop",
    )
    return app, first.new_device.key, first.access_token


def _with_device(h: PoolHarness, key: str) -> object:
    params = {"USERNAME": ADA, "PASSWORD": PASSWORD, "DEVICE_KEY": key}
    return h.pool.run(sign_in.initiate_auth, client_id=h.client_id, flow="USER_PASSWORD_AUTH", params=params)


def test_a_device_not_remembered_does_mfa_first_then_proves_itself(tmp_path: Path) -> None:
    h = _device_pool(tmp_path)
    app, key, _ = _setup(h)
    step = _with_device(h, key)
    assert isinstance(step, Challenge) and step.name == "SOFTWARE_TOKEN_MFA"
    after = h.respond(step.name, {"USERNAME": ADA, "SOFTWARE_TOKEN_MFA_CODE": app.at(h.clock.now())}, step.session)
    assert isinstance(after, Challenge) and after.name == "DEVICE_SRP_AUTH"  # as both JS clients expect
    h.store.close()


def test_a_remembered_device_skips_mfa_but_not_its_own_proof(tmp_path: Path) -> None:
    h = _device_pool(tmp_path)
    _, key, token = _setup(h)
    h.pool.run(devices.update_device_status, access_token=token, device_key=key, status="remembered")
    step = _with_device(h, key)
    assert isinstance(step, Challenge) and step.name == "DEVICE_SRP_AUTH"
    h.store.close()
