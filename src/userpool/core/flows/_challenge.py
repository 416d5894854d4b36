"""The parts every sign-in step shares: a parked challenge, the progress it carries, and the step protocol.

A challenge waiting for its answer is an `AuthSession` row. Its sealed `state` holds the step's own state
(SRP secrets, a hashed code, attempts) and the sign-in's `Progress`: which steps passed, the device the
sign-in named and whether it is remembered, the time of the first factor (the tokens' `auth_time`) and
which channel started it (the JSON API ends in tokens, the hosted pages in a web session; neither can
finish the other's sign-in). The row is found by the client's opaque `Session`, or by a second handle
for clients that answer without one (pycognito: the SRP SECRET_BLOCK, the device key).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field, replace
from typing import Protocol

from userpool.core.clients import check_secret_hash
from userpool.core.context import Ctx
from userpool.core.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UserNotConfirmedException,
)
from userpool.core.identity import find_user
from userpool.core.model import AuthSession, Client, User, UserStatus
from userpool.core.tokens import hash_token, new_opaque_token

WRONG = "Incorrect username or password."
EXPIRED = "Invalid session for the user, session is expired."
TOO_MANY = "Invalid session for the user, too many failed attempts; sign in again."
API, WEB = "api", "web"  # the two channels a sign-in can start from
_PROGRESS_KEYS = frozenset({"auth_time", "channel", "passed", "device_key", "remembered"})


@dataclass(frozen=True)
class Challenge:
    name: str
    parameters: dict[str, str] = field(default_factory=dict)
    session: str | None = None


@dataclass(frozen=True)
class Progress:
    """How far a sign-in has come since its first factor; travels in each parked challenge's state."""

    auth_time: int
    channel: str = API
    passed: tuple[str, ...] = ()
    device_key: str = ""  # the user's confirmed device the sign-in named ("" none)
    remembered: bool = False  # that device is remembered: MFA is not asked (its own proof still is)

    def passing(self, step: str) -> Progress:
        return replace(self, passed=(*self.passed, step))

    def to_state(self) -> dict[str, str]:
        return {
            "auth_time": str(self.auth_time),
            "channel": self.channel,
            "passed": ",".join(self.passed),
            "device_key": self.device_key,
            "remembered": "1" if self.remembered else "",
        }

    @classmethod
    def from_state(cls, state: dict[str, str]) -> Progress:
        return cls(
            auth_time=int(state.get("auth_time") or 0),  # 0: parked before progress was kept
            channel=state.get("channel", API),
            passed=tuple(p for p in state.get("passed", "").split(",") if p),
            device_key=state.get("device_key", ""),
            remembered=state.get("remembered") == "1",
        )


def step_state(state: dict[str, str]) -> dict[str, str]:
    """A parked state without the progress keys: what the step itself kept."""
    return {k: v for k, v in state.items() if k not in _PROGRESS_KEYS}


@dataclass(frozen=True)
class Answer:
    """One RespondToAuthChallenge (or hosted page post), as the steps see it."""

    challenge: str
    responses: dict[str, str]
    session: str | None
    channel: str = API


@dataclass(frozen=True)
class Passed:
    """The step is done; the machine goes on to the next one."""

    user: User
    progress: Progress


class Step(Protocol):
    """One step after the first factor (core/flows/challenges.py runs them in order)."""

    @property
    def name(self) -> str: ...
    @property
    def challenges(self) -> tuple[str, ...]: ...  # the challenge names it answers

    def applies(self, ctx: Ctx, user: User, progress: Progress) -> bool:
        """Must this user pass this step in this sign-in?"""
        ...

    def start(self, ctx: Ctx, client: Client, user: User, progress: Progress) -> Challenge:
        """Park the step's first challenge."""
        ...

    def answer(self, ctx: Ctx, client: Client, answer: Answer) -> Challenge | Passed:
        """Check an answer: another challenge of this step, or done (refusals raise)."""
        ...


def require(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidParameterException(f"Missing required parameter {name}")
    return value


def check_can_sign_in(user: User) -> None:
    """The account's state, once the password (or its SRP proof) was right and before tokens or a session."""
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    if user.status == UserStatus.UNCONFIRMED:
        raise UserNotConfirmedException("User is not confirmed.")
    if user.status == UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredException("Password reset required for the user")
    if user.status != UserStatus.CONFIRMED:
        raise NotAuthorizedException(f"User cannot sign in with a password while in status {user.status.value}")


def check_session_user(user: User) -> None:
    """A user a browser session or an authorization code may stand for: a confirmed native user, or a
    federated one (EXTERNAL_PROVIDER, signed in upstream), and enabled."""
    if user.status is UserStatus.EXTERNAL_PROVIDER:
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        return
    check_can_sign_in(user)


def check_first_factor(ctx: Ctx, user: User) -> None:
    """Like `check_can_sign_in`, but a user with a temporary password may go on to NEW_PASSWORD_REQUIRED
    while it has not expired."""
    if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
        check_can_sign_in(user)
        return
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    expires = user.temporary_password_expires_at
    if expires is not None and expires <= ctx.now():
        raise NotAuthorizedException("Temporary password has expired and must be reset by an administrator.")


def park(
    ctx: Ctx,
    client: Client,
    name: str,
    user: User | None,
    username: str,
    params: dict[str, str],
    state: dict[str, str],
    handle: str | None = None,
) -> Challenge:
    """Park the sign-in on challenge `name` until its answer, found by its Session or by `handle`."""
    session = new_opaque_token(ctx)
    now = ctx.now()
    ctx.tx.put_auth_session(
        AuthSession(
            id=ctx.random.uuid4(),
            pool_id=ctx.pool.pool_id,
            client_id=client.id,
            user_sub=user.sub if user is not None else None,
            username=username,
            challenge=name,
            session_hash=hash_token(session),
            created_at=now,
            expires_at=now + client.auth_session_validity,
            secret_block_hash=hash_token(handle) if handle is not None else None,
            state=state,
        )
    )
    return Challenge(name, params, session)


def load_pending(
    ctx: Ctx,
    client: Client,
    answer: Answer,
    handle: str | None = None,
    *,
    spend: bool = True,
    challenge: str | None = None,
) -> AuthSession:
    """The sign-in waiting on the answered challenge, by its Session (or else `handle`).

    `spend`: the row goes now and stays gone even if the answer is refused — one answer per challenge.
    Without it (code challenges, which allow a few tries) the step decides: it deletes the row when the
    answer is right or the last try is used, and counts the attempt otherwise. Expired rows always go."""
    name = challenge or answer.challenge
    if answer.session:
        pending = ctx.tx.get_auth_session(session_hash=hash_token(answer.session))
    elif handle is not None:
        pending = ctx.tx.get_auth_session(secret_block_hash=hash_token(handle))
    else:
        raise InvalidParameterException("Missing required parameter Session")
    channel = pending.state.get("channel", API) if pending is not None else None
    if pending is None or pending.challenge != name or pending.client_id != client.id or channel != answer.channel:
        raise NotAuthorizedException(EXPIRED)
    if spend or pending.expires_at <= ctx.now():
        ctx.tx.delete_auth_session(pending.id)
    if pending.expires_at <= ctx.now():
        raise NotAuthorizedException(EXPIRED, keep_writes=True)
    if handle is not None and not hmac.compare_digest(pending.secret_block_hash or "", hash_token(handle)):
        raise NotAuthorizedException(WRONG, keep_writes=True)
    return pending


def count_wrong(ctx: Ctx, pending: AuthSession, refusal: Exception) -> Exception:
    """A wrong answer to a challenge that allows a few tries: counted in its state, and the last allowed one
    ends the sign-in. Returns the error to raise (its writes kept)."""
    attempts = int(pending.state.get("attempts", "0")) + 1
    if attempts >= ctx.pool.code_attempts:
        ctx.tx.delete_auth_session(pending.id)
        return NotAuthorizedException(TOO_MANY, keep_writes=True)
    pending.state = {**pending.state, "attempts": str(attempts)}
    ctx.tx.put_auth_session(pending)
    return refusal


def names_user(ctx: Ctx, username: str, user: User) -> bool:
    """An answer's USERNAME: Amplify and amazon-cognito-identity-js send the user name, pycognito sends
    what the user typed (an email, an alias)."""
    if username.lower() == user.username.lower():
        return True
    found = find_user(ctx, username)
    return found is not None and found.sub == user.sub


def answering_user(ctx: Ctx, client: Client, pending: AuthSession, answer: Answer) -> User:
    """The user a parked challenge belongs to, if the answer names them (USERNAME) and proves the client's
    secret over that name; any mismatch is the one refusal."""
    username = require(answer.responses, "USERNAME")
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub or "")
    if user is None or not names_user(ctx, username, user):
        raise NotAuthorizedException(WRONG, keep_writes=True)
    check_secret_hash(client, username, answer.responses.get("SECRET_HASH"))
    return user
