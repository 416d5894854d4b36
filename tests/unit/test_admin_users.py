"""Administrators' flows on one user, through the pool harness: attribute updates (verified flags, the
pending value), disabling (every session, hosted ones included), passwords, and the pool check."""

from __future__ import annotations

import pytest

from tests.support.pool import PoolHarness
from userpool.core import errors
from userpool.core.flows import account, admin_users
from userpool.core.model import WebSession


def _user(h: PoolHarness, email: str) -> object:
    with h.store.begin() as tx:
        return tx.find_user(h.pool.config.pool_id, f"email:{email}")


def test_a_new_email_waits_for_its_code_unless_the_administrator_says_it_is_verified(harness: PoolHarness) -> None:
    h, pool_id = harness, harness.pool.config.pool_id
    h.confirmed_user("ada@example.com")
    h.pool.run(
        admin_users.update_user_attributes,
        user_pool_id=pool_id,
        username="ada@example.com",
        attributes={"email": "ada@new.example.com", "given_name": "Ada"},
    )
    view = h.pool.run(admin_users.get_user, user_pool_id=pool_id, username="ada@example.com")
    assert view.user.attributes["email"] == "ada@example.com"  # the verified one keeps signing in
    assert view.user.pending_attributes == {"email": "ada@new.example.com"}
    assert view.user.attributes["given_name"] == "Ada"
    assert h.sent[-1].to == "ada@new.example.com" and h.sent[-1].purpose == "verify:email"
    h.pool.run(
        admin_users.update_user_attributes,
        user_pool_id=pool_id,
        username="ada@example.com",
        attributes={"email": "ada@other.example.com", "email_verified": "true"},
    )
    view = h.pool.run(admin_users.get_user, user_pool_id=pool_id, username="ada@other.example.com")
    assert view.user.attributes["email"] == "ada@other.example.com" and view.user.pending_attributes == {}
    assert view.user.attributes["email_verified"] == "true"
    assert h.password_sign_in("ada@other.example.com").access_token
    with pytest.raises(errors.InvalidParameterException):
        h.pool.run(
            admin_users.update_user_attributes,
            user_pool_id=pool_id,
            username="ada@other.example.com",
            attributes={"email_verified": "maybe"},
        )


def test_disabling_ends_token_families_and_hosted_sessions(harness: PoolHarness) -> None:
    h, pool_id = harness, harness.pool.config.pool_id
    sub = h.confirmed_user("bob@example.com")
    tokens = h.password_sign_in("bob@example.com")
    now = h.clock.now()
    with h.store.begin() as tx:
        tx.put_web_session(WebSession("hash-1", pool_id, sub, int(now), now, now + 3600))
    h.pool.run(admin_users.set_enabled, user_pool_id=pool_id, username="bob@example.com", enabled=False)
    with h.store.begin() as tx:
        assert tx.get_web_session("hash-1") is None
    with pytest.raises(errors.NotAuthorizedException):
        h.pool.run(account.get_user, access_token=tokens.access_token)
    with pytest.raises(errors.NotAuthorizedException, match=r"User is disabled\."):
        h.password_sign_in("bob@example.com")


def test_every_flow_checks_the_pool_id(harness: PoolHarness) -> None:
    harness.confirmed_user("cy@example.com")
    with pytest.raises(errors.ResourceNotFoundException, match=r"User pool eu-west-1_other does not exist\."):
        harness.pool.run(admin_users.get_user, user_pool_id="eu-west-1_other", username="cy@example.com")
    with pytest.raises(errors.UserNotFoundException, match=r"User does not exist\."):
        harness.pool.run(admin_users.get_user, user_pool_id=harness.pool.config.pool_id, username="nobody@x.com")
