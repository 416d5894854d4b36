"""MFA: the pool's modes and factors, the user's settings, every MFA challenge and the OTP rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.support.pool import PoolHarness, make_pool
from userpool.core import errors
from userpool.core.flows import account, mfa_settings, software_token
from userpool.core.flows.mfa_settings import FactorSetting
from userpool.core.flows.sign_in import Challenge
from userpool.core.tokens import AuthResult

ADA = "ada@example.com"
PHONE = "+14155550123"


SENDERS = {"email": {"from_email": "noreply@example.com"}}  # email MFA needs an email sender, as in Amplify


def _pool(tmp_path: Path, mode: str = "OPTIONAL", **factors: Any) -> PoolHarness:
    multifactor = {"mode": mode, **factors}
    return make_pool(tmp_path, login_with={"email": True}, multifactor=multifactor, senders=SENDERS)


@pytest.fixture
def h(tmp_path: Path) -> Iterator[PoolHarness]:
    harness = _pool(tmp_path, totp=True, sms=True, email=True)
    yield harness
    harness.store.close()


def _token(h: PoolHarness, email: str = ADA) -> str:
    step = h.sign_in_step(email)
    assert isinstance(step, AuthResult), step
    return step.access_token


def _totp_user(h: PoolHarness, email: str = ADA) -> tuple[str, pyotp.TOTP]:
    """A confirmed user with an authenticator app set up through the access token (VerifySoftwareToken)."""
    h.confirmed_user(email)
    token = _token(h, email)
    secret = h.pool.run(software_token.associate, access_token=token)
    app = pyotp.TOTP(secret)
    h.pool.run(software_token.verify, access_token=token, code=app.at(h.clock.now()), name="phone")
    h.clock.advance(30)  # the setup code's step is spent: the next code comes from the next step
    return token, app


def _code(h: PoolHarness, step: Any, field: str, code: str) -> Any:
    return h.respond(step.name, {"USERNAME": ADA, field: code}, step.session)


def test_optional_pool_without_factors_signs_in_with_the_password_alone(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    assert isinstance(h.sign_in_step(ADA), AuthResult)


def test_totp_set_up_with_the_access_token_then_asked_at_sign_in(h: PoolHarness) -> None:
    token, app = _totp_user(h)
    user, summary = h.pool.run(account.get_user_with_mfa, access_token=token)
    assert summary.enabled == ("SOFTWARE_TOKEN_MFA",) and summary.preferred == "SOFTWARE_TOKEN_MFA"
    step = h.sign_in_step(ADA)
    assert isinstance(step, Challenge) and step.name == "SOFTWARE_TOKEN_MFA" and step.session
    assert step.parameters == {"USER_ID_FOR_SRP": user.username}
    wrong = "000000" if app.at(h.clock.now()) != "000000" else "111111"
    with pytest.raises(errors.CodeMismatchException):
        _code(h, step, "SOFTWARE_TOKEN_MFA_CODE", wrong)
    result = _code(h, step, "SOFTWARE_TOKEN_MFA_CODE", app.at(h.clock.now()))  # the same Session, again
    assert isinstance(result, AuthResult)


def test_a_totp_code_is_refused_the_second_time(h: PoolHarness) -> None:
    _, app = _totp_user(h)
    code = app.at(h.clock.now())
    assert isinstance(_code(h, h.sign_in_step(ADA), "SOFTWARE_TOKEN_MFA_CODE", code), AuthResult)
    h.clock.advance(10)  # still inside the window
    with pytest.raises(errors.ExpiredCodeException, match=r"^Your software token has already been used once\.$"):
        _code(h, h.sign_in_step(ADA), "SOFTWARE_TOKEN_MFA_CODE", code)


def test_the_setup_code_cannot_sign_in(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    token = _token(h)
    app = pyotp.TOTP(h.pool.run(software_token.associate, access_token=token))
    code = app.at(h.clock.now())
    h.pool.run(software_token.verify, access_token=token, code=code, name=None)
    with pytest.raises(errors.ExpiredCodeException):
        _code(h, h.sign_in_step(ADA), "SOFTWARE_TOKEN_MFA_CODE", code)


def test_verify_software_token_with_a_wrong_code(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    token = _token(h)
    with pytest.raises(errors.SoftwareTokenMFANotFoundException):
        h.pool.run(software_token.verify, access_token=token, code="123456", name=None)
    h.pool.run(software_token.associate, access_token=token)
    with pytest.raises(errors.EnableSoftwareTokenMFAException, match="Code mismatch"):
        h.pool.run(software_token.verify, access_token=token, code="123456", name=None)
    assert isinstance(h.sign_in_step(ADA), AuthResult)  # nothing was turned on


def test_five_wrong_answers_end_the_sign_in(h: PoolHarness) -> None:
    _, app = _totp_user(h)
    step = h.sign_in_step(ADA)
    wrong = "000000" if app.at(h.clock.now()) != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(errors.CodeMismatchException):
            _code(h, step, "SOFTWARE_TOKEN_MFA_CODE", wrong)
    with pytest.raises(errors.NotAuthorizedException, match="too many failed attempts"):
        _code(h, step, "SOFTWARE_TOKEN_MFA_CODE", wrong)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _code(h, step, "SOFTWARE_TOKEN_MFA_CODE", app.at(h.clock.now()))


def _sms_user(h: PoolHarness) -> str:
    sub = h.confirmed_user(ADA)
    h.set_attributes(sub, phone_number=PHONE, phone_number_verified="true")
    h.pool.run(mfa_settings.set_user_mfa_preference, access_token=_token(h), sms=FactorSetting(True, True))
    return sub


def test_sms_mfa_sends_a_code_bound_to_this_sign_in(h: PoolHarness) -> None:
    _sms_user(h)
    first = h.sign_in_step(ADA)
    assert isinstance(first, Challenge) and first.name == "SMS_MFA"
    assert first.parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert first.parameters["CODE_DELIVERY_DESTINATION"] == "+*******0123"
    sms = h.messages("mfa_sms")[-1]
    assert sms.to == PHONE and sms.body == f"Your authentication code is {sms.code}." and sms.code
    second = h.sign_in_step(ADA)
    assert isinstance(second, Challenge)
    with pytest.raises(errors.CodeMismatchException, match="Invalid code or auth state"):
        _code(h, second, "SMS_MFA_CODE", sms.code)  # the first sign-in's code does not answer the second
    assert isinstance(_code(h, first, "SMS_MFA_CODE", sms.code), AuthResult)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _code(h, first, "SMS_MFA_CODE", sms.code)  # and it works once


def test_an_sms_code_expires_after_three_minutes(h: PoolHarness) -> None:
    _sms_user(h)
    with h.store.begin() as tx:  # a client whose challenges outlive the code (AuthSessionValidity 15 min)
        client = tx.get_client(h.client_id)
        assert client is not None
        client.auth_session_validity = 900
        tx.put_client(client)
    step = h.sign_in_step(ADA)
    code = h.messages("mfa_sms")[-1].code or ""
    h.clock.advance(181)
    with pytest.raises(errors.ExpiredCodeException):
        _code(h, step, "SMS_MFA_CODE", code)


def test_email_mfa(h: PoolHarness) -> None:
    h.confirmed_user(ADA)
    h.pool.run(mfa_settings.set_user_mfa_preference, access_token=_token(h), email=FactorSetting(True))
    step = h.sign_in_step(ADA)
    assert isinstance(step, Challenge) and step.name == "EMAIL_OTP"
    assert step.parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert step.parameters["CODE_DELIVERY_DESTINATION"] == "a***@e***"
    mail = h.messages("mfa_email")[-1]
    assert mail.subject == "Your sign-in code" and mail.code and mail.code in mail.body
    assert isinstance(_code(h, step, "EMAIL_OTP_CODE", mail.code), AuthResult)


def test_several_factors_and_none_preferred_ask_which(h: PoolHarness) -> None:
    sub = h.confirmed_user(ADA)
    h.set_attributes(sub, phone_number=PHONE, phone_number_verified="true")
    token, app = _totp_user(h, "bob@example.com")  # a second user, to check their settings stay theirs
    token = _token(h)
    secret = h.pool.run(software_token.associate, access_token=token)
    h.pool.run(software_token.verify, access_token=token, code=pyotp.TOTP(secret).at(h.clock.now()), name=None)
    h.clock.advance(30)
    h.pool.run(
        mfa_settings.set_user_mfa_preference,
        access_token=token,
        sms=FactorSetting(True, False),
        totp=FactorSetting(True, False),
    )
    step = h.sign_in_step(ADA)
    assert isinstance(step, Challenge) and step.name == "SELECT_MFA_TYPE"
    assert json.loads(step.parameters["MFAS_CAN_CHOOSE"]) == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    with pytest.raises(errors.InvalidParameterException):
        h.respond("SELECT_MFA_TYPE", {"USERNAME": ADA, "ANSWER": "EMAIL_OTP"}, step.session)
    chosen = h.respond("SELECT_MFA_TYPE", {"USERNAME": ADA, "ANSWER": "SOFTWARE_TOKEN_MFA"}, step.session)
    assert chosen.name == "SOFTWARE_TOKEN_MFA"
    assert isinstance(_code(h, chosen, "SOFTWARE_TOKEN_MFA_CODE", pyotp.TOTP(secret).at(h.clock.now())), AuthResult)
    bob = h.sign_in_step("bob@example.com")
    assert isinstance(bob, Challenge) and bob.name == "SOFTWARE_TOKEN_MFA"  # Bob's own setting, unchanged
    bob_answer = {"USERNAME": "bob@example.com", "SOFTWARE_TOKEN_MFA_CODE": app.at(h.clock.now())}
    assert isinstance(h.respond(bob.name, bob_answer, bob.session), AuthResult)


def test_set_user_mfa_preference_refuses_what_cannot_work(tmp_path: Path) -> None:
    h = _pool(tmp_path, totp=True, sms=True)  # no EMAIL factor in this pool
    h.confirmed_user(ADA)
    token = _token(h)

    def prefer(**settings: FactorSetting) -> None:
        h.pool.run(mfa_settings.set_user_mfa_preference, access_token=token, **settings)

    with pytest.raises(errors.InvalidParameterException, match="verified phone_number"):
        prefer(sms=FactorSetting(True))
    with pytest.raises(errors.InvalidParameterException, match="VerifySoftwareToken"):
        prefer(totp=FactorSetting(True))
    with pytest.raises(errors.InvalidParameterException, match="not enabled for this user pool"):
        prefer(email=FactorSetting(True))
    with pytest.raises(errors.InvalidParameterException, match="Only one"):
        prefer(sms=FactorSetting(True, True), totp=FactorSetting(True, True))
    prefer(sms=FactorSetting(False), totp=FactorSetting(False))  # turning off what is off is fine
    h.store.close()


def test_set_user_settings_is_the_legacy_sms_switch(h: PoolHarness) -> None:
    sub = h.confirmed_user(ADA)
    h.set_attributes(sub, phone_number=PHONE, phone_number_verified="true")
    token = _token(h)
    h.pool.run(mfa_settings.set_user_settings, access_token=token, mfa_options=[("SMS", "phone_number")])
    _, summary = h.pool.run(account.get_user_with_mfa, access_token=token)
    assert summary.enabled == ("SMS_MFA",) and summary.sms_option
    assert h.sign_in_step(ADA).name == "SMS_MFA"  # type: ignore[union-attr]
    h.pool.run(mfa_settings.set_user_settings, access_token=token, mfa_options=[])
    assert isinstance(h.sign_in_step(ADA), AuthResult)
    with pytest.raises(errors.InvalidParameterException):
        h.pool.run(mfa_settings.set_user_settings, access_token=token, mfa_options=[("EMAIL", "email")])


def test_required_pool_sets_up_totp_during_sign_in(tmp_path: Path) -> None:
    h = _pool(tmp_path, "REQUIRED", totp=True)
    h.confirmed_user(ADA)
    step = h.sign_in_step(ADA)
    assert isinstance(step, Challenge) and step.name == "MFA_SETUP"
    assert step.parameters["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'  # a JSON string, as Amplify parses
    with pytest.raises(errors.InvalidParameterException, match="VerifySoftwareToken"):
        h.respond("MFA_SETUP", {"USERNAME": ADA}, step.session)  # not set up yet: the challenge stays
    secret, session = h.pool.run(software_token.associate_in_sign_in, session=step.session or "")
    assert session != step.session
    with pytest.raises(errors.NotAuthorizedException):  # each answer gets a new Session; the old one is gone
        h.pool.run(software_token.associate_in_sign_in, session=step.session or "")
    with pytest.raises(errors.EnableSoftwareTokenMFAException):
        h.pool.run(software_token.verify_in_sign_in, session=session, code="000000", name=None)
    verified = h.pool.run(
        software_token.verify_in_sign_in, session=session, code=pyotp.TOTP(secret).at(h.clock.now()), name=None
    )
    result = h.respond("MFA_SETUP", {"USERNAME": ADA}, verified)
    assert isinstance(result, AuthResult)
    h.clock.advance(30)
    again = h.sign_in_step(ADA)
    assert isinstance(again, Challenge) and again.name == "SOFTWARE_TOKEN_MFA"
    h.store.close()


def test_required_pool_uses_a_verified_email_without_asking(tmp_path: Path) -> None:
    h = _pool(tmp_path, "REQUIRED", totp=True, email=True)
    h.confirmed_user(ADA)
    step = h.sign_in_step(ADA)
    assert isinstance(step, Challenge) and step.name == "EMAIL_OTP"
    h.store.close()


def test_email_set_up_during_sign_in(tmp_path: Path) -> None:
    h = _pool(tmp_path, "REQUIRED", totp=True, email=True)
    sub = h.confirmed_user(ADA)
    h.set_attributes(sub, email_verified="false")
    step = h.sign_in_step(ADA)
    assert isinstance(step, Challenge) and step.name == "MFA_SETUP"
    assert json.loads(step.parameters["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    otp = h.respond("MFA_SETUP", {"USERNAME": ADA, "EMAIL": ADA}, step.session)
    assert otp.name == "EMAIL_OTP" and otp.parameters["CODE_DELIVERY_DESTINATION"] == "a***@e***"
    code = h.messages("mfa_email")[-1].code or ""
    token = _code(h, otp, "EMAIL_OTP_CODE", code).access_token
    user, summary = h.pool.run(account.get_user_with_mfa, access_token=token)
    assert user.attributes["email_verified"] == "true" and summary.enabled == ("EMAIL_OTP",)
    h.store.close()


def test_mfa_keeps_the_first_factors_auth_time(h: PoolHarness) -> None:
    _, app = _totp_user(h)
    step = h.sign_in_step(ADA)
    started = int(h.clock.now())
    h.clock.advance(40)
    result = _code(h, step, "SOFTWARE_TOKEN_MFA_CODE", app.at(h.clock.now()))
    assert h.pool.signer.verify(result.access_token)["auth_time"] == started


def test_code_challenges_are_rate_limited_per_user(h: PoolHarness) -> None:
    _sms_user(h)
    for _ in range(5):  # five code challenges back to back ...
        h.sign_in_step(ADA)
    with pytest.raises(errors.LimitExceededException):  # ... then one each 5 minutes
        h.sign_in_step(ADA)
    h.clock.advance(300)
    assert h.sign_in_step(ADA).name == "SMS_MFA"  # type: ignore[union-attr]


def test_mfa_off_pool_refuses_software_tokens(tmp_path: Path) -> None:
    h = make_pool(tmp_path)
    h.confirmed_user(ADA)
    with pytest.raises(errors.SoftwareTokenMFANotFoundException):
        h.pool.run(software_token.associate, access_token=_token(h))
    h.store.close()
