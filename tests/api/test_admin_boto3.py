"""The admin API through boto3 with keys minted by `userpool keys create --json`, against a real sandbox:
every admin action, and AWS's refusals for unsigned, badly signed, stale and disabled-key requests."""

from __future__ import annotations

import base64
import datetime
import json
import sqlite3
from typing import Any
from unittest import mock

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from pycognito.aws_srp import generate_hash_device

from tests.support.admin_sandbox import admin_client, mint_key, server_client_id, userpool
from tests.support.sandbox import PASSWORD, Sandbox, unique_email

TARGET = "AWSCognitoIdentityProviderService."


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


@pytest.fixture(scope="module")
def key(admin_box: Sandbox) -> dict[str, Any]:
    return mint_key(admin_box)


@pytest.fixture(scope="module")
def admin(admin_box: Sandbox, key: dict[str, Any]) -> Any:
    return admin_client(admin_box, key)


@pytest.fixture(scope="module")
def server(admin_box: Sandbox) -> str:
    """The id of the definition's "server" client (ADMIN_USER_PASSWORD_AUTH allowed)."""
    return server_client_id(admin_box)


@pytest.fixture(scope="module")
def app(admin_box: Sandbox) -> Any:
    """The app side: boto3 as apps use it, whose user-pool actions go unsigned."""
    return boto3.client(
        "cognito-idp", endpoint_url=admin_box.endpoint, region_name=admin_box.region, aws_access_key_id="x",
        aws_secret_access_key="x",
    )  # fmt: skip


def _create(admin: Any, box: Sandbox, email: str, **kw: Any) -> dict[str, Any]:
    user: dict[str, Any] = admin.admin_create_user(
        UserPoolId=box.pool_id, Username=email, UserAttributes=[{"Name": "email", "Value": email}], **kw
    )["User"]
    return user


def _confirmed(admin: Any, box: Sandbox, prefix: str = "adm") -> str:
    email = unique_email(prefix)
    _create(admin, box, email, MessageAction="SUPPRESS", TemporaryPassword="Temp-Passw0rd!")
    admin.admin_set_user_password(UserPoolId=box.pool_id, Username=email, Password=PASSWORD, Permanent=True)
    return email


def _sign_in(app: Any, box: Sandbox, email: str, password: str = PASSWORD) -> dict[str, Any]:
    result: dict[str, Any] = app.initiate_auth(
        ClientId=box.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
    )
    return result


# -- who may call ----------------------------------------------------------------------------------------


def _post(box: Sandbox, action: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    base = {"content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET + action}
    return httpx.post(box.endpoint + "/", content=json.dumps(body), headers={**base, **(headers or {})}, timeout=30)


def test_an_unsigned_admin_request_is_refused_and_app_actions_stay_unsigned(admin_box: Sandbox, app: Any) -> None:
    response = _post(admin_box, "ListUsers", {"UserPoolId": admin_box.pool_id})
    assert response.status_code == 400
    assert response.json() == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException:"
    email = unique_email("unsigned")  # SignUp (authtype none) works with no signature at all, as before
    signed_up = _post(admin_box, "SignUp", {"ClientId": admin_box.client_id, "Username": email, "Password": PASSWORD})
    assert signed_up.status_code == 200, signed_up.text


def test_a_wrong_secret_an_unknown_key_and_a_session_token_are_refused(admin_box: Sandbox, key: dict[str, Any]) -> None:
    wrong = admin_client(admin_box, {**key, "SecretAccessKey": "x" * 40})
    with pytest.raises(ClientError) as bad_signature:
        wrong.list_users(UserPoolId=admin_box.pool_id)
    assert _error(bad_signature) == (
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.",
    )
    stranger = admin_client(admin_box, {"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "SecretAccessKey": "y" * 40})
    with pytest.raises(ClientError) as unknown:
        stranger.list_users(UserPoolId=admin_box.pool_id)
    assert _error(unknown) == ("UnrecognizedClientException", "The security token included in the request is invalid.")
    with_token = admin_client(admin_box, key, aws_session_token="FwoGZXIvYXdzEXAMPLE")
    with pytest.raises(ClientError) as temporary:
        with_token.list_users(UserPoolId=admin_box.pool_id)
    assert _error(temporary)[0] == "UnrecognizedClientException"


def test_a_request_signed_more_than_five_minutes_ago_is_refused(admin_box: Sandbox, key: dict[str, Any]) -> None:
    body = json.dumps({"UserPoolId": admin_box.pool_id}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + "ListUsers"}

    def signed_at(when: datetime.datetime) -> httpx.Response:
        request = AWSRequest("POST", admin_box.endpoint + "/", data=body, headers=headers)
        signer = SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "cognito-idp", admin_box.region)
        with mock.patch("botocore.auth.get_current_datetime", lambda: when):
            signer.add_auth(request)
        return httpx.post(admin_box.endpoint + "/", content=body, headers=dict(request.headers.items()), timeout=30)

    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert signed_at(now - datetime.timedelta(minutes=2)).status_code == 200
    stale = signed_at(now - datetime.timedelta(minutes=10))
    assert stale.status_code == 400 and stale.json()["__type"] == "InvalidSignatureException"
    message = stale.json()["message"]
    assert message.startswith("Signature expired: ") and " is now earlier than " in message
    assert message.endswith(" - 5 min.)")
    ahead = signed_at(now + datetime.timedelta(minutes=10))
    assert ahead.json()["__type"] == "InvalidSignatureException"
    assert ahead.json()["message"].startswith("Signature not yet current: ")


def test_a_disabled_or_deleted_key_is_refused(admin_box: Sandbox) -> None:
    key = mint_key(admin_box, "to be switched off")
    client = admin_client(admin_box, key)
    assert client.list_users(UserPoolId=admin_box.pool_id, Limit=1)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert userpool(admin_box.app_dir, "keys", "disable", key["AccessKeyId"]).returncode == 0
    with pytest.raises(ClientError) as disabled:
        client.list_users(UserPoolId=admin_box.pool_id)
    assert _error(disabled) == ("UnrecognizedClientException", "The security token included in the request is invalid.")
    assert userpool(admin_box.app_dir, "keys", "enable", key["AccessKeyId"]).returncode == 0
    client.list_users(UserPoolId=admin_box.pool_id, Limit=1)
    assert userpool(admin_box.app_dir, "keys", "delete", key["AccessKeyId"]).returncode == 0
    with pytest.raises(ClientError) as deleted:
        client.list_users(UserPoolId=admin_box.pool_id)
    assert _error(deleted)[0] == "UnrecognizedClientException"


def test_another_pool_id_is_not_found(admin_box: Sandbox, admin: Any) -> None:
    with pytest.raises(ClientError) as other:
        admin.list_users(UserPoolId="us-east-1_NotThis01")
    assert _error(other) == ("ResourceNotFoundException", "User pool us-east-1_NotThis01 does not exist.")


# -- creating and managing users ---------------------------------------------------------------------------


def test_admin_create_user_invites_and_the_user_sets_a_password(admin_box: Sandbox, admin: Any, app: Any) -> None:
    email = unique_email("invite")
    user = _create(admin, admin_box, email, DesiredDeliveryMediums=["EMAIL"])
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and user["Enabled"] is True
    assert isinstance(user["UserCreateDate"], datetime.datetime)
    assert {"Name": "email", "Value": email} in user["Attributes"]
    temporary = admin_box.last_code(email)  # the invitation carries the generated temporary password
    invitation = [m for m in admin_box.messages() if m["to"] == email][-1]
    assert temporary in invitation["body"] and "temporary password" in invitation["body"]
    step = _sign_in(app, admin_box, email, temporary)
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = app.respond_to_auth_challenge(
        ClientId=admin_box.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": PASSWORD},
    )
    assert done["AuthenticationResult"]["AccessToken"]
    got = admin.admin_get_user(UserPoolId=admin_box.pool_id, Username=email)
    assert got["UserStatus"] == "CONFIRMED" and got["Username"] == user["Username"]


def test_resend_gives_a_new_temporary_password_and_suppress_sends_nothing(admin_box: Sandbox, admin: Any) -> None:
    email = unique_email("resend")
    _create(admin, admin_box, email, MessageAction="SUPPRESS", TemporaryPassword="First-Passw0rd!")
    assert not [m for m in admin_box.messages() if m["to"] == email]
    _create(admin, admin_box, email, MessageAction="RESEND", TemporaryPassword="Second-Passw0rd!")
    assert admin_box.last_code(email) == "Second-Passw0rd!"
    with pytest.raises(ClientError) as again:
        _create(admin, admin_box, email)
    assert _error(again)[0] == "UsernameExistsException"
    done = _confirmed(admin, admin_box, "resend-done")
    with pytest.raises(ClientError) as confirmed:
        _create(admin, admin_box, done, MessageAction="RESEND")
    assert _error(confirmed)[0] == "UnsupportedUserStateException"


def test_get_update_delete_attributes_confirm_and_delete(admin_box: Sandbox, admin: Any, app: Any) -> None:
    pool = admin_box.pool_id
    email = unique_email("attrs")
    app.sign_up(ClientId=admin_box.client_id, Username=email, Password=PASSWORD)
    assert admin.admin_get_user(UserPoolId=pool, Username=email)["UserStatus"] == "UNCONFIRMED"
    admin.admin_confirm_sign_up(UserPoolId=pool, Username=email)
    with pytest.raises(ClientError) as twice:
        admin.admin_confirm_sign_up(UserPoolId=pool, Username=email)
    assert _error(twice) == ("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
    admin.admin_update_user_attributes(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "given_name", "Value": "Ada"}, {"Name": "email_verified", "Value": "true"}],
    )
    got = admin.admin_get_user(UserPoolId=pool, Username=email)
    attributes = {a["Name"]: a["Value"] for a in got["UserAttributes"]}
    assert attributes["given_name"] == "Ada" and attributes["email_verified"] == "true"
    assert got["Enabled"] is True and got["UserLastModifiedDate"] >= got["UserCreateDate"]
    admin.admin_delete_user_attributes(UserPoolId=pool, Username=email, UserAttributeNames=["given_name"])
    got = admin.admin_get_user(UserPoolId=pool, Username=email)
    assert "given_name" not in {a["Name"] for a in got["UserAttributes"]}
    with pytest.raises(ClientError) as unknown_attribute:
        admin.admin_update_user_attributes(
            UserPoolId=pool, Username=email, UserAttributes=[{"Name": "custom:nope", "Value": "x"}]
        )
    assert _error(unknown_attribute)[0] == "InvalidParameterException"
    assert _sign_in(app, admin_box, email)["AuthenticationResult"]
    admin.admin_delete_user(UserPoolId=pool, Username=email)
    with pytest.raises(ClientError) as gone:
        admin.admin_get_user(UserPoolId=pool, Username=email)
    assert _error(gone) == ("UserNotFoundException", "User does not exist.")


def test_set_password_temporary_then_permanent_and_reset(admin_box: Sandbox, admin: Any, app: Any) -> None:
    pool, email = admin_box.pool_id, _confirmed(admin, admin_box, "passwords")
    admin.admin_set_user_password(UserPoolId=pool, Username=email, Password="Temp-Passw0rd!2", Permanent=False)
    assert admin.admin_get_user(UserPoolId=pool, Username=email)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert _sign_in(app, admin_box, email, "Temp-Passw0rd!2")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    admin.admin_set_user_password(UserPoolId=pool, Username=email, Password="Perm-Passw0rd!2", Permanent=True)
    assert _sign_in(app, admin_box, email, "Perm-Passw0rd!2")["AuthenticationResult"]
    with pytest.raises(ClientError) as weak:
        admin.admin_set_user_password(UserPoolId=pool, Username=email, Password="short", Permanent=True)
    assert _error(weak)[0] == "InvalidPasswordException"

    admin.admin_update_user_attributes(
        UserPoolId=pool, Username=email, UserAttributes=[{"Name": "email_verified", "Value": "true"}]
    )
    admin.admin_reset_user_password(UserPoolId=pool, Username=email)
    assert admin.admin_get_user(UserPoolId=pool, Username=email)["UserStatus"] == "RESET_REQUIRED"
    with pytest.raises(ClientError) as must_reset:
        _sign_in(app, admin_box, email, "Perm-Passw0rd!2")
    assert _error(must_reset)[0] == "PasswordResetRequiredException"
    app.confirm_forgot_password(
        ClientId=admin_box.client_id, Username=email, ConfirmationCode=admin_box.last_code(email), Password=PASSWORD
    )
    assert _sign_in(app, admin_box, email)["AuthenticationResult"]


def test_disabling_a_signed_in_user_ends_their_sessions_at_once(admin_box: Sandbox, admin: Any, app: Any) -> None:
    pool, email = admin_box.pool_id, _confirmed(admin, admin_box, "disable")
    tokens = _sign_in(app, admin_box, email)["AuthenticationResult"]
    admin.admin_disable_user(UserPoolId=pool, Username=email)
    assert admin.admin_get_user(UserPoolId=pool, Username=email)["Enabled"] is False
    with pytest.raises(ClientError) as access:
        app.get_user(AccessToken=tokens["AccessToken"])
    assert _error(access)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as refresh:
        app.initiate_auth(
            ClientId=admin_box.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert _error(refresh)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as sign_in:
        _sign_in(app, admin_box, email)
    assert _error(sign_in) == ("NotAuthorizedException", "User is disabled.")
    admin.admin_enable_user(UserPoolId=pool, Username=email)
    fresh = _sign_in(app, admin_box, email)["AuthenticationResult"]
    assert app.get_user(AccessToken=fresh["AccessToken"])["Username"]
    with pytest.raises(ClientError) as still_revoked:  # enabling does not bring the ended sessions back
        app.get_user(AccessToken=tokens["AccessToken"])
    assert _error(still_revoked)[0] == "NotAuthorizedException"


def test_global_sign_out_by_an_administrator(admin_box: Sandbox, admin: Any, app: Any) -> None:
    email = _confirmed(admin, admin_box, "signout")
    tokens = _sign_in(app, admin_box, email)["AuthenticationResult"]
    admin.admin_user_global_sign_out(UserPoolId=admin_box.pool_id, Username=email)
    with pytest.raises(ClientError) as revoked:
        app.get_user(AccessToken=tokens["AccessToken"])
    assert _error(revoked) == ("NotAuthorizedException", "Access Token has been revoked")


def test_mfa_preference_follows_the_pool(admin_box: Sandbox, admin: Any) -> None:
    email = _confirmed(admin, admin_box, "mfa")
    with pytest.raises(ClientError) as off:  # this pool has MFA off
        admin.admin_set_user_mfa_preference(
            UserPoolId=admin_box.pool_id, Username=email, SoftwareTokenMfaSettings={"Enabled": True}
        )
    assert _error(off)[0] == "InvalidParameterException"
    admin.admin_set_user_mfa_preference(  # turning off what is off is fine
        UserPoolId=admin_box.pool_id, Username=email, SMSMfaSettings={"Enabled": False}
    )
    got = admin.admin_get_user(UserPoolId=admin_box.pool_id, Username=email)
    assert "UserMFASettingList" not in got and "PreferredMfaSetting" not in got


def test_devices_listed_read_updated_and_forgotten(admin_box: Sandbox, admin: Any, app: Any) -> None:
    pool, email = admin_box.pool_id, _confirmed(admin, admin_box, "devices")
    result = _sign_in(app, admin_box, email)["AuthenticationResult"]
    meta = result["NewDeviceMetadata"]
    _, config = generate_hash_device(meta["DeviceGroupKey"], meta["DeviceKey"])
    app.confirm_device(
        AccessToken=result["AccessToken"], DeviceKey=meta["DeviceKey"], DeviceSecretVerifierConfig=config,
        DeviceName="Ada's laptop",
    )  # fmt: skip
    listed = admin.admin_list_devices(UserPoolId=pool, Username=email, Limit=10)["Devices"]
    assert [d["DeviceKey"] for d in listed] == [meta["DeviceKey"]]
    admin.admin_update_device_status(
        UserPoolId=pool, Username=email, DeviceKey=meta["DeviceKey"], DeviceRememberedStatus="remembered"
    )
    device = admin.admin_get_device(UserPoolId=pool, Username=email, DeviceKey=meta["DeviceKey"])["Device"]
    attributes = {a["Name"]: a["Value"] for a in device["DeviceAttributes"]}
    assert attributes["device_name"] == "Ada's laptop" and attributes["device_remembered_status"] == "remembered"
    admin.admin_forget_device(UserPoolId=pool, Username=email, DeviceKey=meta["DeviceKey"])
    assert admin.admin_list_devices(UserPoolId=pool, Username=email)["Devices"] == []
    with pytest.raises(ClientError) as gone:
        admin.admin_get_device(UserPoolId=pool, Username=email, DeviceKey=meta["DeviceKey"])
    assert _error(gone)[0] == "ResourceNotFoundException"


# -- signing in as a server ------------------------------------------------------------------------------


def test_admin_initiate_auth_with_the_password_and_refresh(admin_box: Sandbox, admin: Any, server: str) -> None:
    pool, email = admin_box.pool_id, _confirmed(admin, admin_box, "server")
    params = {"USERNAME": email, "PASSWORD": PASSWORD}
    result = admin.admin_initiate_auth(
        UserPoolId=pool, ClientId=server, AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters=params
    )["AuthenticationResult"]
    assert _claims(result["IdToken"])["email"] == email
    refreshed = admin.admin_initiate_auth(
        UserPoolId=pool, ClientId=server, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )["AuthenticationResult"]  # fmt: skip
    assert _claims(refreshed["AccessToken"])["sub"] == _claims(result["AccessToken"])["sub"]
    with pytest.raises(ClientError) as wrong:
        admin.admin_initiate_auth(
            UserPoolId=pool, ClientId=server, AuthFlow="ADMIN_NO_SRP_AUTH",
            AuthParameters={**params, "PASSWORD": "Wrong-Passw0rd!"},
        )  # fmt: skip
    assert _error(wrong) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(ClientError) as not_allowed:  # the default (web) client does not allow the admin flow
        admin.admin_initiate_auth(
            UserPoolId=pool, ClientId=admin_box.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters=params
        )
    assert _error(not_allowed)[0] == "InvalidParameterException"


def test_admin_respond_to_new_password_required(admin_box: Sandbox, admin: Any, server: str) -> None:
    pool, email = admin_box.pool_id, unique_email("server-new")
    _create(admin, admin_box, email, MessageAction="SUPPRESS", TemporaryPassword="Temp-Passw0rd!")
    step = admin.admin_initiate_auth(
        UserPoolId=pool, ClientId=server, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": "Temp-Passw0rd!"},
    )  # fmt: skip
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = admin.admin_respond_to_auth_challenge(
        UserPoolId=pool, ClientId=server, ChallengeName="NEW_PASSWORD_REQUIRED", Session=step["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert done["AuthenticationResult"]["IdToken"]


# -- the pool and its clients ----------------------------------------------------------------------------


def test_describe_the_pool_and_its_clients(admin_box: Sandbox, admin: Any, server: str) -> None:
    described = admin.describe_user_pool(UserPoolId=admin_box.pool_id)["UserPool"]
    assert described["Id"] == admin_box.pool_id and described["UsernameAttributes"] == ["email"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert described["MfaConfiguration"] == "OFF" and described["EstimatedNumberOfUsers"] >= 0
    clients = admin.list_user_pool_clients(UserPoolId=admin_box.pool_id, MaxResults=1)
    assert len(clients["UserPoolClients"]) == 1 and clients["NextToken"]
    rest = admin.list_user_pool_clients(UserPoolId=admin_box.pool_id, MaxResults=1, NextToken=clients["NextToken"])
    names = {c["ClientName"] for c in (*clients["UserPoolClients"], *rest["UserPoolClients"])}
    assert "server" in names and "NextToken" not in rest
    described_client = admin.describe_user_pool_client(UserPoolId=admin_box.pool_id, ClientId=server)
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in described_client["UserPoolClient"]["ExplicitAuthFlows"]


def test_changes_made_through_the_admin_api_are_in_the_audit_log(
    admin_box: Sandbox, admin: Any, key: dict[str, Any]
) -> None:
    pool = admin_box.pool_id
    email = _confirmed(admin, admin_box, "audited")
    admin.admin_disable_user(UserPoolId=pool, Username=email)
    admin.admin_get_user(UserPoolId=pool, Username=email)  # a read: no entry
    with pytest.raises(ClientError):
        admin.admin_enable_user(UserPoolId=pool, Username="nobody-audited@example.com")
    (db,) = (admin_box.app_dir / ".amplify" / "userpool").glob("*/pool.db")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT actor, action, target, details FROM audit_log WHERE target LIKE '%audited%' ORDER BY id"
        ).fetchall()
    assert [(actor, action, json.loads(details)) for actor, action, _, details in rows] == [
        (f"access-key:{key['AccessKeyId']}", "user.create", {"attributes": ["email"], "message_action": "SUPPRESS"}),
        (f"access-key:{key['AccessKeyId']}", "user.set_password", {"permanent": True}),
        (f"access-key:{key['AccessKeyId']}", "user.disable", {}),
    ]
    assert {target for _, _, target, _ in rows} == {f"user:{email}"}  # the refused change wrote nothing
    assert PASSWORD not in json.dumps(rows)
