"""Hypothesis strategies for Cognito requests, built from botocore's model of each action (shapes.json).

Every member is drawn from a mix, so one run covers the whole range from "a request a real client sends" to
garbage: a value the pool knows (its client ids, a confirmed user, a live access token, a sign-in's session:
without them nearly every request would stop at the first lookup), a value valid for the shape (enums,
patterns, lengths), an almost-valid one (the pattern broken, one past the length), the wrong JSON type,
huge strings, unicode, control characters, lone surrogates, nested junk — and required members left out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from hypothesis import strategies as st

import userpool.api.cognito as cognito_api
from userpool.api.cognito import extensions
from userpool.api.cognito.actions import ACTIONS

MAX_DEPTH = 4


@cache
def model() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((Path(cognito_api.__file__).parent / "shapes.json").read_text())
    return doc


@cache
def cognito_error_names() -> frozenset[str]:
    """Every exception Cognito's model declares, plus those the JSON protocol itself answers with and AWS's
    common SigV4 refusals (the admin actions must be signed)."""
    service = botocore.session.get_session().get_service_model("cognito-idp")
    return frozenset({s.name for s in service.error_shapes} | PROTOCOL_ERRORS | SIGV4_ERRORS)


PROTOCOL_ERRORS = frozenset({"SerializationException", "UnknownOperationException"})
SIGV4_ERRORS = frozenset(
    {
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
    }
)


def all_actions() -> list[str]:
    return sorted(model()["operations"])


def supported_actions() -> list[str]:
    """The app-facing (unsigned) actions this server answers."""
    return sorted(ACTIONS)


def extension_actions() -> list[str]:
    return sorted(extensions.EXTENSIONS)


# -- garbage ------------------------------------------------------------------------------------------

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "\x00" * 5,
    "null",
    "undefined",
    "' OR '1'='1' --",
    '"; DROP TABLE users; --',
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "%s%s%n%x",
    "${jndi:ldap://127.0.0.1/a}",
    "\u202etxt.exe",
    "\ufeff",
    "\ud800",  # a lone surrogate: valid in JSON text, not encodable as UTF-8
    "\udfff\ud800",
    "🙂" * 40,
    "é" * 200,
    "\u03a9\u2248\u00e7\u221a\u222b\u02dc\u00b5\u2264\u2265\u00f7",  # symbols, a small tilde
    "\U0001d57f\U0001d58d\U0001d58a \U0001d596",  # astral-plane letters
    "a\r\nSet-Cookie: x=y",
    "+1" + "9" * 40,
    "-1",
    "0",
    "1e309",
    "x" * 129,
    "x" * 2049,
    "x" * 20_000,
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "a.b.c",
    "us-east-1_AAAAAAAAA",
]

nasty_text = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cc", "Cs", "Co", "Cf", "Zs", "Mn"]), max_size=20),
    st.integers(0, 70_000).map(lambda n: "y" * n),
)

scalar_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    nasty_text,
)

junk = st.recursive(
    scalar_junk,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)


# -- what the pool knows ------------------------------------------------------------------------------


@dataclass
class Known:
    """Values that get a request past the first lookup: filled in by the world the suite builds."""

    values: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, member: str, *values: Any) -> None:
        bucket = self.values.setdefault(member, [])
        bucket.extend(v for v in values if v not in bucket)

    def get(self, member: str) -> list[Any]:
        return self.values.get(member, [])


# Members whose values are alike whatever the action calls them.
ALIASES = {
    "USERNAME": "Username",
    "PASSWORD": "Password",
    "NEW_PASSWORD": "Password",
    "ProposedPassword": "Password",
    "PreviousPassword": "Password",
    "REFRESH_TOKEN": "RefreshToken",
    "Token": "RefreshToken",
    "ConfirmationCode": "Code",
    "UserCode": "Code",
    "SMS_MFA_CODE": "Code",
    "SOFTWARE_TOKEN_MFA_CODE": "Code",
    "EMAIL_OTP_CODE": "Code",
    "ANSWER": "Code",
    "DEVICE_KEY": "DeviceKey",
    "SECRET_HASH": "SecretHash",
}

AUTH_PARAMETER_KEYS = ["USERNAME", "PASSWORD", "SRP_A", "REFRESH_TOKEN", "SECRET_HASH", "DEVICE_KEY", "CHALLENGE_NAME"]
CHALLENGE_RESPONSE_KEYS = [
    "USERNAME",
    "PASSWORD",
    "PASSWORD_CLAIM_SIGNATURE",
    "PASSWORD_CLAIM_SECRET_BLOCK",
    "TIMESTAMP",
    "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_MFA_CODE",
    "EMAIL_OTP_CODE",
    "NEW_PASSWORD",
    "ANSWER",
    "DEVICE_KEY",
    "SECRET_HASH",
    "SRP_A",
    "MFAS_CAN_SETUP",
    "MFA_SETUP",
    "userAttributes.email",
    "userAttributes.phone_number",
]
ATTRIBUTE_NAMES = ["email", "phone_number", "name", "given_name", "email_verified", "sub", "custom:x", "locale"]


class Requests:
    """Strategies for one pool's requests (`known` holds what the pool knows). With `garbage=False`, only
    plausible requests: known and valid values, every required member — what gets past validation and
    into the flows' success paths, which garbage rarely reaches."""

    def __init__(self, known: Known, *, garbage: bool = True) -> None:
        self.known = known
        self.garbage = garbage
        self._cache: dict[tuple[str, int], st.SearchStrategy[Any]] = {}

    def _mix(self, *choices: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        """`choices`, and (unless only plausible requests are wanted) junk."""
        return st.one_of(*choices, junk) if self.garbage else st.one_of(*choices)

    def body(self, action: str) -> st.SearchStrategy[Any]:
        if action in extensions.EXTENSIONS:
            return st.one_of(
                st.fixed_dictionaries({}, optional={"AccessToken": self.member("AccessToken", st.text(max_size=5))}),
                junk,
            )
        shape = model()["operations"][action]
        # Mostly a structure (maybe missing required members); sometimes a JSON value of another kind.
        return self._mix(self.shape(shape, 0), self.shape(shape, 0), self.shape(shape, 0))

    def member(self, name: str, fallback: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        known = self.known.get(ALIASES.get(name, name))
        if not known:
            return fallback
        if not self.garbage:
            return st.one_of(st.sampled_from(known), st.sampled_from(known), st.sampled_from(known), fallback)
        return st.one_of(st.sampled_from(known), st.sampled_from(known), fallback)

    def shape(self, name: str, depth: int) -> st.SearchStrategy[Any]:
        cached = self._cache.get((name, depth))
        if cached is None:
            cached = self._cache[(name, depth)] = st.deferred(lambda: self._build(name, depth))
        return cached

    def _build(self, name: str, depth: int) -> st.SearchStrategy[Any]:
        shape = model()["shapes"][name]
        kind = shape["type"]
        if depth > MAX_DEPTH:
            return scalar_junk
        if kind == "structure":
            members = shape["members"]
            required = set(shape.get("required", []))
            parts = {m: self.member(m, self.shape(s, depth + 1)) for m, s in members.items()}
            whole = st.fixed_dictionaries(
                {m: parts[m] for m in members if m in required},
                optional={m: parts[m] for m in members if m not in required},
            )
            extra = st.dictionaries(st.sampled_from(["Junk", "__proto__", "constructor", ""]), junk, max_size=2)

            def assemble(value: tuple[dict[str, Any], frozenset[str], dict[str, Any]]) -> dict[str, Any]:
                body, drop, more = value
                return {**{k: v for k, v in body.items() if k not in drop}, **more}

            drops = st.frozensets(st.sampled_from(sorted(required)), max_size=2) if required else st.just(frozenset())
            choices = [st.tuples(whole, st.just(frozenset()), st.just({})).map(assemble)] * 3
            if not self.garbage:
                return st.one_of(*choices)
            choices.append(st.tuples(whole, drops, extra).map(assemble))
            return st.one_of(*choices, junk)
        if kind == "list":
            most = min(shape.get("max", 5), 5)
            member = shape["member"]
            items = self.attribute() if member == "AttributeType" else self.shape(member, depth + 1)
            return self._mix(st.lists(items, max_size=most), st.lists(items, max_size=most))
        if kind == "map":
            values = self._mix(self.shape(shape["value"], depth + 1), st.none())
            anything = st.dictionaries(st.text(max_size=10), values, max_size=4)
            named = self.named_keys(name)
            if not named:
                return self._mix(anything, anything)
            # Each known key with a value fit for it (USERNAME: a user the pool has), and a few unknown keys.
            known = st.fixed_dictionaries({}, optional={k: self._mix(self.member(k, values)) for k in named})
            if not self.garbage:
                return known
            return st.one_of(known, known, known, st.tuples(known, anything).map(lambda t: {**t[1], **t[0]}), junk)
        if kind == "string":
            if not self.garbage:
                return self.valid_string(name, shape)
            return st.one_of(self.valid_string(name, shape), self.valid_string(name, shape), nasty_text, junk)
        if kind in ("integer", "long"):
            low, high = shape.get("min", -(2**31)), shape.get("max", 2**31)
            return self._mix(st.integers(low, high), st.integers(low, high), st.integers(low - 2, high + 2))
        if kind == "boolean":
            return self._mix(st.booleans(), st.booleans())
        return junk if self.garbage else st.none()

    @staticmethod
    def named_keys(name: str) -> list[str]:
        if name == "AuthParametersType":
            return AUTH_PARAMETER_KEYS
        if name == "ChallengeResponsesType":
            return CHALLENGE_RESPONSE_KEYS
        return []

    def attribute(self) -> st.SearchStrategy[Any]:
        if not self.garbage:
            return st.fixed_dictionaries(
                {"Name": st.sampled_from(ATTRIBUTE_NAMES)},
                optional={"Value": st.sampled_from(["a@example.com", "+14155550123", "Ada", "true", "en"])},
            )
        names = st.one_of(st.sampled_from(ATTRIBUTE_NAMES), nasty_text)
        values = st.one_of(
            st.sampled_from(["a@example.com", "+14155550123", "Ada", "true", "false", ""]), nasty_text, st.none()
        )
        return st.one_of(
            st.fixed_dictionaries({"Name": names}, optional={"Value": values}),
            st.fixed_dictionaries({"Name": names}, optional={"Value": values}),
            junk,
        )

    @staticmethod
    def valid_string(name: str, shape: dict[str, Any]) -> st.SearchStrategy[str]:
        low, high = shape.get("min", 0), min(shape.get("max", 64), 300)
        if "enum" in shape:
            return st.sampled_from(shape["enum"])
        if "pattern" in shape:
            try:
                pattern = re.compile(shape["pattern"])
                return st.from_regex(pattern, fullmatch=True).map(lambda s: s[: max(high, 1)])
            except (re.error, ValueError, NotImplementedError):
                pass
        return st.text(min_size=low, max_size=high)
