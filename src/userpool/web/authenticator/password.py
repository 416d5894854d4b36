"""The pool's password rules as the pages show them: in the request's language, with what the progressive
script needs to tick them off as the user types (`data-rule`, `data-min`), and the rules a password breaks
(the server's answer in words the user reads; the core's check stays the authority).

"Not a commonly used password" (when the pool has a blocklist) is shown but never ticked by the script:
the list stays on the server, so only the server's refusal can say a password is on it."""

from __future__ import annotations

from dataclasses import dataclass

from userpool.core.config import PasswordPolicy
from userpool.core.policy import SYMBOLS
from userpool.web.authenticator.messages import t


@dataclass(frozen=True)
class Rule:
    kind: str  # length | upper | lower | number | symbol (the script's data-rule) | common (server only)
    text: str
    minimum: int = 0

    @property
    def checked_as_typed(self) -> bool:
        return self.kind != COMMON


COMMON = "common"


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
    if policy.blocklist is not None:
        found.append(Rule(COMMON, t("password.rule_common")))
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
    """ "Your password must have: …" for the rules `password` breaks, else "too common" when it is on the
    blocklist (the core checks that after the rules too); "" when it breaks none of them."""
    broken = [r.text for r in rules(policy) if r.checked_as_typed and not _meets(r, password)]
    if broken:
        return t("error.password_rules", rules=", ".join(text[:1].lower() + text[1:] for text in broken))
    if policy.blocklist is not None and password in policy.blocklist:
        return t("error.password_common")
    return ""


SYMBOL_CHARACTERS = "".join(sorted(SYMBOLS))
