"""The Cognito actions this endpoint answers: one table, action name → handler.

Each handler turns the (already shape-validated) request into plain values, runs one flow through the
pool, and shapes the result as Cognito does. No rule lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpool.core.attributes import parse_attribute_list, to_wire
from userpool.core.delivery import CodeDelivery
from userpool.core.errors import InvalidParameterException
from userpool.core.flows import (
    account,
    auth_events,
    devices,
    mfa_settings,
    recovery,
    sign_in,
    sign_up,
    software_token,
    user_sessions,
)
from userpool.core.flows.mfa_settings import FactorSetting, MfaSummary
from userpool.core.model import Device
from userpool.core.tokens import AuthResult
from userpool.service import UserPool

Body = dict[str, Any]
Handler = Callable[[UserPool, Body], Body]


def _delivery(d: CodeDelivery) -> Body:
    return {"Destination": d.destination, "DeliveryMedium": d.medium, "AttributeName": d.attribute}


def _attributes(body: Body, key: str) -> dict[str, str]:
    return parse_attribute_list((a["Name"], a.get("Value") or "") for a in body.get(key) or [])


def _metadata(body: Body) -> dict[str, str] | None:
    """ClientMetadata: for the triggers only, never stored."""
    value = body.get("ClientMetadata")
    return dict(value) if value else None


def _validation_data(body: Body) -> dict[str, str] | None:
    """SignUp's ValidationData (a list of Name/Value, like attributes) as the trigger's dict; None if absent."""
    if body.get("ValidationData") is None:
        return None
    return {a["Name"]: a.get("Value") or "" for a in body["ValidationData"]}


def _strings(body: Body, key: str) -> dict[str, str]:
    """A string map, null values as empty strings: amazon-cognito-identity-js answers again with
    DEVICE_KEY: null to say "no device" after "Device does not exist."."""
    return {k: "" if v is None else v for k, v in (body.get(key) or {}).items()}


def _auth_result(result: AuthResult) -> Body:
    out: Body = {
        "AccessToken": result.access_token,
        "ExpiresIn": result.expires_in,
        "TokenType": result.token_type,
        "IdToken": result.id_token,
    }
    if result.refresh_token is not None:
        out["RefreshToken"] = result.refresh_token
    if result.new_device is not None:
        out["NewDeviceMetadata"] = {"DeviceKey": result.new_device.key, "DeviceGroupKey": result.new_device.group_key}
    return out


def _device(d: Device) -> Body:
    attributes = [("device_status", "valid"), ("device_name", d.name), ("last_ip_used", d.last_ip)]
    attributes.append(("device_remembered_status", "remembered" if d.remembered else "not_remembered"))
    return {
        "DeviceKey": d.key,
        "DeviceAttributes": [{"Name": name, "Value": value} for name, value in attributes if value],
        "DeviceCreateDate": d.created_at,
        "DeviceLastModifiedDate": d.last_modified_at,
        "DeviceLastAuthenticatedDate": d.last_authenticated_at or d.created_at,
    }


def _step(step: sign_in.SignInStep) -> Body:
    if isinstance(step, AuthResult):
        return {"AuthenticationResult": _auth_result(step), "ChallengeParameters": {}}
    out: Body = {"ChallengeName": step.name, "ChallengeParameters": step.parameters}
    if step.session is not None:
        out["Session"] = step.session
    return out


def sign_up_action(pool: UserPool, body: Body) -> Body:
    result = pool.run(
        sign_up.sign_up,
        client_id=body["ClientId"],
        username=body["Username"],
        password=body.get("Password"),
        attributes=_attributes(body, "UserAttributes"),
        secret_hash=body.get("SecretHash"),
        validation_data=_validation_data(body),
        client_metadata=_metadata(body),
    )
    out: Body = {"UserConfirmed": result.confirmed, "UserSub": result.user_sub}
    if result.delivery is not None:
        out["CodeDeliveryDetails"] = _delivery(result.delivery)
    return out


def confirm_sign_up_action(pool: UserPool, body: Body) -> Body:
    pool.run(
        sign_up.confirm_sign_up,
        client_id=body["ClientId"],
        username=body["Username"],
        code=body["ConfirmationCode"],
        secret_hash=body.get("SecretHash"),
        client_metadata=_metadata(body),
    )
    return {}


def resend_confirmation_code_action(pool: UserPool, body: Body) -> Body:
    delivery = pool.run(
        sign_up.resend_confirmation_code,
        client_id=body["ClientId"],
        username=body["Username"],
        secret_hash=body.get("SecretHash"),
        client_metadata=_metadata(body),
    )
    return {"CodeDeliveryDetails": _delivery(delivery)}


# SRP steps that write at once (park or spend a challenge) and hash no password: the write lock up front
# (`UserPool.run_writing`). Not when the pool has a pre authentication trigger, which InitiateAuth runs
# before its write: the lock would be held while the trigger's own code runs.
_SRP_ANSWERS = frozenset({"PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"})


def initiate_auth_action(pool: UserPool, body: Body) -> Body:
    srp = body.get("AuthFlow") == "USER_SRP_AUTH" and "pre_authentication" not in pool.config.triggers
    step = (pool.run_writing if srp else pool.run)(
        sign_in.initiate_auth,
        client_id=body["ClientId"],
        flow=body["AuthFlow"],
        params=_strings(body, "AuthParameters"),
        client_metadata=_metadata(body),
    )
    return _step(step)


def respond_to_auth_challenge_action(pool: UserPool, body: Body) -> Body:
    step = (pool.run_writing if body.get("ChallengeName") in _SRP_ANSWERS else pool.run)(
        sign_in.respond_to_auth_challenge,
        client_id=body["ClientId"],
        challenge=body["ChallengeName"],
        responses=_strings(body, "ChallengeResponses"),
        session=body.get("Session"),
        client_metadata=_metadata(body),
    )
    return _step(step)


def get_tokens_from_refresh_token_action(pool: UserPool, body: Body) -> Body:
    result = pool.run(
        sign_in.get_tokens_from_refresh_token,
        client_id=body["ClientId"],
        refresh_token=body["RefreshToken"],
        client_secret=body.get("ClientSecret"),
        device_key=body.get("DeviceKey"),
    )
    return {"AuthenticationResult": _auth_result(result)}


def _mfa(summary: MfaSummary) -> Body:
    """GetUser's MFA members, as Cognito leaves them out when there is nothing to say."""
    out: Body = {}
    if summary.preferred is not None:
        out["PreferredMfaSetting"] = summary.preferred
    if summary.enabled:
        out["UserMFASettingList"] = list(summary.enabled)
    return out


def get_user_action(pool: UserPool, body: Body) -> Body:
    user, summary = pool.run(account.get_user_with_mfa, access_token=body["AccessToken"])
    out: Body = {"Username": user.username, "UserAttributes": to_wire(user.attributes), **_mfa(summary)}
    if summary.sms_option:  # the legacy view of SMS MFA (SetUserSettings)
        out["MFAOptions"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    return out


def update_user_attributes_action(pool: UserPool, body: Body) -> Body:
    deliveries = pool.run(
        account.update_user_attributes,
        access_token=body["AccessToken"],
        attributes=_attributes(body, "UserAttributes"),
        client_metadata=_metadata(body),
    )
    return {"CodeDeliveryDetailsList": [_delivery(d) for d in deliveries]}


def delete_user_attributes_action(pool: UserPool, body: Body) -> Body:
    pool.run(account.delete_user_attributes, access_token=body["AccessToken"], names=list(body["UserAttributeNames"]))
    return {}


def get_user_auth_factors_action(pool: UserPool, body: Body) -> Body:
    factors = pool.run(account.get_user_auth_factors, access_token=body["AccessToken"])
    return {"Username": factors.username, "ConfiguredUserAuthFactors": list(factors.configured), **_mfa(factors.mfa)}


def _token_or_session(body: Body) -> tuple[str | None, str | None]:
    token, session = body.get("AccessToken"), body.get("Session")
    if (token is None) == (session is None):
        raise InvalidParameterException("Give either AccessToken or Session, not both and not neither")
    return token, session


def associate_software_token_action(pool: UserPool, body: Body) -> Body:
    token, session = _token_or_session(body)
    if token is not None:
        return {"SecretCode": pool.run(software_token.associate, access_token=token)}
    secret, new_session = pool.run(software_token.associate_in_sign_in, session=session or "")
    return {"SecretCode": secret, "Session": new_session}


def verify_software_token_action(pool: UserPool, body: Body) -> Body:
    token, session = _token_or_session(body)
    code, name = body["UserCode"], body.get("FriendlyDeviceName")
    if token is not None:
        pool.run(software_token.verify, access_token=token, code=code, name=name)
        return {"Status": "SUCCESS"}
    new_session = pool.run(software_token.verify_in_sign_in, session=session or "", code=code, name=name)
    return {"Status": "SUCCESS", "Session": new_session}


def _factor(body: Body, key: str) -> FactorSetting | None:
    value = body.get(key)
    return None if value is None else FactorSetting(value.get("Enabled"), value.get("PreferredMfa"))


def set_user_mfa_preference_action(pool: UserPool, body: Body) -> Body:
    pool.run(
        mfa_settings.set_user_mfa_preference,
        access_token=body["AccessToken"],
        sms=_factor(body, "SMSMfaSettings"),
        totp=_factor(body, "SoftwareTokenMfaSettings"),
        email=_factor(body, "EmailMfaSettings"),
    )
    return {}


def set_user_settings_action(pool: UserPool, body: Body) -> Body:
    options = [(o.get("DeliveryMedium") or "", o.get("AttributeName") or "") for o in body["MFAOptions"]]
    pool.run(mfa_settings.set_user_settings, access_token=body["AccessToken"], mfa_options=options)
    return {}


def get_user_attribute_verification_code_action(pool: UserPool, body: Body) -> Body:
    delivery = pool.run(
        account.get_user_attribute_verification_code,
        access_token=body["AccessToken"],
        attribute=body["AttributeName"],
        client_metadata=_metadata(body),
    )
    return {"CodeDeliveryDetails": _delivery(delivery)}


def verify_user_attribute_action(pool: UserPool, body: Body) -> Body:
    pool.run(
        account.verify_user_attribute,
        access_token=body["AccessToken"],
        attribute=body["AttributeName"],
        code=body["Code"],
    )
    return {}


def change_password_action(pool: UserPool, body: Body) -> Body:
    pool.run(
        account.change_password,
        access_token=body["AccessToken"],
        previous=body.get("PreviousPassword"),
        proposed=body["ProposedPassword"],
    )
    return {}


def forgot_password_action(pool: UserPool, body: Body) -> Body:
    delivery = pool.run(
        recovery.forgot_password,
        client_id=body["ClientId"],
        username=body["Username"],
        secret_hash=body.get("SecretHash"),
        client_metadata=_metadata(body),
    )
    return {"CodeDeliveryDetails": _delivery(delivery)}


def confirm_forgot_password_action(pool: UserPool, body: Body) -> Body:
    pool.run(
        recovery.confirm_forgot_password,
        client_id=body["ClientId"],
        username=body["Username"],
        code=body["ConfirmationCode"],
        password=body["Password"],
        secret_hash=body.get("SecretHash"),
        client_metadata=_metadata(body),
    )
    return {}


def global_sign_out_action(pool: UserPool, body: Body) -> Body:
    pool.run(account.global_sign_out, access_token=body["AccessToken"])
    return {}


def revoke_token_action(pool: UserPool, body: Body) -> Body:
    pool.run(
        account.revoke_token,
        client_id=body["ClientId"],
        token=body["Token"],
        client_secret=body.get("ClientSecret"),
    )
    return {}


def delete_user_action(pool: UserPool, body: Body) -> Body:
    pool.run(account.delete_user, access_token=body["AccessToken"])
    return {}


def confirm_device_action(pool: UserPool, body: Body) -> Body:
    necessary = pool.run(
        devices.confirm_device,
        access_token=body["AccessToken"],
        device_key=body["DeviceKey"],
        verifier_config=body.get("DeviceSecretVerifierConfig"),
        name=body.get("DeviceName"),
    )
    return {"UserConfirmationNecessary": necessary}


def get_device_action(pool: UserPool, body: Body) -> Body:
    device = pool.run(devices.get_device, access_token=body.get("AccessToken"), device_key=body["DeviceKey"])
    return {"Device": _device(device)}


def list_devices_action(pool: UserPool, body: Body) -> Body:
    found, token = pool.run(
        devices.list_devices,
        access_token=body["AccessToken"],
        limit=body.get("Limit"),
        pagination_token=body.get("PaginationToken"),
    )
    out: Body = {"Devices": [_device(d) for d in found]}
    if token is not None:
        out["PaginationToken"] = token
    return out


def forget_device_action(pool: UserPool, body: Body) -> Body:
    pool.run(devices.forget_device, access_token=body.get("AccessToken"), device_key=body["DeviceKey"])
    return {}


def update_device_status_action(pool: UserPool, body: Body) -> Body:
    pool.run(
        devices.update_device_status,
        access_token=body["AccessToken"],
        device_key=body["DeviceKey"],
        status=body.get("DeviceRememberedStatus"),
    )
    return {}


def list_user_sessions_action(pool: UserPool, body: Body) -> Body:
    found = pool.run(
        user_sessions.list_user_sessions, access_token=body["AccessToken"], next_token=body.get("NextToken")
    )
    return {
        "Sessions": [
            {
                "SessionId": s.session_id,
                "SessionType": "TOKEN",
                "ClientId": s.client_id,
                "CreateDate": s.created_at,
                "LastActiveDate": s.last_active_at,
                "IsCurrentSession": s.current,
            }
            for s in found
        ]
    }


def revoke_user_session_action(pool: UserPool, body: Body) -> Body:
    pool.run(
        user_sessions.revoke_user_session,
        access_token=body["AccessToken"],
        session=body["SessionId"],
        associated=body.get("RevokeAssociatedSessions"),
    )
    return {}


def update_auth_event_feedback_action(pool: UserPool, body: Body) -> Body:
    pool.run(auth_events.update_auth_event_feedback, user_pool_id=body["UserPoolId"])
    return {}


ACTIONS: dict[str, Handler] = {
    "SignUp": sign_up_action,
    "ConfirmSignUp": confirm_sign_up_action,
    "ResendConfirmationCode": resend_confirmation_code_action,
    "InitiateAuth": initiate_auth_action,
    "RespondToAuthChallenge": respond_to_auth_challenge_action,
    "GetTokensFromRefreshToken": get_tokens_from_refresh_token_action,
    "GetUser": get_user_action,
    "UpdateUserAttributes": update_user_attributes_action,
    "DeleteUserAttributes": delete_user_attributes_action,
    "GetUserAttributeVerificationCode": get_user_attribute_verification_code_action,
    "VerifyUserAttribute": verify_user_attribute_action,
    "ChangePassword": change_password_action,
    "ForgotPassword": forgot_password_action,
    "ConfirmForgotPassword": confirm_forgot_password_action,
    "GlobalSignOut": global_sign_out_action,
    "RevokeToken": revoke_token_action,
    "DeleteUser": delete_user_action,
    "GetUserAuthFactors": get_user_auth_factors_action,
    "ConfirmDevice": confirm_device_action,
    "GetDevice": get_device_action,
    "ListDevices": list_devices_action,
    "ForgetDevice": forget_device_action,
    "UpdateDeviceStatus": update_device_status_action,
    "ListUserSessions": list_user_sessions_action,
    "RevokeUserSession": revoke_user_session_action,
    "UpdateAuthEventFeedback": update_auth_event_feedback_action,
    "AssociateSoftwareToken": associate_software_token_action,
    "VerifySoftwareToken": verify_software_token_action,
    "SetUserMFAPreference": set_user_mfa_preference_action,
    "SetUserSettings": set_user_settings_action,
}
