"""The password policy: each broken rule named the way Cognito names it."""

from __future__ import annotations

from userpool.core.config import PasswordPolicy
from userpool.core.errors import InvalidPasswordException

MAX_PASSWORD_LENGTH = 256  # Cognito's PasswordType limit
# Cognito's symbol set for require_symbols (its docs list these characters; a space counts too).
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


def check_password(policy: PasswordPolicy, password: str) -> None:
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
    return rules
