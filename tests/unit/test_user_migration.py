"""Lazy user migration: the user_migration trigger brings unknown users in at a password sign-in or a
ForgotPassword, with their old password; a trigger that declines creates nothing and reveals nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.pool import PASSWORD, PoolHarness
from userpool.core import errors
from userpool.core.flows import admin, hosted_sign_in, recovery, sign_in
from userpool.core.model import UserStatus
from userpool.core.tokens import AuthResult

WRONG = "Incorrect username or password."
LEGACY_PASSWORD = "old"  # the old directory's password: the pool's policy does not apply to it


class Legacy:
    """A user_migration trigger over an in-memory directory of {email: (password, attributes)}."""

    def __init__(self, **response: Any) -> None:
        self.users: dict[str, tuple[str, dict[str, str]]] = {
            "old@example.com": (LEGACY_PASSWORD, {"email": "old@example.com", "email_verified": "true"}),
        }
        self.response = response
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        found = self.users.get(event["userName"])
        if found is None:
            raise LookupError("no such user in the old directory")
        password, attributes = found
        if event["triggerSource"] == "UserMigration_Authentication" and event["request"]["password"] != password:
            raise PermissionError("bad password")
        event["response"]["userAttributes"] = dict(attributes)
        event["response"]["messageAction"] = "SUPPRESS"
        event["response"].update(self.response)
        return event


def _sign_in(h: PoolHarness, username: str, password: str, **metadata: str) -> Any:
    return h.pool.run(
        sign_in.initiate_auth,
        client_id=h.client_id,
        flow="USER_PASSWORD_AUTH",
        params={"USERNAME": username, "PASSWORD": password},
        client_metadata=metadata or None,
    )


def _user(h: PoolHarness, email: str) -> Any:
    with h.store.begin() as tx:
        return tx.find_user(h.pool.config.pool_id, f"email:{email}")


def test_a_legacy_user_is_migrated_at_sign_in_with_their_password(pool_with: Callable[..., PoolHarness]) -> None:
    legacy = Legacy(finalUserStatus="CONFIRMED")
    h = pool_with(user_migration=legacy)
    result = _sign_in(h, "old@example.com", LEGACY_PASSWORD, app="web")
    assert isinstance(result, AuthResult)
    [event] = legacy.events
    assert event["triggerSource"] == "UserMigration_Authentication" and event["userName"] == "old@example.com"
    assert event["request"] == {"password": LEGACY_PASSWORD, "validationData": {"app": "web"}}
    user = _user(h, "old@example.com")
    assert user.status == UserStatus.CONFIRMED and user.attributes["email_verified"] == "true"
    assert user.username == user.sub  # email is the user name: Cognito's user name is the sub
    assert h.srp_sign_in("old@example.com", LEGACY_PASSWORD).access_token  # the SRP verifier was made too
    assert isinstance(_sign_in(h, "old@example.com", LEGACY_PASSWORD), AuthResult)
    assert len(legacy.events) == 1  # migrated once


def test_unset_final_status_confirms_as_in_cognito(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(user_migration=Legacy())
    assert isinstance(_sign_in(h, "old@example.com", LEGACY_PASSWORD), AuthResult)


@pytest.mark.parametrize(
    ("username", "password"), [("nobody@example.com", PASSWORD), ("old@example.com", "Wr0ng-Password!")]
)
def test_a_declining_trigger_creates_nothing_and_answers_as_for_any_unknown_user(
    pool_with: Callable[..., PoolHarness], username: str, password: str
) -> None:
    h = pool_with(user_migration=Legacy())
    with pytest.raises(errors.NotAuthorizedException, match=f"^{WRONG}$"):
        _sign_in(h, username, password)
    with h.store.begin() as tx:
        client = tx.get_client(h.client_id)
        assert client is not None
        tx.put_client(dataclasses.replace(client, prevent_user_existence_errors=False))
    with pytest.raises(errors.UserNotFoundException, match=r"^User does not exist\.$"):
        _sign_in(h, username, password)
    assert h.count_users() == 0


def test_an_empty_answer_declines_too(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(user_migration=lambda event: event)
    with pytest.raises(errors.NotAuthorizedException, match=f"^{WRONG}$"):
        _sign_in(h, "old@example.com", LEGACY_PASSWORD)
    assert h.count_users() == 0


def test_a_malformed_answer_fails_the_action_and_creates_nothing(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(user_migration=Legacy(finalUserStatus="ACTIVE"))
    with pytest.raises(errors.InvalidLambdaResponseException, match="finalUserStatus must be CONFIRMED or RESET"):
        _sign_in(h, "old@example.com", LEGACY_PASSWORD)
    unknown = Legacy()
    unknown.users["old@example.com"] = (LEGACY_PASSWORD, {"email": "old@example.com", "shoe_size": "42"})
    h = pool_with(user_migration=unknown)
    with pytest.raises(errors.InvalidLambdaResponseException, match=r"UserMigration response\.userAttributes"):
        _sign_in(h, "old@example.com", LEGACY_PASSWORD)
    assert h.count_users() == 0


def test_reset_required_keeps_the_user_and_asks_for_a_reset(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(user_migration=Legacy(finalUserStatus="RESET_REQUIRED"))
    with pytest.raises(errors.PasswordResetRequiredException):
        _sign_in(h, "old@example.com", LEGACY_PASSWORD)
    assert _user(h, "old@example.com").status == UserStatus.RESET_REQUIRED
    h.pool.run(recovery.forgot_password, client_id=h.client_id, username="old@example.com")
    reset = {"client_id": h.client_id, "username": "old@example.com", "code": h.code_for("old@example.com")}
    h.pool.run(recovery.confirm_forgot_password, **reset, password=PASSWORD)
    assert isinstance(_sign_in(h, "old@example.com", PASSWORD), AuthResult)


def test_forgot_password_migrates_without_a_password(pool_with: Callable[..., PoolHarness]) -> None:
    legacy = Legacy(finalUserStatus="CONFIRMED")
    h = pool_with(user_migration=legacy)
    delivery = h.pool.run(
        recovery.forgot_password, client_id=h.client_id, username="old@example.com", client_metadata={"k": "v"}
    )
    assert delivery.medium == "EMAIL"
    [event] = legacy.events
    assert event["triggerSource"] == "UserMigration_ForgotPassword"
    assert event["request"] == {"validationData": None, "clientMetadata": {"k": "v"}}  # no password
    user = _user(h, "old@example.com")
    assert user.status == UserStatus.RESET_REQUIRED and user.password_hash is None  # nothing to sign in with yet
    with pytest.raises(errors.PasswordResetRequiredException):  # as Cognito answers RESET_REQUIRED with no password
        _sign_in(h, "old@example.com", LEGACY_PASSWORD)
    code = h.code_for("old@example.com")
    h.pool.run(
        recovery.confirm_forgot_password,
        client_id=h.client_id,
        username="old@example.com",
        code=code,
        password=PASSWORD,
    )
    assert isinstance(_sign_in(h, "old@example.com", PASSWORD), AuthResult)


def test_forgot_password_for_a_name_nobody_has_anywhere(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(user_migration=Legacy())
    delivery = h.pool.run(recovery.forgot_password, client_id=h.client_id, username="nobody@example.com")
    assert delivery.medium == "EMAIL" and h.sent == [] and h.count_users() == 0  # the usual pretend answer


def test_srp_never_migrates(pool_with: Callable[..., PoolHarness]) -> None:
    """SRP never shows the server the password: Cognito migrates with USER_PASSWORD_AUTH only."""
    legacy = Legacy()
    h = pool_with(user_migration=legacy)
    with pytest.raises(errors.NotAuthorizedException):
        h.srp_sign_in("old@example.com", LEGACY_PASSWORD)
    assert legacy.events == [] and h.count_users() == 0


def test_the_hosted_sign_in_page_migrates_too(pool_with: Callable[..., PoolHarness]) -> None:
    h = pool_with(user_migration=Legacy())
    signed_in = h.pool.run(
        hosted_sign_in.sign_in, client_id=h.client_id, username="old@example.com", password=LEGACY_PASSWORD
    )
    assert isinstance(signed_in, hosted_sign_in.WebSignIn)


def test_a_refused_pre_authentication_undoes_the_migration(pool_with: Callable[..., PoolHarness]) -> None:
    def refuse(event: dict[str, Any]) -> None:
        raise RuntimeError("closed")

    h = pool_with(user_migration=Legacy(), pre_authentication=refuse)
    with pytest.raises(errors.UserLambdaValidationException):
        _sign_in(h, "old@example.com", LEGACY_PASSWORD)
    assert h.count_users() == 0


def test_force_alias_creation_moves_a_verified_alias(pool_with: Callable[..., PoolHarness]) -> None:
    legacy = Legacy()
    legacy.users["carol"] = (LEGACY_PASSWORD, {"email": "shared@example.com", "email_verified": "true"})
    h = pool_with(login_with={"username": True, "email": True}, user_migration=legacy)
    h.pool.run(
        admin.create_user,
        username="bob",
        attributes={"email": "shared@example.com", "email_verified": "true"},
        temporary_password=PASSWORD,
        message_action="SUPPRESS",
    )
    with pytest.raises(errors.AliasExistsException):
        _sign_in(h, "carol", LEGACY_PASSWORD)
    assert h.count_users() == 1
    legacy.response = {"forceAliasCreation": True}
    assert isinstance(_sign_in(h, "carol", LEGACY_PASSWORD), AuthResult)
    assert isinstance(_sign_in(h, "shared@example.com", LEGACY_PASSWORD), AuthResult)  # the alias is carol's now
