"""Sign-up, confirmation codes and resend: the rules and what a refused request leaves behind (nothing)."""

from __future__ import annotations

import pytest

from tests.support.pool import PASSWORD, PoolHarness
from userpool.core import errors
from userpool.core.flows import sign_up


def _sign_up(h: PoolHarness, username: str, password: str = PASSWORD, **attributes: str) -> sign_up.SignUpResult:
    return h.pool.run(
        sign_up.sign_up, client_id=h.client_id, username=username, password=password, attributes=attributes
    )


def test_sign_up_sends_a_code_and_leaves_the_user_unconfirmed(harness: PoolHarness) -> None:
    result = _sign_up(harness, "Ada@Example.com")
    assert result.confirmed is False
    assert result.delivery is not None
    assert (result.delivery.medium, result.delivery.attribute, result.delivery.destination) == (
        "EMAIL",
        "email",
        "A***@E***",
    )
    [message] = harness.sent
    assert message.to == "Ada@Example.com" and message.code and message.code in message.body
    assert len(message.code) == 6 and message.code.isdigit()


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Sh0rt!", "Password not long enough"),
        ("nouppercase1!", "must have uppercase characters"),
        ("NOLOWERCASE1!", "must have lowercase characters"),
        ("NoNumbers!!", "must have numeric characters"),
        ("NoSymbols123", "must have symbol characters"),
    ],
)
def test_each_broken_password_rule_is_named_and_nothing_is_written(
    harness: PoolHarness, password: str, rule: str
) -> None:
    with pytest.raises(errors.InvalidPasswordException, match=rule):
        _sign_up(harness, "ada@example.com", password)
    assert harness.count_users() == 0 and harness.sent == []


def test_a_second_account_for_one_email_is_refused_whatever_the_case(harness: PoolHarness) -> None:
    _sign_up(harness, "ada@example.com")
    with pytest.raises(errors.UsernameExistsException, match="An account with the given email already exists"):
        _sign_up(harness, "ADA@example.COM")
    assert harness.count_users() == 1


@pytest.mark.parametrize(
    ("username", "attributes", "error", "message"),
    [
        ("ada", {}, errors.InvalidParameterException, "Username should be an email"),
        ("ada@example.com", {"custom:plan": "pro"}, errors.InvalidParameterException, "could not be determined"),
        ("ada@example.com", {"email_verified": "true"}, errors.NotAuthorizedException, "unauthorized attribute"),
        ("ada@example.com", {"sub": "mine"}, errors.NotAuthorizedException, "unauthorized attribute"),
        ("ada@example.com", {"email": "other@example.com"}, errors.InvalidParameterException, "must match"),
        ("ada@example.com", {"birthdate": "yesterday"}, errors.InvalidParameterException, "YYYY-MM-DD"),
        ("not an@email", {}, errors.InvalidParameterException, "no spaces"),
    ],
)
def test_bad_attributes_are_refused_with_the_attribute_named(
    harness: PoolHarness, username: str, attributes: dict[str, str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _sign_up(harness, username, **attributes)
    assert harness.count_users() == 0


def test_confirm_with_the_right_code_verifies_the_email(harness: PoolHarness) -> None:
    _sign_up(harness, "ada@example.com")
    user = harness.pool.run(
        sign_up.confirm_sign_up,
        client_id=harness.client_id,
        username="ada@example.com",
        code=harness.code_for("ada@example.com"),
    )
    assert user.status == "CONFIRMED" and user.attributes["email_verified"] == "true"


def test_a_code_works_once(harness: PoolHarness) -> None:
    _sign_up(harness, "ada@example.com")
    code = harness.code_for("ada@example.com")
    harness.pool.run(sign_up.confirm_sign_up, client_id=harness.client_id, username="ada@example.com", code=code)
    with pytest.raises(errors.NotAuthorizedException, match="Current status is CONFIRMED"):
        harness.pool.run(sign_up.confirm_sign_up, client_id=harness.client_id, username="ada@example.com", code=code)


def test_wrong_guesses_are_counted_and_the_fifth_burns_the_code(harness: PoolHarness) -> None:
    _sign_up(harness, "ada@example.com")
    good = harness.code_for("ada@example.com")
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(errors.CodeMismatchException):
            harness.pool.run(
                sign_up.confirm_sign_up, client_id=harness.client_id, username="ada@example.com", code=wrong
            )
    with pytest.raises(errors.LimitExceededException):  # the fifth wrong guess locked the user for a second
        harness.pool.run(sign_up.confirm_sign_up, client_id=harness.client_id, username="ada@example.com", code=good)
    harness.clock.advance(1)
    with pytest.raises(errors.ExpiredCodeException):  # even the right code is now useless
        harness.pool.run(sign_up.confirm_sign_up, client_id=harness.client_id, username="ada@example.com", code=good)


def test_a_sign_up_code_expires_after_24_hours(harness: PoolHarness) -> None:
    _sign_up(harness, "ada@example.com")
    harness.clock.advance(24 * 3600 + 1)
    with pytest.raises(errors.ExpiredCodeException):
        harness.pool.run(
            sign_up.confirm_sign_up,
            client_id=harness.client_id,
            username="ada@example.com",
            code=harness.code_for("ada@example.com"),
        )


def test_resend_replaces_the_code(harness: PoolHarness) -> None:
    _sign_up(harness, "ada@example.com")
    first = harness.code_for("ada@example.com")
    harness.pool.run(sign_up.resend_confirmation_code, client_id=harness.client_id, username="ada@example.com")
    second = harness.code_for("ada@example.com")
    if first != second:
        with pytest.raises(errors.CodeMismatchException):
            harness.pool.run(
                sign_up.confirm_sign_up, client_id=harness.client_id, username="ada@example.com", code=first
            )
    harness.pool.run(sign_up.confirm_sign_up, client_id=harness.client_id, username="ada@example.com", code=second)


def test_unknown_users_look_like_wrong_codes(harness: PoolHarness) -> None:
    with pytest.raises(errors.CodeMismatchException):
        harness.pool.run(
            sign_up.confirm_sign_up, client_id=harness.client_id, username="nobody@example.com", code="123456"
        )
    delivery = harness.pool.run(
        sign_up.resend_confirmation_code, client_id=harness.client_id, username="nobody@example.com"
    )
    assert delivery.destination == "n***@e***" and harness.sent == []


def test_unknown_client_is_resource_not_found(harness: PoolHarness) -> None:
    with pytest.raises(errors.ResourceNotFoundException, match="does not exist"):
        harness.pool.run(sign_up.sign_up, client_id="nope", username="a@example.com", password=PASSWORD, attributes={})
