"""The pool's password rules as the pages show them: in the request's language, with what the progressive
script needs to tick them off as the user types (`data-rule`, `data-min`), and the rules a password breaks
(the server's answer in words the user reads; the core's check stays the authority)."""

from __future__ import annotations

from dataclasses import dataclass

from userpool.core.config import PasswordPolicy
from userpool.core.policy import SYMBOLS
from userpool.web.authenticator.messages import t


@dataclass(frozen=True)
class Rule:
    kind: str  # length | upper | lower | number | symbol (the script's data-rule)
    text: str
    minimum: int = 0


def rules(policy: PasswordPolicy) -> list[Rule]:
    found = [Rule("length", t("password.rule_length", count=str(policy.min_length)), policy.min_length)]
    for kind, on in (
        ("upper", policy.require_uppercase),
        ("lower", policy.require_lowercase),
        ("number", policy.require_numbers),
        ("symbol", policy.require_symbols),
    ):
        if on:
            found.append(Rule(kind, t(f"password.rule_{kind}")))
    return found


def _meets(rule: Rule, password: str) -> bool:
    if rule.kind == "length":
        return len(password) >= rule.minimum
    if rule.kind == "upper":
        return any(c.isupper() for c in password)
    if rule.kind == "lower":
        return any(c.islower() for c in password)
    if rule.kind == "number":
        return any(c.isdigit() for c in password)
    return any(c in SYMBOLS for c in password)


def broken_rules_text(policy: PasswordPolicy, password: str) -> str:
    """ "Your password must have: …" for the rules `password` breaks; "" when it breaks none of them."""
    broken = [r.text for r in rules(policy) if not _meets(r, password)]
    if not broken:
        return ""
    return t("error.password_rules", rules=", ".join(text[:1].lower() + text[1:] for text in broken))


SYMBOL_CHARACTERS = "".join(sorted(SYMBOLS))
