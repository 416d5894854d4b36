"""One user as a line of `userpool users export` / `import` (JSON Lines), both ways. Pure: no files here.

    {"username": "ada", "sub": "…", "status": "CONFIRMED", "enabled": true,
     "created_at": "2026-01-02T03:04:05Z", "updated_at": "…",
     "attributes": {"email": "ada@example.com", "email_verified": "true", …},
     "groups": ["admins"], "mfa": {"enabled": ["TOTP"], "preferred": "TOTP", "totp_secret": "…"},
     "password_hash": "$argon2id$…", "srp": {"pool": "AbCdEf123", "salt": "…", "verifier": "…"}}

`password_hash`, `srp`, `mfa.totp_secret` and `temporary_password_expires_at` are credentials: export
writes them only when asked (`--with-password-hashes`). Import reads this shape with only `username`
required; `password_hash` may be any format `PasswordHasher.scheme` knows (bcrypt, argon2, PBKDF2, Firebase
scrypt), so users keep their passwords. The SRP verifier binds the pool's name (Cognito's x = H(salt |
H(poolName | user | ":" | password))), so it is kept only when imported into a pool of the same name;
otherwise it is derived again at the user's first password sign-in, like a legacy hash's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from userpool.core import attributes as attrs
from userpool.core.config import PoolConfig
from userpool.core.errors import CognitoError
from userpool.core.model import MFA_FACTORS, Group, MfaSettings, User, UserStatus

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-f]+$")
_BASE32 = re.compile(r"^[A-Z2-7]+=*$")
_FIELDS = frozenset(
    {
        "username", "sub", "status", "enabled", "created_at", "updated_at", "attributes", "groups", "mfa",
        "password_hash", "srp", "temporary_password_expires_at",
    }
)  # fmt: skip


class RecordError(ValueError):
    """A line that cannot be imported; the message says what to fix."""


@dataclass
class ImportedUser:
    """A checked record: the user (no login keys yet), their groups and second factors."""

    user: User
    groups: tuple[str, ...]
    mfa: MfaSettings | None
    dropped: tuple[str, ...] = ()  # what could not be kept, for the report (an SRP verifier for another pool)


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def export_record(
    pool: PoolConfig, user: User, groups: Sequence[Group], mfa: MfaSettings | None, *, with_secrets: bool
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "username": user.username,
        "sub": user.sub,
        "status": str(user.status),
        "enabled": user.enabled,
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
        "attributes": dict(user.attributes),
        "groups": [g.name for g in groups],
    }
    if mfa is not None and mfa.enabled():
        record["mfa"] = {"enabled": list(mfa.enabled()), "preferred": mfa.preferred}
        if with_secrets and mfa.totp and mfa.totp_secret:
            record["mfa"]["totp_secret"] = mfa.totp_secret
    if with_secrets:
        record["password_hash"] = user.password_hash
        if user.srp_salt and user.srp_verifier:
            record["srp"] = {"pool": pool.pool_name, "salt": user.srp_salt, "verifier": user.srp_verifier}
        if user.temporary_password_expires_at is not None:
            record["temporary_password_expires_at"] = timestamp(user.temporary_password_expires_at)
    return record


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{name} must be a string")
    return value


def _time(data: Mapping[str, Any], name: str, default: float) -> float:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    raise RecordError(f"{name} must be an ISO 8601 time (2026-01-02T03:04:05Z) or seconds since the epoch")


def _attributes(pool: PoolConfig, data: Mapping[str, Any]) -> dict[str, str]:
    raw = data.get("attributes", {})
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise RecordError('attributes must be an object of strings ({"email": "ada@example.com"})')
    values = {k: v for k, v in raw.items() if k != "sub" and v != ""}
    for name, value in values.items():
        if name.endswith("_verified") and name.removesuffix("_verified") in attrs.VERIFIABLE:
            if value not in ("true", "false"):
                raise RecordError(f"{name} must be true or false")
            continue
        spec = attrs.spec_for(pool, name)
        if spec is None:
            raise RecordError(f"attribute {name} is not in the pool's schema (custom attributes: custom:name)")
        try:
            if name not in attrs.READ_ONLY:
                attrs.check_client_write(pool, {name: value}, existing=None)
        except CognitoError as refused:
            raise RecordError(f"attribute {name}: {refused.message}") from None
    return values


def _mfa(pool: PoolConfig, data: Mapping[str, Any], sub: str, now: float) -> tuple[MfaSettings | None, list[str]]:
    raw = data.get("mfa")
    if raw is None:
        return None, []
    factors = raw.get("enabled", []) if isinstance(raw, dict) else None
    if not isinstance(factors, list) or any(f not in MFA_FACTORS for f in factors):
        raise RecordError('mfa must be {"enabled": ["SMS" | "TOTP" | "EMAIL", …], "preferred": …}')
    settings = MfaSettings(pool_id=pool.pool_id, user_sub=sub, created_at=now, updated_at=now)
    dropped: list[str] = []
    secret = raw.get("totp_secret")
    if "TOTP" in factors:
        if isinstance(secret, str) and _BASE32.match(secret):
            settings.totp, settings.totp_secret = True, secret
        else:
            dropped.append("TOTP (no totp_secret: the user sets up an authenticator app again)")
    settings.sms, settings.email = "SMS" in factors, "EMAIL" in factors
    preferred = raw.get("preferred")
    if preferred is not None and preferred not in settings.enabled():
        if preferred not in MFA_FACTORS:
            raise RecordError("mfa.preferred must be one of the enabled factors")
        preferred = None
    settings.preferred = preferred
    return (settings if settings.enabled() else None), dropped


def _password(data: Mapping[str, Any], scheme: Callable[[str], str | None]) -> str | None:
    encoded = _text(data, "password_hash")
    if encoded is None or encoded == "":
        return None
    if scheme(encoded) is None:
        raise RecordError(
            "password_hash is not a hash userpool can verify: bcrypt ($2a$/$2b$/$2y$), argon2, Django or passlib "
            "PBKDF2, or Firebase scrypt (--hash-format firebase-scrypt with its parameters)"
        )
    return encoded


def _username(pool: PoolConfig, username: str | None, sub: str, values: dict[str, str]) -> str:
    if not username or len(username) > 128 or any(c.isspace() for c in username):
        raise RecordError("username is required: 1 to 128 characters, no spaces")
    kinds = pool.username_attributes
    if kinds and ("@" in username or username.startswith("+")):
        # The name is the email or phone itself: Cognito's user name is then the sub.
        kind = "email" if "@" in username else "phone_number"
        if kind not in kinds:
            raise RecordError(f"username {username!r} is a {kind}, which this pool does not sign in with")
        values.setdefault(kind, username)
        try:
            attrs.check_client_write(pool, {kind: values[kind]}, existing=None)
        except CognitoError as refused:
            raise RecordError(f"username: {refused.message}") from None
        return sub
    if kinds and not any(values.get(k) for k in kinds):
        raise RecordError(f"this pool signs in with {' or '.join(kinds)}: the record needs one")
    return username


def _srp(pool: PoolConfig, srp: Any, user: User) -> list[str]:
    if srp is None:
        return []
    if not isinstance(srp, dict) or not all(_HEX.match(str(srp.get(k, ""))) for k in ("salt", "verifier")):
        raise RecordError('srp must be {"pool": …, "salt": hex, "verifier": hex}')
    if srp.get("pool") != pool.pool_name:
        return ["SRP verifier (made for another pool name; derived again at the first password sign-in)"]
    user.srp_salt, user.srp_verifier = srp["salt"], srp["verifier"]
    return []


def parse_record(
    pool: PoolConfig, data: Any, *, new_sub: str, now: float, scheme: Callable[[str], str | None]
) -> ImportedUser:
    """Check one import line (already JSON-decoded) against the pool; RecordError says what is wrong."""
    if not isinstance(data, dict):
        raise RecordError("each line must be a JSON object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise RecordError(f"unknown field {unknown[0]} (fields: {', '.join(sorted(_FIELDS))})")
    sub = _text(data, "sub") or new_sub
    if not _UUID.match(sub):
        raise RecordError("sub must be a UUID (leave it out to have one made)")
    sub = sub.lower()
    values = _attributes(pool, data)
    username = _username(pool, _text(data, "username"), sub, values)
    try:
        attrs.check_required(pool, values)
    except CognitoError as refused:
        raise RecordError(refused.message) from None
    password_hash = _password(data, scheme)
    status_text = _text(data, "status")
    default = UserStatus.CONFIRMED if password_hash else UserStatus.RESET_REQUIRED
    try:
        status = UserStatus(status_text) if status_text else default
    except ValueError:
        raise RecordError(f"status must be one of {', '.join(s.value for s in UserStatus)}") from None
    if status in (UserStatus.CONFIRMED, UserStatus.FORCE_CHANGE_PASSWORD) and not password_hash:
        status = UserStatus.RESET_REQUIRED  # no password to sign in with: they reset it, as Cognito's CSV import
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RecordError("enabled must be true or false")
    for kind in attrs.VERIFIABLE:
        if kind in values:
            values.setdefault(attrs.verified_flag(kind), "false")
    created = _time(data, "created_at", now)
    user = User(
        pool_id=pool.pool_id,
        username=username,
        sub=sub,
        status=status,
        attributes={"sub": sub, **values},
        created_at=created,
        updated_at=_time(data, "updated_at", created),
        enabled=enabled,
        password_hash=password_hash,
    )
    dropped = _srp(pool, data.get("srp"), user) if password_hash else []
    if status == UserStatus.FORCE_CHANGE_PASSWORD:
        user.temporary_password_expires_at = _time(data, "temporary_password_expires_at", now)
    groups = data.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
        raise RecordError('groups must be a list of group names (["admins"])')
    mfa, mfa_dropped = _mfa(pool, data, sub, now)
    return ImportedUser(user=user, groups=tuple(dict.fromkeys(groups)), mfa=mfa, dropped=(*dropped, *mfa_dropped))
