"""A user's own sessions through boto3: ListUserSessions, RevokeUserSession; and UpdateAuthEventFeedback,
answered as a Cognito pool without threat protection answers it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.sandbox import PASSWORD, Sandbox, unique_email


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def _signed_up(sandbox: Sandbox, cognito: Any) -> str:
    email = unique_email("sessions")
    cognito.sign_up(ClientId=sandbox.client_id, Username=email, Password=PASSWORD)
    cognito.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode=sandbox.last_code(email))
    return email


def _sign_in(sandbox: Sandbox, cognito: Any, email: str) -> dict[str, str]:
    result: dict[str, str] = cognito.initiate_auth(
        ClientId=sandbox.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return result


def test_list_and_revoke_the_users_other_sessions(sandbox: Sandbox, cognito: Any) -> None:
    email = _signed_up(sandbox, cognito)
    laptop, phone = _sign_in(sandbox, cognito, email), _sign_in(sandbox, cognito, email)
    sessions = cognito.list_user_sessions(AccessToken=laptop["AccessToken"])["Sessions"]
    assert len(sessions) == 2
    for s in sessions:
        assert re.fullmatch(r"tkn[a-z0-9]{25}", s["SessionId"]) and s["SessionType"] == "TOKEN"
        assert s["ClientId"] == sandbox.client_id and s["LastActiveDate"] >= s["CreateDate"]
    mine = [s for s in sessions if s["IsCurrentSession"]]
    other = [s for s in sessions if not s["IsCurrentSession"]]
    assert len(mine) == len(other) == 1
    # The same sessions, seen from the phone: its own is the current one now.
    seen_from_phone = cognito.list_user_sessions(AccessToken=phone["AccessToken"])["Sessions"]
    assert {s["SessionId"] for s in seen_from_phone if s["IsCurrentSession"]} == {other[0]["SessionId"]}

    with pytest.raises(ClientError) as own:
        cognito.revoke_user_session(AccessToken=laptop["AccessToken"], SessionId=mine[0]["SessionId"])
    assert _code(own)[0] == "InvalidParameterException" and "RevokeToken or GlobalSignOut" in _code(own)[1]

    cognito.revoke_user_session(AccessToken=laptop["AccessToken"], SessionId=other[0]["SessionId"])
    with pytest.raises(ClientError) as revoked:
        cognito.get_user(AccessToken=phone["AccessToken"])
    assert _code(revoked) == ("NotAuthorizedException", "Access Token has been revoked")
    with pytest.raises(ClientError) as refresh:
        cognito.initiate_auth(
            ClientId=sandbox.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": phone["RefreshToken"]},
        )
    assert _code(refresh) == ("NotAuthorizedException", "Refresh Token has been revoked")
    assert cognito.get_user(AccessToken=laptop["AccessToken"])["Username"]  # the caller's session lives on
    left = cognito.list_user_sessions(AccessToken=laptop["AccessToken"])["Sessions"]
    assert [s["SessionId"] for s in left] == [mine[0]["SessionId"]]

    with pytest.raises(ClientError) as again:  # revoked already: it is not one of the user's sessions now
        cognito.revoke_user_session(AccessToken=laptop["AccessToken"], SessionId=other[0]["SessionId"])
    assert _code(again) == ("ResourceNotFoundException", f"Session {other[0]['SessionId']} does not exist.")


def test_a_session_of_another_user_is_not_found(sandbox: Sandbox, cognito: Any) -> None:
    ada, bob = _signed_up(sandbox, cognito), _signed_up(sandbox, cognito)
    ada_tokens, bob_tokens = _sign_in(sandbox, cognito, ada), _sign_in(sandbox, cognito, bob)
    bobs = cognito.list_user_sessions(AccessToken=bob_tokens["AccessToken"])["Sessions"][0]["SessionId"]
    with pytest.raises(ClientError) as err:
        cognito.revoke_user_session(AccessToken=ada_tokens["AccessToken"], SessionId=bobs)
    assert _code(err) == ("ResourceNotFoundException", f"Session {bobs} does not exist.")
    assert cognito.get_user(AccessToken=bob_tokens["AccessToken"])["Username"]


def test_session_actions_need_a_live_access_token_and_valid_ids(sandbox: Sandbox, cognito: Any) -> None:
    email = _signed_up(sandbox, cognito)
    tokens = _sign_in(sandbox, cognito, email)
    with pytest.raises(ClientError) as bad_id:
        cognito.revoke_user_session(
            AccessToken=tokens["AccessToken"], SessionId="abc" + "a" * 25
        )  # right length, wrong pattern
    assert _code(bad_id)[0] == "InvalidParameterException" and "sessionId" in _code(bad_id)[1]
    with pytest.raises(ClientError) as paged:
        cognito.list_user_sessions(AccessToken=tokens["AccessToken"], NextToken="more")
    assert _code(paged)[0] == "InvalidParameterException"
    cognito.global_sign_out(AccessToken=tokens["AccessToken"])
    with pytest.raises(ClientError) as signed_out:
        cognito.list_user_sessions(AccessToken=tokens["AccessToken"])
    assert _code(signed_out) == ("NotAuthorizedException", "Access Token has been revoked")


def test_auth_event_feedback_needs_threat_protection(sandbox: Sandbox, cognito: Any) -> None:
    feedback = {"Username": "anyone", "EventId": "event-1", "FeedbackToken": "token", "FeedbackValue": "Invalid"}
    with pytest.raises(ClientError) as err:
        cognito.update_auth_event_feedback(UserPoolId=sandbox.pool_id, **feedback)
    code, message = _code(err)
    assert code == "UserPoolAddOnNotEnabledException" and "not enabled for this user pool" in message
    with pytest.raises(ClientError) as other_pool:
        cognito.update_auth_event_feedback(UserPoolId="us-east-1_Nope", **feedback)
    assert _code(other_pool) == ("ResourceNotFoundException", "User pool us-east-1_Nope does not exist.")
    with pytest.raises(ClientError) as bad_value:
        cognito.update_auth_event_feedback(UserPoolId=sandbox.pool_id, **{**feedback, "FeedbackValue": "Maybe"})
    assert _code(bad_value)[0] == "InvalidParameterException"
