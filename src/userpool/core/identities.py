"""A user's external identities: Cognito's `identities` attribute, and the login keys that find a user by one.

The attribute is the record (a JSON string, as Cognito's GetUser and AdminGetUser show it; the ID token
carries it as an array): one entry per provider identity — `userId` (the provider's subject),
`providerName`, `providerType`, `issuer`, `primary`, `dateCreated` (milliseconds, as a string). Each entry
also gives the user a login key `identity:<provider>:<subject>`, unique per pool like any other, so one
upstream identity can belong to one user only, even when two first sign-ins race.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from userpool.core.config import PoolConfig
from userpool.core.errors import InvalidParameterException
from userpool.core.model import User

ATTRIBUTE = "identities"
MAX_LINKED = 5  # Cognito: at most five external identities per user

# Cognito's providerType for each kind of provider name; any other name is an OIDC provider's own.
PROVIDER_TYPES = {
    "Google": "Google",
    "Facebook": "Facebook",
    "LoginWithAmazon": "LoginWithAmazon",
    "SignInWithApple": "SignInWithApple",
}


@dataclass(frozen=True)
class Identity:
    provider: str
    subject: str
    provider_type: str = "OIDC"
    issuer: str | None = None
    primary: bool = False
    created_ms: int = 0

    def as_json(self) -> dict[str, str | None]:
        return {
            "userId": self.subject,
            "providerName": self.provider,
            "providerType": self.provider_type,
            "issuer": self.issuer,
            "primary": "true" if self.primary else "false",
            "dateCreated": str(self.created_ms),
        }


def login_key(provider: str, subject: str) -> str:
    return f"identity:{provider}:{subject}"


def identities_of(user: User) -> list[Identity]:
    """The user's identities; a value that is not the JSON we write counts as none."""
    try:
        entries = json.loads(user.attributes.get(ATTRIBUTE) or "[]")
    except ValueError:
        return []
    found = []
    for e in entries if isinstance(entries, list) else []:
        if isinstance(e, dict) and isinstance(e.get("userId"), str) and isinstance(e.get("providerName"), str):
            created = str(e.get("dateCreated") or "0")
            found.append(
                Identity(
                    provider=e["providerName"],
                    subject=e["userId"],
                    provider_type=str(e.get("providerType") or "OIDC"),
                    issuer=e.get("issuer") if isinstance(e.get("issuer"), str) else None,
                    primary=e.get("primary") in ("true", True),
                    created_ms=int(created) if created.isdigit() else 0,
                )
            )
    return found


def set_identities(user: User, identities: list[Identity]) -> None:
    if identities:
        user.attributes[ATTRIBUTE] = json.dumps([i.as_json() for i in identities], separators=(",", ":"))
    else:
        user.attributes.pop(ATTRIBUTE, None)


def identity_keys(user: User) -> set[str]:
    return {login_key(i.provider, i.subject) for i in identities_of(user)}


def check_not_reserved(pool: PoolConfig, username: str) -> None:
    """A federated user's name is `<provider>_<subject>` (as in Cognito). A native user who took such a name
    first would block that identity's first sign-in for good, so in a pool that signs in with a provider,
    names with its prefix are not given to anyone else (compared without case, as names are looked up)."""
    for provider in pool.upstreams:
        if username[: len(provider) + 1].lower() == f"{provider}_".lower():
            raise InvalidParameterException(
                f"Username cannot start with '{provider}_': those names belong to users who sign in with {provider}."
            )
