"""Who a sign-in name refers to: a user name, an email or phone as the user name, or a verified alias."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.core import errors
from userpool.core.flows import sign_up


@pytest.fixture
def aliases(tmp_path: Path) -> Iterator[PoolHarness]:
    h = make_pool(tmp_path, login_with={"username": True, "email": True})
    yield h
    h.store.close()


def _sign_up(h: PoolHarness, username: str, email: str) -> None:
    h.pool.run(
        sign_up.sign_up, client_id=h.client_id, username=username, password=PASSWORD, attributes={"email": email}
    )


def _confirm(h: PoolHarness, username: str, email: str) -> None:
    h.pool.run(sign_up.confirm_sign_up, client_id=h.client_id, username=username, code=h.code_for(email))


def test_a_username_pool_keeps_the_chosen_name(aliases: PoolHarness) -> None:
    _sign_up(aliases, "Ada", "ada@example.com")
    _confirm(aliases, "ada", "ada@example.com")  # user names are case-insensitive
    tokens = aliases.password_sign_in("ADA")
    assert aliases.pool.signer.verify(tokens.access_token)["username"] == "Ada"


def test_a_verified_email_is_an_alias_an_unverified_one_is_not(aliases: PoolHarness) -> None:
    _sign_up(aliases, "ada", "ada@example.com")
    with pytest.raises(errors.NotAuthorizedException):
        aliases.password_sign_in("ada@example.com")  # not verified yet: not a way in
    _confirm(aliases, "ada", "ada@example.com")
    aliases.password_sign_in("Ada@Example.com")
    aliases.srp_sign_in("ada@example.com")


def test_two_users_may_claim_an_email_but_only_one_verifies_it(aliases: PoolHarness) -> None:
    _sign_up(aliases, "ada", "shared@example.com")
    ada_code = aliases.code_for("shared@example.com")
    _sign_up(aliases, "bob", "shared@example.com")  # allowed: an unverified email is no alias
    bob_code = aliases.code_for("shared@example.com")
    aliases.pool.run(sign_up.confirm_sign_up, client_id=aliases.client_id, username="ada", code=ada_code)
    with pytest.raises(errors.AliasExistsException, match="An account with the given email already exists"):
        aliases.pool.run(sign_up.confirm_sign_up, client_id=aliases.client_id, username="bob", code=bob_code)


def test_an_email_pool_refuses_a_plain_user_name(harness: PoolHarness) -> None:
    with pytest.raises(errors.InvalidParameterException, match="Username should be an email"):
        harness.pool.run(sign_up.sign_up, client_id=harness.client_id, username="ada", password=PASSWORD, attributes={})


def test_phone_pools_sign_in_by_phone(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"phone": True})
    try:
        h.pool.run(sign_up.sign_up, client_id=h.client_id, username="+14155550123", password=PASSWORD, attributes={})
        [message] = h.sent
        assert message.channel == "SMS" and message.to == "+14155550123"
        h.pool.run(sign_up.confirm_sign_up, client_id=h.client_id, username="+14155550123", code=message.code or "")
        h.password_sign_in("+14155550123")
    finally:
        h.store.close()
