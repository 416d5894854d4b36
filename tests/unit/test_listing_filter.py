"""ListUsers' filter syntax, as Cognito reads it: exact and prefix, escapes, case rules, and clear refusals."""

from __future__ import annotations

import pytest

from userpool.core.errors import InvalidParameterException
from userpool.core.flows.listing import Filter, parse_filter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('email ^= "Ada"', Filter("email", "ada", True)),  # matched regardless of case
        ('username = "Ada"', Filter("username", "Ada", False)),  # user names are case-sensitive
        ('  given_name="Jon"  ', Filter("given_name", "jon", False)),
        ('cognito:user_status = "CONFIRMED"', Filter("cognito:user_status", "confirmed", False)),
        ('status = "Disabled"', Filter("status", "disabled", False)),
        (r'family_name = "O\"Brien \\ Co"', Filter("family_name", 'o"brien \\ co', False)),
        ('sub = ""', Filter("sub", "", False)),
    ],
)
def test_filters_parse(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize("text", [None, "", "   "])
def test_an_empty_filter_is_everyone(text: str | None) -> None:
    assert parse_filter(text) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('custom:plan = "pro"', "Invalid search attribute: custom:plan"),
        ('address = "x"', "Invalid search attribute: address"),
        ("email = ada", "Error while parsing filter"),
        ('email != "ada"', "Error while parsing filter"),
        ('email = "a" and name = "b"', "Error while parsing filter"),
    ],
)
def test_bad_filters_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidParameterException, match=says):
        parse_filter(text)
