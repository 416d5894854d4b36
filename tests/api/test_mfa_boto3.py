"""boto3 against a real sandbox with MFA on: every MFA action and challenge, and the recovery-code extension."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import httpx
import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.support.mfa_sandbox import confirm_user, force_change_password, unverify_email
from tests.support.sandbox import PASSWORD, Sandbox, unique_email

NEW = "N3w-Passw0rd!"


def _client(box: Sandbox) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=box.endpoint,
        region_name=box.region,
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
    )


@pytest.fixture(scope="module")
def idp(mfa_optional: Sandbox) -> Any:
    return _client(mfa_optional)


def _sign_in(idp: Any, box: Sandbox, email: str, password: str = PASSWORD) -> dict[str, Any]:
    params = {"USERNAME": email, "PASSWORD": password}
    result: dict[str, Any] = idp.initiate_auth(
        ClientId=box.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
    )
    return result


def _respond(idp: Any, box: Sandbox, step: dict[str, Any], email: str, **answer: str) -> dict[str, Any]:
    result: dict[str, Any] = idp.respond_to_auth_challenge(
        ClientId=box.client_id,
        ChallengeName=step["ChallengeName"],
        Session=step["Session"],
        ChallengeResponses={"USERNAME": email, **answer},
    )
    return result


def _fresh_code(app: pyotp.TOTP, used: set[str]) -> str:
    """A code from a step not used yet (the server refuses a step twice)."""
    while (code := app.now()) in used:
        time.sleep(1)
    used.add(code)
    return code


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def test_totp_set_up_and_signed_in_with(idp: Any, mfa_optional: Sandbox) -> None:
    email = unique_email("b3-totp")
    confirm_user(mfa_optional, email)
    token = _sign_in(idp, mfa_optional, email)["AuthenticationResult"]["AccessToken"]
    assert "UserMFASettingList" not in idp.get_user(AccessToken=token)
    secret = idp.associate_software_token(AccessToken=token)["SecretCode"]
    assert len(secret) >= 16 and secret.isalnum()
    with pytest.raises(ClientError) as wrong:
        idp.verify_software_token(
            AccessToken=token, UserCode="000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
        )
    assert _error(wrong)[0] == "EnableSoftwareTokenMFAException"
    app, used = pyotp.TOTP(secret), set[str]()
    verified = idp.verify_software_token(AccessToken=token, UserCode=_fresh_code(app, used), FriendlyDeviceName="phone")
    assert verified["Status"] == "SUCCESS"
    user = idp.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"] and user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"

    step = _sign_in(idp, mfa_optional, email)
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and step["Session"]
    with pytest.raises(ClientError) as mismatch:
        _respond(
            idp, mfa_optional, step, email, SOFTWARE_TOKEN_MFA_CODE="000000" if app.now() != "000000" else "111111"
        )
    assert _error(mismatch)[0] == "CodeMismatchException"
    code = _fresh_code(app, used)
    assert (
        "AccessToken" in _respond(idp, mfa_optional, step, email, SOFTWARE_TOKEN_MFA_CODE=code)["AuthenticationResult"]
    )
    with pytest.raises(ClientError) as replay:
        _respond(idp, mfa_optional, _sign_in(idp, mfa_optional, email), email, SOFTWARE_TOKEN_MFA_CODE=code)
    assert _error(replay) == ("ExpiredCodeException", "Your software token has already been used once.")


def _verified_phone(idp: Any, box: Sandbox, token: str, phone: str) -> None:
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": phone}])
    idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=box.last_code(phone))


def test_sms_email_and_the_choice_between_them(idp: Any, mfa_optional: Sandbox) -> None:
    email, phone = unique_email("b3-sms"), f"+1415555{int(time.time() * 1000) % 10000:04d}"
    confirm_user(mfa_optional, email)
    token = _sign_in(idp, mfa_optional, email)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as no_phone:
        idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True})
    assert _error(no_phone)[0] == "InvalidParameterException"
    _verified_phone(idp, mfa_optional, token, phone)
    idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    user = idp.get_user(AccessToken=token)
    assert user["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]

    step = _sign_in(idp, mfa_optional, email)
    assert step["ChallengeName"] == "SMS_MFA"
    assert step["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert step["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"].endswith(phone[-4:])
    done = _respond(idp, mfa_optional, step, email, SMS_MFA_CODE=mfa_optional.last_code(phone))
    assert "AuthenticationResult" in done

    idp.set_user_mfa_preference(
        AccessToken=token,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        EmailMfaSettings={"Enabled": True},
    )
    assert idp.get_user_auth_factors(AccessToken=token)["UserMFASettingList"] == ["SMS_MFA", "EMAIL_OTP"]
    step = _sign_in(idp, mfa_optional, email)
    assert step["ChallengeName"] == "SELECT_MFA_TYPE"
    assert json.loads(step["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == ["SMS_MFA", "EMAIL_OTP"]
    otp = _respond(idp, mfa_optional, step, email, ANSWER="EMAIL_OTP")
    assert otp["ChallengeName"] == "EMAIL_OTP"
    assert otp["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert "AuthenticationResult" in _respond(
        idp, mfa_optional, otp, email, EMAIL_OTP_CODE=mfa_optional.last_code(email)
    )

    idp.set_user_settings(AccessToken=token, MFAOptions=[])  # the legacy switch turns SMS off
    assert idp.get_user(AccessToken=token)["UserMFASettingList"] == ["EMAIL_OTP"]


def _extension(box: Sandbox, action: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        box.endpoint + "/",
        json=body,
        headers={"content-type": "application/x-amz-json-1.1", "x-amz-target": f"UserpoolExtensions.{action}"},
        timeout=30,
    )


def test_recovery_codes_through_the_extension_targets(idp: Any, mfa_optional: Sandbox) -> None:
    email = unique_email("b3-rc")
    confirm_user(mfa_optional, email)
    token = _sign_in(idp, mfa_optional, email)["AuthenticationResult"]["AccessToken"]
    refused = _extension(mfa_optional, "GenerateRecoveryCodes", {"AccessToken": token})
    assert refused.status_code == 400 and refused.json()["__type"] == "InvalidParameterException"
    idp.set_user_mfa_preference(AccessToken=token, EmailMfaSettings={"Enabled": True})
    made = _extension(mfa_optional, "GenerateRecoveryCodes", {"AccessToken": token}).json()
    assert len(made["RecoveryCodes"]) == 10 and made["RecoveryCodesRemaining"] == 10
    step = _sign_in(idp, mfa_optional, email)
    done = _respond(idp, mfa_optional, step, email, EMAIL_OTP_CODE=made["RecoveryCodes"][0])
    assert "AuthenticationResult" in done
    status = _extension(mfa_optional, "GetRecoveryCodeStatus", {"AccessToken": token}).json()
    assert status == {"RecoveryCodesRemaining": 9}
    with pytest.raises(ClientError) as again:
        _respond(idp, mfa_optional, _sign_in(idp, mfa_optional, email), email, RECOVERY_CODE=made["RecoveryCodes"][0])
    assert _error(again)[0] == "CodeMismatchException"
    bad = _extension(mfa_optional, "GetRecoveryCodeStatus", {"AccessToken": "nope"})
    assert bad.status_code == 400 and bad.headers["x-amzn-ErrorType"].startswith("NotAuthorizedException")
    unknown = _extension(mfa_optional, "Nope", {})
    assert unknown.json()["__type"] == "UnknownOperationException"


def test_mfa_setup_and_new_password_in_a_required_pool(mfa_required: Sandbox) -> None:
    idp = _client(mfa_required)
    email = unique_email("b3-force")
    force_change_password(mfa_required, email)
    step = _sign_in(idp, mfa_required, email)
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert json.loads(step["ChallengeParameters"]["userAttributes"]) == {"email": email}
    assert json.loads(step["ChallengeParameters"]["requiredAttributes"]) == []
    setup = _respond(idp, mfa_required, step, email, NEW_PASSWORD=NEW)
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert setup["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    associated = idp.associate_software_token(Session=setup["Session"])
    app = pyotp.TOTP(associated["SecretCode"])
    verified = idp.verify_software_token(Session=associated["Session"], UserCode=app.now(), FriendlyDeviceName="x")
    assert verified["Status"] == "SUCCESS" and verified["Session"] != associated["Session"]
    done = idp.respond_to_auth_challenge(
        ClientId=mfa_required.client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": email},
    )
    assert "AccessToken" in done["AuthenticationResult"]
    assert _sign_in(idp, mfa_required, email, NEW)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_email_mfa_set_up_during_sign_in(mfa_required_email: Sandbox) -> None:
    """REQUIRED with TOTP and email, for a user whose email is not verified: MFA_SETUP offers both; an EMAIL
    answer sends a code there (EMAIL_OTP), and the right code verifies the address and turns email MFA on."""
    box = mfa_required_email
    idp = _client(box)
    email = unique_email("b3-email-setup")
    confirm_user(box, email)
    unverify_email(box, email)
    setup = _sign_in(idp, box, email)
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert json.loads(setup["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    with pytest.raises(ClientError) as bad:  # not an address: refused, and the setup challenge stays
        _respond(idp, box, setup, email, EMAIL="nobody@nowhere")
    assert bad.value.response["Error"]["Code"] == "InvalidParameterException"
    otp = _respond(idp, box, setup, email, EMAIL=email)
    assert otp["ChallengeName"] == "EMAIL_OTP"
    assert otp["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    code = box.last_code(email)
    with pytest.raises(ClientError) as wrong:
        _respond(idp, box, otp, email, EMAIL_OTP_CODE="000000" if code != "000000" else "111111")
    assert wrong.value.response["Error"]["Code"] == "CodeMismatchException"
    done = _respond(idp, box, otp, email, EMAIL_OTP_CODE=code)
    access = done["AuthenticationResult"]["AccessToken"]
    user = idp.get_user(AccessToken=access)
    assert user["UserMFASettingList"] == ["EMAIL_OTP"] and user["PreferredMfaSetting"] == "EMAIL_OTP"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    assert _sign_in(idp, box, email)["ChallengeName"] == "EMAIL_OTP"  # from now on: a code by email
