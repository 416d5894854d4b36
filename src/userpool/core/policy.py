"""The password policy: each broken rule named the way Cognito names it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from userpool.core.config import PasswordPolicy
from userpool.core.errors import InvalidPasswordException

MAX_PASSWORD_LENGTH = 256  # Cognito's PasswordType limit
TOO_COMMON = "Password is too common"
SAME_AS_NAME = "Password must not be the user name or an attribute value"
# Cognito's symbol set for require_symbols (its docs list these characters; a space counts too).
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


# Attributes a password must not simply repeat: they are what an attacker knows about the user first.
_PERSONAL = ("email", "phone_number", "preferred_username", "name", "given_name", "family_name", "nickname")


def personal_values(username: str, attributes: Mapping[str, str]) -> tuple[str, ...]:
    """The `context` for `check_password`: the user name and the user's identifying attribute values."""
    return (username, *(attributes.get(name, "") for name in _PERSONAL))


def check_password(policy: PasswordPolicy, password: str, context: Iterable[str] = ()) -> None:
    """The one check every new password passes (sign-up, change, reset, admin set, a forced new password):
    the pool's rules, then the blocklist of common passwords, then `context` — the user's own name and
    attribute values (ASVS 6.2.11), which a password must not simply repeat. InvalidPasswordException
    names the first thing broken, in Cognito's words."""
    prefix = "Password did not conform with password policy: "
    if len(password) < policy.min_length:
        raise InvalidPasswordException(prefix + f"Password not long enough (at least {policy.min_length} characters)")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidPasswordException(prefix + f"Password must be at most {MAX_PASSWORD_LENGTH} characters")
    if password != password.strip():
        raise InvalidPasswordException(prefix + "Password must not begin or end with a space")
    if policy.require_uppercase and not any(c.isupper() for c in password):
        raise InvalidPasswordException(prefix + "Password must have uppercase characters")
    if policy.require_lowercase and not any(c.islower() for c in password):
        raise InvalidPasswordException(prefix + "Password must have lowercase characters")
    if policy.require_numbers and not any(c.isdigit() for c in password):
        raise InvalidPasswordException(prefix + "Password must have numeric characters")
    if policy.require_symbols and not any(c in SYMBOLS for c in password):
        raise InvalidPasswordException(prefix + "Password must have symbol characters")
    if policy.blocklist is not None and password in policy.blocklist:
        raise InvalidPasswordException(prefix + TOO_COMMON)
    folded = password.casefold()
    if any(value and value.casefold() == folded for value in context):
        raise InvalidPasswordException(prefix + SAME_AS_NAME)


def describe(policy: PasswordPolicy) -> list[str]:
    """The rules in words, for forms that show them before the user types."""
    rules = [f"At least {policy.min_length} characters"]
    if policy.require_uppercase:
        rules.append("An uppercase letter")
    if policy.require_lowercase:
        rules.append("A lowercase letter")
    if policy.require_numbers:
        rules.append("A number")
    if policy.require_symbols:
        rules.append("A symbol")
    if policy.blocklist is not None:
        rules.append("Not a commonly used password")
    return rules
