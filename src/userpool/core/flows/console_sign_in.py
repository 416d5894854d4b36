"""Operators signing in to the web console: a password, then a TOTP code — MFA is not optional.

    create_admin (CLI) ─▶ an operator with a password and a TOTP secret (shown once, as a QR code)
    begin(name, password) ─right─▶ [mfa] session (5 minutes) ─finish(code)─right─▶ [in] session ─▶ pages
                          ─wrong─▶ counted                              ─wrong─▶ counted (the [mfa] row stays)
    [in]: ends after 30 minutes idle, 8 hours at most, at sign-out, or when the operator is reset

Failed attempts are counted per name — for names that exist or not, under a keyed hash, so the lock
says nothing about which exist — by the users' lockout machinery (`core/lockout.py`, counters shared by
every process) with the console's own policy, `LOCKOUT`, which the pool's definition cannot turn off: from
the fifth failure in a row each one locks the name for twice as long (30 s, 1 min, 2 min … at most an
hour). A locked name is refused before its password is looked at. An unknown name costs the same argon2
work as a wrong password. Session ids are 256 random bits; the store keeps only their SHA-256, and a
successful code replaces the half-way session with a new id (no fixation).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from userpool.core import lockout, totp
from userpool.core.config import LockoutSettings
from userpool.core.console_records import AuditEntry, ConsoleAdmin, ConsoleSession
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException, InvalidPasswordException, NotAuthorizedException
from userpool.core.errors import TooManyRequestsException as TooManyRequests
from userpool.core.ports import PasswordHasher, Random
from userpool.core.store import Tx

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
MIN_PASSWORD = 12
MFA_SECONDS = 300
IDLE_SECONDS = 1800
MAX_SECONDS = 8 * 3600
LOCKOUT = LockoutSettings(max_attempts=5, base_delay=30.0, max_delay=3600.0, reset_after=86400.0)
LOCKOUT_KIND = "console"
TOUCH_EVERY = 60.0  # write last_seen_at at most once a minute per session
WRONG = "Incorrect name, password or code."
EXPIRED = "The sign-in has expired: enter your name and password again."
ISSUER = "userpool console"


@dataclass(frozen=True)
class Operator:
    """A signed-in console session: who, and the session's hash (for sign-out)."""

    name: str
    id_hash: str


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidParameterException(
            "An operator name is 1-64 letters, digits and . _ @ + -, starting with a letter or digit."
        )
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidPasswordException(f"An operator's password needs at least {MIN_PASSWORD} characters.")
    if len(password) > 256:
        raise InvalidPasswordException("An operator's password has at most 256 characters.")


def create_admin(
    tx: Tx, hasher: PasswordHasher, random: Random, now: float, *, name: str, password: str, reset: bool = False
) -> ConsoleAdmin:
    """A new operator (or, `reset`, an existing one's new password and TOTP secret, every session ended).
    Runs outside a pool — the CLI's `console create-admin` / `reset-admin` — so it takes its ports directly."""
    check_name(name)
    check_password(password)
    existing = tx.get_console_admin(name)
    if existing is not None and not reset:
        raise InvalidParameterException(f"An operator named {name} exists; `userpool console reset-admin` resets it.")
    if existing is None and reset:
        raise InvalidParameterException(f"No operator is named {name}; `userpool console create-admin` makes one.")
    secret = totp.encode_secret(random.token_bytes(totp.SECRET_BYTES))
    admin = ConsoleAdmin(
        name=name,
        password_hash=hasher.hash(password),
        totp_secret=secret,
        created_at=existing.created_at if existing else now,
        updated_at=now,
        enabled=True,
        last_sign_in_at=existing.last_sign_in_at if existing else None,
    )
    tx.put_console_admin(admin)
    if existing is not None:
        tx.delete_admin_console_sessions(name)
    return admin


def enrolment_uri(admin: ConsoleAdmin) -> str:
    return totp.provisioning_uri(admin.totp_secret, admin.name, ISSUER)


def id_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _new_token(ctx: Ctx) -> str:
    return base64.urlsafe_b64encode(ctx.random.token_bytes(32)).decode("ascii").rstrip("=")


def _throttle_key(ctx: Ctx, name: str) -> str:
    return ctx.keyed.digest("console-sign-in", name.lower())


def _check_not_locked(ctx: Ctx, key: str) -> None:
    wait = lockout.remaining(ctx, LOCKOUT_KIND, key, LOCKOUT)
    if wait > 0:
        raise TooManyRequests(f"Too many failed sign-ins for this name: try again in {int(wait) + 1} seconds.")


def _count_failure(ctx: Ctx, key: str) -> NotAuthorizedException:
    lockout.failed(ctx, LOCKOUT_KIND, key, LOCKOUT)
    return NotAuthorizedException(WRONG, keep_writes=True)  # the count must survive the refusal


def _session(ctx: Ctx, name: str, stage: str, lifetime: float) -> tuple[str, ConsoleSession]:
    token, now = _new_token(ctx), ctx.now()
    session = ConsoleSession(
        id_hash=id_hash(token),
        admin_name=name,
        stage=stage,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        client_ip=ctx.origin.ip,
        user_agent=ctx.origin.user_agent,
    )
    ctx.tx.put_console_session(session)
    return token, session


def begin(ctx: Ctx, *, name: str, password: str) -> str:
    """The password step: a half-way session's id (the TOTP code comes next), or NotAuthorizedException."""
    name = name.strip()[:64]
    key = _throttle_key(ctx, name)
    _check_not_locked(ctx, key)
    admin = ctx.tx.get_console_admin(name) if NAME.fullmatch(name) else None
    if admin is None:
        ctx.hasher.burn(password)
        raise _count_failure(ctx, key)
    if not ctx.hasher.verify(admin.password_hash, password[:256]) or not admin.enabled:
        raise _count_failure(ctx, key)
    token, _ = _session(ctx, admin.name, "mfa", MFA_SECONDS)
    return token


def finish(ctx: Ctx, *, token: str, code: str) -> str:
    """The TOTP step: the signed-in session's new id. A wrong code is counted against the name; the
    half-way session stays (until it expires) so the operator can type the next code."""
    pending = ctx.tx.get_console_session(id_hash(token))
    if pending is None or pending.stage != "mfa" or pending.expires_at <= ctx.now():
        raise NotAuthorizedException(EXPIRED)
    key = _throttle_key(ctx, pending.admin_name)
    _check_not_locked(ctx, key)
    admin = ctx.tx.get_console_admin(pending.admin_name)
    if admin is None or not admin.enabled:
        raise NotAuthorizedException(WRONG)
    code = "".join(code.split())
    step = totp.matching_step(totp.decode_secret(admin.totp_secret), code, ctx.now(), after=admin.totp_last_step)
    if step is None or not ctx.tx.spend_console_totp_step(admin.name, step):
        raise _count_failure(ctx, key)
    ctx.tx.delete_console_session(pending.id_hash)
    lockout.succeeded(ctx, LOCKOUT_KIND, key, LOCKOUT)
    admin.last_sign_in_at = ctx.now()
    ctx.tx.put_console_admin(admin)
    new_token, _ = _session(ctx, admin.name, "in", MAX_SECONDS)
    _audit_self(ctx, admin.name, "console.sign_in")
    return new_token


def current(ctx: Ctx, token: str | None) -> Operator | None:
    """The operator a browser's session id signs in, or None (unknown, half-way, idle too long, expired,
    or the operator disabled). Seen activity keeps the session alive."""
    if not token:
        return None
    session = ctx.tx.get_console_session(id_hash(token))
    now = ctx.now()
    if session is None or session.stage != "in":
        return None
    if session.expires_at <= now or session.last_seen_at + IDLE_SECONDS <= now:
        ctx.tx.delete_console_session(session.id_hash)
        return None
    admin = ctx.tx.get_console_admin(session.admin_name)
    if admin is None or not admin.enabled:
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        session.last_seen_at = now
        ctx.tx.put_console_session(session)
    return Operator(name=admin.name, id_hash=session.id_hash)


def sign_out(ctx: Ctx, *, token: str | None) -> None:
    if not token:
        return
    session = ctx.tx.get_console_session(id_hash(token))
    if session is None:
        return
    ctx.tx.delete_console_session(session.id_hash)
    if session.stage == "in":
        _audit_self(ctx, session.admin_name, "console.sign_out")


def _audit_self(ctx: Ctx, name: str, action: str) -> None:
    ctx.tx.add_audit(
        AuditEntry(
            pool_id=ctx.pool.pool_id,
            at=ctx.now(),
            actor=name,
            action=action,
            target=f"console:{name}",
            client_ip=ctx.origin.ip,
            user_agent=ctx.origin.user_agent,
        )
    )
