"""The records the web console keeps: operators (console accounts, not pool users), their browser sessions,
the audit log, and the pool users' recent sign-in events."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ConsoleAdmin:
    """An operator of the console. Store-wide, like an access key: one account works for every pool the
    store holds. MFA is not optional: every operator has a TOTP secret from the moment they exist."""

    name: str
    password_hash: str  # argon2id
    totp_secret: str  # base32; sealed at rest
    created_at: float
    updated_at: float
    enabled: bool = True
    last_sign_in_at: float | None = None
    # The newest TOTP step spent; only `Tx.spend_console_totp_step` moves it, so a code works once.
    totp_last_step: int | None = None


@dataclass
class ConsoleSession:
    """A browser signed in to the console (`stage` "in"), or half-way: password right, TOTP code awaited
    (`stage` "mfa", a few minutes). The browser holds the id; the store keeps its SHA-256."""

    id_hash: str
    admin_name: str
    stage: str  # "mfa" | "in"
    created_at: float
    last_seen_at: float
    expires_at: float
    client_ip: str = ""
    user_agent: str = ""


@dataclass
class AuditEntry:
    """One change made through the console: who, what, to what, when, from where."""

    pool_id: str
    at: float
    actor: str  # the operator's name
    action: str  # "user.disable", "group.create", …
    target: str  # "user:<username>", "group:<name>", "console:<operator>"
    details: dict[str, object] = field(default_factory=dict)
    client_ip: str = ""
    user_agent: str = ""
    id: int | None = None


@dataclass
class SignInEvent:
    """One sign-in of a pool user, right or refused (the console shows a user's recent ones)."""

    pool_id: str
    user_sub: str
    at: float
    success: bool
    client_id: str = ""
    client_ip: str = ""
    detail: str = ""  # the refusal's exception name, or how the sign-in ended ("tokens", "web session")
    id: int | None = None
