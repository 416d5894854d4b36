"""Signing in: a small state machine over Cognito's challenges, saved between requests.

    InitiateAuth(USER_PASSWORD_AUTH) ──password ok──────────────────────────────┐
    InitiateAuth(USER_SRP_AUTH) ──▶ [PASSWORD_VERIFIER] ──proof ok──────────────┤
                                          │ (3 min, one answer)                  ▼
                                          └──wrong proof / expired──▶ ✗     first factor done
                                                                               │ status checks
    InitiateAuth(REFRESH_TOKEN_AUTH), GetTokensFromRefreshToken ──▶ tokens     ▼
                                                                             tokens

A pending challenge is an `AuthSession` row: the client gets an opaque `Session` (and, for SRP, the
SECRET_BLOCK, which pycognito answers with instead of the Session). Either handle is stored only hashed and
works once. Every refusal of credentials is the same NotAuthorizedException, after the same work, whether
or not the user exists.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field

from userpool.core import srp, tokens
from userpool.core.clients import check_client_secret, check_flow, check_secret_hash, get_client
from userpool.core.context import Ctx
from userpool.core.credentials import verify_password
from userpool.core.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from userpool.core.identity import find_user, save_user
from userpool.core.model import AuthSession, Client, User, UserStatus
from userpool.core.tokens import AuthResult, hash_token, new_opaque_token

PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
TIMESTAMP_SKEW = 15 * 60  # a client's clock may be off; the proof is single-use anyway
_WRONG = "Incorrect username or password."


@dataclass(frozen=True)
class Challenge:
    name: str
    parameters: dict[str, str] = field(default_factory=dict)
    session: str | None = None


SignInStep = AuthResult | Challenge


def _param(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidParameterException(f"Missing required parameter {name}")
    return value


def check_can_sign_in(user: User) -> None:
    """The password (or its SRP proof) was right: now the account's state decides."""
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    if user.status == UserStatus.UNCONFIRMED:
        raise UserNotConfirmedException("User is not confirmed.")
    if user.status == UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredException("Password reset required for the user")
    if user.status != UserStatus.CONFIRMED:
        raise NotAuthorizedException(f"User cannot sign in with a password while in status {user.status.value}")


def _first_factor_done(ctx: Ctx, client: Client, user: User) -> SignInStep:
    check_can_sign_in(user)
    return tokens.start_session(ctx, client, user)  # MFA challenges join here


def initiate_auth(ctx: Ctx, *, client_id: str, flow: str, params: dict[str, str]) -> SignInStep:
    client = get_client(ctx, client_id)
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        check_flow(client, "REFRESH_TOKEN_AUTH")
        return _refresh(ctx, client, _param(params, "REFRESH_TOKEN"), params.get("SECRET_HASH"))
    if flow == "USER_PASSWORD_AUTH":
        check_flow(client, flow)
        return _password(ctx, client, _param(params, "USERNAME"), _param(params, "PASSWORD"), params)
    if flow == "USER_SRP_AUTH":
        check_flow(client, flow)
        return _start_srp(ctx, client, _param(params, "USERNAME"), _param(params, "SRP_A"), params)
    if flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        raise InvalidParameterException(f"{flow} is only for AdminInitiateAuth")
    raise InvalidParameterException(
        f"AuthFlow {flow} is not supported; use USER_SRP_AUTH, USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH"
    )


def respond_to_auth_challenge(
    ctx: Ctx, *, client_id: str, challenge: str, responses: dict[str, str], session: str | None
) -> SignInStep:
    client = get_client(ctx, client_id)
    if challenge == PASSWORD_VERIFIER:
        return _verify_srp(ctx, client, responses, session)
    raise InvalidParameterException(f"ChallengeName {challenge} is not expected here; answer PASSWORD_VERIFIER")


def get_tokens_from_refresh_token(
    ctx: Ctx, *, client_id: str, refresh_token: str, client_secret: str | None
) -> AuthResult:
    client = get_client(ctx, client_id)
    check_client_secret(client, client_secret)
    check_flow(client, "REFRESH_TOKEN_AUTH")
    return tokens.refresh(ctx, client, refresh_token)


def _refresh(ctx: Ctx, client: Client, refresh_token: str, secret_hash: str | None) -> AuthResult:
    if client.secret is not None:
        found = tokens.family_of(ctx, refresh_token)
        user = ctx.tx.get_user(ctx.pool.pool_id, found[1].user_sub) if found else None
        if user is None:
            raise NotAuthorizedException("Invalid Refresh Token")
        check_secret_hash(client, user.username, secret_hash)
    return tokens.refresh(ctx, client, refresh_token)


def password_sign_in(ctx: Ctx, client: Client, username: str, password: str, secret_hash: str | None = None) -> User:
    """Check a user name and password the way every password sign-in does (the JSON API's
    USER_PASSWORD_AUTH and the hosted Authenticator): same work and same answer for an unknown user."""
    user = find_user(ctx, username)
    old_hash = user.password_hash if user else None
    ok = verify_password(ctx, user, password)
    if user is None and not client.prevent_user_existence_errors:
        raise UserNotFoundException("User does not exist.")
    if user is not None:
        check_secret_hash(client, username, secret_hash)
    if user is None or not ok:
        raise NotAuthorizedException(_WRONG)
    check_can_sign_in(user)
    if user.password_hash != old_hash:  # upgraded to the current argon2 parameters
        save_user(ctx, user)
    return user


def _password(ctx: Ctx, client: Client, username: str, password: str, params: dict[str, str]) -> SignInStep:
    user = password_sign_in(ctx, client, username, password, params.get("SECRET_HASH"))
    return _first_factor_done(ctx, client, user)


def _simulated_user(ctx: Ctx, username: str) -> tuple[str, str, int]:
    """A stable fake (user id, salt, verifier) per name, so probing never tells a real user from a missing one."""
    key = username if ctx.pool.case_sensitive else username.lower()
    digest = ctx.keyed.digest("simulated-srp", key)
    salt = srp.canonical_salt(bytes.fromhex(digest[:32]) or b"\x01")
    verifier = int(ctx.keyed.digest("simulated-srp-verifier", key), 16) % srp.N
    if ctx.pool.username_attributes:
        h = digest[32:64]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}", salt, verifier
    return username, salt, verifier


def _start_srp(ctx: Ctx, client: Client, username: str, srp_a: str, params: dict[str, str]) -> Challenge:
    try:
        a_pub = srp.parse_client_public(srp_a)
    except srp.SrpError as exc:
        raise InvalidParameterException(str(exc)) from None
    user = find_user(ctx, username)
    if user is None and not client.prevent_user_existence_errors:
        raise UserNotFoundException("User does not exist.")
    if user is not None:
        check_secret_hash(client, username, params.get("SECRET_HASH"))
    if user is not None and user.srp_verifier and user.srp_salt:
        user_id, salt, verifier = user.username, user.srp_salt, int(user.srp_verifier, 16)
    else:
        user_id, salt, verifier = _simulated_user(ctx, username)
    b = int.from_bytes(ctx.random.token_bytes(32), "big")
    b_pub = srp.server_public(verifier, b)
    secret_block = base64.standard_b64encode(ctx.random.token_bytes(64)).decode()
    session = new_opaque_token(ctx)
    now = ctx.now()
    ctx.tx.put_auth_session(
        AuthSession(
            id=ctx.random.uuid4(),
            pool_id=ctx.pool.pool_id,
            client_id=client.id,
            user_sub=user.sub if user is not None and user.srp_verifier else None,
            username=username,
            challenge=PASSWORD_VERIFIER,
            session_hash=hash_token(session),
            created_at=now,
            expires_at=now + client.auth_session_validity,
            secret_block_hash=hash_token(secret_block),
            state={
                "user_id": user_id,
                "a": format(a_pub, "x"),
                "b": format(b, "x"),
                "B": format(b_pub, "x"),
                "v": format(verifier, "x"),
            },
        )
    )
    return Challenge(
        PASSWORD_VERIFIER,
        {
            "SALT": salt,
            "SRP_B": format(b_pub, "x"),
            "SECRET_BLOCK": secret_block,
            "USER_ID_FOR_SRP": user_id,
            "USERNAME": user_id,
        },
        session,
    )


def _load_pending(ctx: Ctx, client: Client, secret_block: str, session: str | None) -> AuthSession:
    expired = NotAuthorizedException("Invalid session for the user, session is expired.")
    pending = (
        ctx.tx.get_auth_session(session_hash=hash_token(session))
        if session
        else ctx.tx.get_auth_session(secret_block_hash=hash_token(secret_block))
    )
    if pending is None or pending.challenge != PASSWORD_VERIFIER or pending.client_id != client.id:
        raise expired
    # One answer per challenge: the row goes now, and stays gone even if this answer is refused.
    ctx.tx.delete_auth_session(pending.id)
    if pending.expires_at <= ctx.now():
        raise NotAuthorizedException(expired.message, keep_writes=True)
    if not hmac.compare_digest(pending.secret_block_hash or "", hash_token(secret_block)):
        raise NotAuthorizedException(_WRONG, keep_writes=True)
    return pending


def _verify_srp(ctx: Ctx, client: Client, responses: dict[str, str], session: str | None) -> SignInStep:
    secret_block = _param(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
    signature = _param(responses, "PASSWORD_CLAIM_SIGNATURE")
    timestamp = _param(responses, "TIMESTAMP")
    username = _param(responses, "USERNAME")
    if not srp.timestamp_well_formed(timestamp):
        raise InvalidParameterException("TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.")
    pending = _load_pending(ctx, client, secret_block, session)
    wrong = NotAuthorizedException(_WRONG, keep_writes=True)
    state = pending.state
    user_id = state["user_id"]
    when = srp.parse_timestamp(timestamp)  # None for a date that does not exist or a wrong weekday
    if username.lower() != user_id.lower() or when is None or abs(when - ctx.now()) > TIMESTAMP_SKEW:
        raise wrong
    try:
        block = base64.standard_b64decode(secret_block)
        key = srp.session_key(int(state["a"], 16), int(state["B"], 16), int(state["b"], 16), int(state["v"], 16))
    except (binascii.Error, srp.SrpError):
        raise wrong from None
    expected = srp.claim_signature(key, ctx.pool.pool_name, user_id, block, timestamp)
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub) if pending.user_sub else None
    if not srp.signature_matches(expected, signature) or user is None:
        raise wrong
    check_secret_hash(client, user.username, responses.get("SECRET_HASH"))
    return _first_factor_done(ctx, client, user)
