"""Attributes, verification, password change and recovery, for a signed-in (or forgetful) user."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core import errors
from userpool.core.flows import account, recovery, sign_up


def _signed_in(h: PoolHarness, email: str = "ada@example.com") -> str:
    h.confirmed_user(email)
    return h.password_sign_in(email).access_token


def test_plain_attributes_update_at_once(harness: PoolHarness) -> None:
    token = _signed_in(harness)
    deliveries = harness.pool.run(
        account.update_user_attributes, access_token=token, attributes={"given_name": "Ada", "family_name": "Lovelace"}
    )
    assert deliveries == []
    user = harness.pool.run(account.get_user, access_token=token)
    assert user.attributes["given_name"] == "Ada" and user.attributes["family_name"] == "Lovelace"


def test_a_new_email_waits_for_its_code_while_the_old_one_keeps_working(harness: PoolHarness) -> None:
    token = _signed_in(harness)
    [delivery] = harness.pool.run(
        account.update_user_attributes, access_token=token, attributes={"email": "countess@example.com"}
    )
    assert delivery.destination == "c***@e***"
    user = harness.pool.run(account.get_user, access_token=token)
    assert user.attributes["email"] == "ada@example.com" and user.attributes["email_verified"] == "true"
    harness.password_sign_in("ada@example.com")  # the verified address still signs in
    with pytest.raises(errors.NotAuthorizedException):
        harness.password_sign_in("countess@example.com")
    harness.pool.run(
        account.verify_user_attribute,
        access_token=token,
        attribute="email",
        code=harness.code_for("countess@example.com"),
    )
    user = harness.pool.run(account.get_user, access_token=token)
    assert user.attributes["email"] == "countess@example.com" and user.attributes["email_verified"] == "true"
    harness.password_sign_in("countess@example.com")
    with pytest.raises(errors.NotAuthorizedException):
        harness.password_sign_in("ada@example.com")


def test_an_email_someone_else_has_cannot_be_verified(harness: PoolHarness) -> None:
    harness.confirmed_user("bob@example.com")
    token = _signed_in(harness)
    harness.pool.run(account.update_user_attributes, access_token=token, attributes={"email": "bob@example.com"})
    with pytest.raises(errors.AliasExistsException):
        harness.pool.run(
            account.verify_user_attribute,
            access_token=token,
            attribute="email",
            code=harness.code_for("bob@example.com"),
        )


def test_change_password_needs_the_old_one(harness: PoolHarness) -> None:
    token = _signed_in(harness)
    with pytest.raises(errors.NotAuthorizedException):
        harness.pool.run(account.change_password, access_token=token, previous="Wrong-Pass1", proposed="N3w-Passw0rd!")
    with pytest.raises(errors.InvalidPasswordException):
        harness.pool.run(account.change_password, access_token=token, previous=PASSWORD, proposed="weak")
    harness.pool.run(account.change_password, access_token=token, previous=PASSWORD, proposed="N3w-Passw0rd!")
    with pytest.raises(errors.NotAuthorizedException):
        harness.password_sign_in("ada@example.com")
    harness.password_sign_in("ada@example.com", "N3w-Passw0rd!")
    harness.srp_sign_in("ada@example.com", "N3w-Passw0rd!")  # the SRP verifier changed with it


def test_forgot_password_resets_and_signs_out_everywhere(harness: PoolHarness) -> None:
    token = _signed_in(harness)
    delivery = harness.pool.run(recovery.forgot_password, client_id=harness.client_id, username="ada@example.com")
    assert (delivery.medium, delivery.destination) == ("EMAIL", "a***@e***")
    code = harness.code_for("ada@example.com")
    with pytest.raises(errors.InvalidPasswordException):  # the policy is checked before the code is spent
        harness.pool.run(
            recovery.confirm_forgot_password,
            client_id=harness.client_id,
            username="ada@example.com",
            code=code,
            password="weak",
        )
    harness.pool.run(
        recovery.confirm_forgot_password,
        client_id=harness.client_id,
        username="ada@example.com",
        code=code,
        password="Reset-Passw0rd!",
    )
    with pytest.raises(errors.NotAuthorizedException, match="revoked"):
        harness.pool.run(account.get_user, access_token=token)
    harness.srp_sign_in("ada@example.com", "Reset-Passw0rd!")
    with pytest.raises(errors.ExpiredCodeException):  # single use
        harness.pool.run(
            recovery.confirm_forgot_password,
            client_id=harness.client_id,
            username="ada@example.com",
            code=code,
            password="Again-Passw0rd!",
        )


def test_reset_code_expires_after_an_hour(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    harness.pool.run(recovery.forgot_password, client_id=harness.client_id, username="ada@example.com")
    harness.clock.advance(3601)
    with pytest.raises(errors.ExpiredCodeException):
        harness.pool.run(
            recovery.confirm_forgot_password,
            client_id=harness.client_id,
            username="ada@example.com",
            code=harness.code_for("ada@example.com"),
            password="Reset-Passw0rd!",
        )


def test_forgot_password_reveals_nothing_about_accounts(harness: PoolHarness) -> None:
    harness.sign_up("unverified@example.com")  # exists, but its email is not verified
    for who in ("nobody@example.com", "unverified@example.com"):
        delivery = harness.pool.run(recovery.forgot_password, client_id=harness.client_id, username=who)
        assert delivery.medium == "EMAIL" and delivery.destination.endswith("***@e***")
    assert [m.purpose for m in harness.sent] == ["sign_up"]  # no reset code went anywhere
    with pytest.raises(errors.CodeMismatchException):
        harness.pool.run(
            recovery.confirm_forgot_password,
            client_id=harness.client_id,
            username="nobody@example.com",
            code="123456",
            password="Reset-Passw0rd!",
        )


def test_delete_user(harness: PoolHarness) -> None:
    token = _signed_in(harness)
    harness.pool.run(account.delete_user, access_token=token)
    assert harness.count_users() == 0
    with pytest.raises(errors.NotAuthorizedException):
        harness.pool.run(account.get_user, access_token=token)


# -- DeleteUserAttributes ----------------------------------------------------------------------------


def test_delete_user_attributes_removes_them_and_ignores_ones_the_user_lacks(harness: PoolHarness) -> None:
    token = _signed_in(harness)
    harness.pool.run(
        account.update_user_attributes, access_token=token, attributes={"given_name": "Ada", "family_name": "L"}
    )
    harness.pool.run(account.delete_user_attributes, access_token=token, names=["given_name", "nickname"])
    attributes = harness.pool.run(account.get_user, access_token=token).attributes
    assert "given_name" not in attributes and attributes["family_name"] == "L"
    harness.pool.run(account.delete_user_attributes, access_token=token, names=[])  # nothing to do


@pytest.mark.parametrize(
    ("names", "error", "message"),
    [
        (["email"], errors.InvalidParameterException, "email: The attribute email is required"),
        (["sub"], errors.NotAuthorizedException, "unauthorized attribute: sub"),
        (["email_verified"], errors.NotAuthorizedException, "unauthorized attribute: email_verified"),
        (
            ["given_name", "favourite_colour", "custom:plan"],
            errors.InvalidParameterException,
            r"Type for attribute \{favourite_colour\} could not be determined, "
            r"Type for attribute \{custom:plan\} could not be determined",
        ),
    ],
)
def test_delete_user_attributes_refusals_change_nothing(
    harness: PoolHarness, names: list[str], error: type[Exception], message: str
) -> None:
    token = _signed_in(harness)
    harness.pool.run(account.update_user_attributes, access_token=token, attributes={"given_name": "Ada"})
    with pytest.raises(error, match=message):
        harness.pool.run(account.delete_user_attributes, access_token=token, names=names)
    attributes = harness.pool.run(account.get_user, access_token=token).attributes
    assert attributes["given_name"] == "Ada" and attributes["email"] == "ada@example.com"


def test_the_last_username_attribute_cannot_be_deleted(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"email": True}, user_attributes={"email": {"required": False}})
    try:
        token = _signed_in(h)
        with pytest.raises(
            errors.InvalidParameterException, match=r"^User email cannot be deleted, since username attribute is email$"
        ):
            h.pool.run(account.delete_user_attributes, access_token=token, names=["email"])
        h.password_sign_in("ada@example.com")
    finally:
        h.store.close()


def test_deleting_an_alias_email_removes_its_flag_pending_value_and_code(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"username": True, "email": True})
    try:
        h.pool.run(
            sign_up.sign_up,
            client_id=h.client_id,
            username="ada",
            password=PASSWORD,
            attributes={"email": "ada@example.com"},
        )
        h.pool.run(sign_up.confirm_sign_up, client_id=h.client_id, username="ada", code=h.code_for("ada@example.com"))
        token = h.password_sign_in("ada@example.com").access_token  # the verified alias signs in
        h.pool.run(account.update_user_attributes, access_token=token, attributes={"email": "new@example.com"})
        h.pool.run(account.delete_user_attributes, access_token=token, names=["email"])
        user = h.pool.run(account.get_user, access_token=token)
        assert "email" not in user.attributes and "email_verified" not in user.attributes
        assert user.pending_attributes == {}
        with pytest.raises(errors.InvalidParameterException, match="no email to verify"):
            h.pool.run(
                account.verify_user_attribute,
                access_token=token,
                attribute="email",
                code=h.code_for("new@example.com"),
            )
        with h.store.begin() as tx:  # the code is spent; its row stays for the resend cooldown
            spent = tx.get_code(h.pool.config.pool_id, user.sub, "verify:email")
        assert spent is not None and spent.code_hash == "" and spent.send_count == 1
        with pytest.raises(errors.NotAuthorizedException):
            h.password_sign_in("ada@example.com")  # the alias is gone
        h.password_sign_in("ada")
    finally:
        h.store.close()


# -- GetUserAuthFactors ------------------------------------------------------------------------------


def test_auth_factors_are_the_password_in_a_password_pool(harness: PoolHarness) -> None:
    sub = harness.confirmed_user("ada@example.com")
    token = harness.password_sign_in("ada@example.com").access_token
    factors = harness.pool.run(account.get_user_auth_factors, access_token=token)
    assert (factors.username, factors.configured) == (sub, ("PASSWORD",))


def test_auth_factors_include_a_code_to_a_verified_email_when_the_pool_allows_it(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"username": True, "email": {"otp_login": True}})
    try:
        h.pool.run(
            sign_up.sign_up,
            client_id=h.client_id,
            username="ada",
            password=PASSWORD,
            attributes={"email": "ada@example.com"},
        )
        h.pool.run(sign_up.confirm_sign_up, client_id=h.client_id, username="ada", code=h.code_for("ada@example.com"))
        token = h.password_sign_in("ada").access_token
        factors = h.pool.run(account.get_user_auth_factors, access_token=token)
        assert (factors.username, factors.configured) == ("ada", ("PASSWORD", "EMAIL_OTP"))
        h.pool.run(account.delete_user_attributes, access_token=token, names=["email"])
        assert h.pool.run(account.get_user_auth_factors, access_token=token).configured == ("PASSWORD",)
    finally:
        h.store.close()
