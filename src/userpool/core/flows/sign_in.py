"""Signing in: a small state machine over Cognito's challenges, saved between requests.

    InitiateAuth(USER_PASSWORD_AUTH) ──password ok────────────────────────┐
    InitiateAuth(USER_SRP_AUTH) ──▶ [PASSWORD_VERIFIER] ──proof ok────────┤
                                                                          ▼
                                         first factor done: status checks, then the DEVICE_KEY sent
                                          │ a confirmed device of the user       │ none (or unconfirmed)
                                          ▼                                      ▼
                                   [DEVICE_SRP_AUTH] ──SRP_A──┐        tokens + NewDeviceMetadata
                                                              ▼                  (tracking on)
                                   [DEVICE_PASSWORD_VERIFIER] ──device proof ok──▶ tokens with device_key

    InitiateAuth(REFRESH_TOKEN_AUTH), GetTokensFromRefreshToken ──▶ tokens

Every [state] is an `AuthSession` row that expires (3 minutes by default) and takes one answer; a wrong
proof or an expired row ends the sign-in (✗). The client gets an opaque `Session`, and a second handle for
pycognito, which answers without the Session: the SECRET_BLOCK of the two verifier states, the device key
for DEVICE_SRP_AUTH. Both handles are stored only hashed. Every refusal of credentials is the same
NotAuthorizedException, after the same work, whether or not the user exists. One exception to "one
answer": a right proof naming a device that does not exist is refused with "Device does not exist." and
leaves the challenge in place, because Amplify and amazon-cognito-identity-js then forget their device and
answer the same challenge again (remembered devices: `devices.py`).
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
from userpool.core.flows import devices
from userpool.core.flows.devices import DEVICE_PASSWORD_VERIFIER, DEVICE_SRP_AUTH
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


def _first_factor_done(ctx: Ctx, client: Client, user: User, device_key: str | None = None) -> SignInStep:
    check_can_sign_in(user)
    # MFA challenges join here
    device = devices.for_sign_in(ctx, user, device_key)
    if device is None:
        return devices.start_session(ctx, client, user)
    handle = devices.srp_handle(ctx, device.key)
    older = ctx.tx.get_auth_session(secret_block_hash=hash_token(handle))
    if older is not None:  # the device's newer sign-in replaces one it left unfinished
        ctx.tx.delete_auth_session(older.id)
    state = {"device_key": device.key}
    return _save_challenge(ctx, client, DEVICE_SRP_AUTH, user, user.username, {}, state, handle)


def _save_challenge(
    ctx: Ctx,
    client: Client,
    name: str,
    user: User | None,
    username: str,
    params: dict[str, str],
    state: dict[str, str],
    handle: str,
) -> Challenge:
    """Park the sign-in on challenge `name` until its one answer, found by its Session or by `handle`."""
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
            secret_block_hash=hash_token(handle),
            state=state,
        )
    )
    return Challenge(name, params, session)


def initiate_auth(ctx: Ctx, *, client_id: str, flow: str, params: dict[str, str]) -> SignInStep:
    client = get_client(ctx, client_id)
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        check_flow(client, "REFRESH_TOKEN_AUTH")
        return _refresh(
            ctx, client, _param(params, "REFRESH_TOKEN"), params.get("SECRET_HASH"), params.get("DEVICE_KEY")
        )
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
    if challenge == DEVICE_SRP_AUTH:
        return _device_srp(ctx, client, responses, session)
    if challenge == DEVICE_PASSWORD_VERIFIER:
        return _verify_device(ctx, client, responses, session)
    raise InvalidParameterException(
        f"ChallengeName {challenge} is not expected here; answer PASSWORD_VERIFIER, DEVICE_SRP_AUTH or "
        "DEVICE_PASSWORD_VERIFIER"
    )


def get_tokens_from_refresh_token(
    ctx: Ctx, *, client_id: str, refresh_token: str, client_secret: str | None, device_key: str | None = None
) -> AuthResult:
    client = get_client(ctx, client_id)
    check_client_secret(client, client_secret)
    if not client.refresh_token_rotation:  # a rotating client refreshes only this way, so it needs no flow
        check_flow(client, "REFRESH_TOKEN_AUTH")
    return tokens.refresh(ctx, client, refresh_token, device_key=device_key)


def _refresh(
    ctx: Ctx, client: Client, refresh_token: str, secret_hash: str | None, device_key: str | None
) -> AuthResult:
    if client.secret is not None:
        found = tokens.family_of(ctx, refresh_token)
        user = ctx.tx.get_user(ctx.pool.pool_id, found[1].user_sub) if found else None
        if user is None:
            raise NotAuthorizedException("Invalid Refresh Token")
        check_secret_hash(client, user.username, secret_hash)
    return tokens.refresh(ctx, client, refresh_token, device_key=device_key)


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
    return _first_factor_done(ctx, client, user, params.get("DEVICE_KEY"))


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


def _client_public(srp_a: str) -> int:
    try:
        return srp.parse_client_public(srp_a)
    except srp.SrpError as exc:
        raise InvalidParameterException(str(exc)) from None


def _start_srp(ctx: Ctx, client: Client, username: str, srp_a: str, params: dict[str, str]) -> Challenge:
    a_pub = _client_public(srp_a)
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
    state = {
        "user_id": user_id,
        "a": format(a_pub, "x"),
        "b": format(b, "x"),
        "B": format(b_pub, "x"),
        "v": format(verifier, "x"),
    }
    if params.get("DEVICE_KEY"):  # pycognito names its device here; Amplify only in the answer
        state["device_key"] = params["DEVICE_KEY"]
    parameters = {
        "SALT": salt,
        "SRP_B": format(b_pub, "x"),
        "SECRET_BLOCK": secret_block,
        "USER_ID_FOR_SRP": user_id,
        "USERNAME": user_id,
    }
    known = user if user is not None and user.srp_verifier else None
    return _save_challenge(ctx, client, PASSWORD_VERIFIER, known, username, parameters, state, secret_block)


def _load_pending(ctx: Ctx, client: Client, challenge: str, handle: str, session: str | None) -> AuthSession:
    """The sign-in waiting on `challenge`, by its Session or else its handle, spent by this very answer."""
    expired = NotAuthorizedException("Invalid session for the user, session is expired.")
    pending = (
        ctx.tx.get_auth_session(session_hash=hash_token(session))
        if session
        else ctx.tx.get_auth_session(secret_block_hash=hash_token(handle))
    )
    if pending is None or pending.challenge != challenge or pending.client_id != client.id:
        raise expired
    # One answer per challenge: the row goes now, and stays gone even if this answer is refused.
    ctx.tx.delete_auth_session(pending.id)
    if pending.expires_at <= ctx.now():
        raise NotAuthorizedException(expired.message, keep_writes=True)
    if not hmac.compare_digest(pending.secret_block_hash or "", hash_token(handle)):
        raise NotAuthorizedException(_WRONG, keep_writes=True)
    return pending


def _proof_answer(responses: dict[str, str]) -> str:
    """Check a verifier answer has its parts (Cognito's InvalidParameterException); returns its SECRET_BLOCK."""
    for name in ("PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP", "USERNAME"):
        _param(responses, name)
    secret_block = _param(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
    if not srp.timestamp_well_formed(responses["TIMESTAMP"]):
        raise InvalidParameterException("TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.")
    return secret_block


def _check_proof(ctx: Ctx, state: dict[str, str], responses: dict[str, str], pool_name: str, user_id: str) -> None:
    """PASSWORD_CLAIM_SIGNATURE against the challenge's SRP state, or the one refusal for any wrong answer."""
    wrong = NotAuthorizedException(_WRONG, keep_writes=True)
    timestamp = responses["TIMESTAMP"]
    when = srp.parse_timestamp(timestamp)  # None for a date that does not exist or a wrong weekday
    if when is None or abs(when - ctx.now()) > TIMESTAMP_SKEW:
        raise wrong
    try:
        block = base64.standard_b64decode(responses["PASSWORD_CLAIM_SECRET_BLOCK"])
        key = srp.session_key(int(state["a"], 16), int(state["B"], 16), int(state["b"], 16), int(state["v"], 16))
    except (binascii.Error, srp.SrpError):
        raise wrong from None
    expected = srp.claim_signature(key, pool_name, user_id, block, timestamp)
    if not srp.signature_matches(expected, responses["PASSWORD_CLAIM_SIGNATURE"]):
        raise wrong


def _verify_srp(ctx: Ctx, client: Client, responses: dict[str, str], session: str | None) -> SignInStep:
    secret_block = _proof_answer(responses)
    pending = _load_pending(ctx, client, PASSWORD_VERIFIER, secret_block, session)
    user_id = pending.state["user_id"]
    if responses["USERNAME"].lower() != user_id.lower():
        raise NotAuthorizedException(_WRONG, keep_writes=True)
    _check_proof(ctx, pending.state, responses, ctx.pool.pool_name, user_id)
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub) if pending.user_sub else None
    if user is None:
        raise NotAuthorizedException(_WRONG, keep_writes=True)
    check_secret_hash(client, user.username, responses.get("SECRET_HASH"))
    # The answer's DEVICE_KEY wins, even empty: a client told "Device does not exist." answers again without
    # its device (amazon-cognito-identity-js with DEVICE_KEY: null) though InitiateAuth named it.
    device_key = responses["DEVICE_KEY"] if "DEVICE_KEY" in responses else pending.state.get("device_key")
    return _first_factor_done(ctx, client, user, device_key)


def _names(ctx: Ctx, username: str, user: User) -> bool:
    """A device answer's USERNAME: Amplify and amazon-cognito-identity-js send the user name, pycognito
    sends what the user typed (an email, an alias)."""
    if username.lower() == user.username.lower():
        return True
    found = find_user(ctx, username)
    return found is not None and found.sub == user.sub


def _device_srp(ctx: Ctx, client: Client, responses: dict[str, str], session: str | None) -> Challenge:
    device_key = _param(responses, "DEVICE_KEY")
    username = _param(responses, "USERNAME")
    a_pub = _client_public(_param(responses, "SRP_A"))
    pending = _load_pending(ctx, client, DEVICE_SRP_AUTH, devices.srp_handle(ctx, device_key), session)
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub or "")
    if user is None or not _names(ctx, username, user):
        raise NotAuthorizedException(_WRONG, keep_writes=True)
    device = devices.confirmed_device(ctx, user.sub, device_key, keep_writes=True)
    params, state = devices.verifier_challenge(ctx, device, a_pub)
    params["USERNAME"] = user.username  # pycognito computes SECRET_HASH with it, Amplify answers with it
    return _save_challenge(ctx, client, DEVICE_PASSWORD_VERIFIER, user, username, params, state, params["SECRET_BLOCK"])


def _verify_device(ctx: Ctx, client: Client, responses: dict[str, str], session: str | None) -> AuthResult:
    secret_block = _proof_answer(responses)
    device_key = _param(responses, "DEVICE_KEY")
    pending = _load_pending(ctx, client, DEVICE_PASSWORD_VERIFIER, secret_block, session)
    state = pending.state
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub or "")
    if user is None or device_key != state["device_key"] or not _names(ctx, responses["USERNAME"], user):
        raise NotAuthorizedException(_WRONG, keep_writes=True)
    _check_proof(ctx, state, responses, state["group_key"], device_key)  # the device's SRP: group and key
    device = devices.confirmed_device(ctx, user.sub, device_key, keep_writes=True)  # forgotten meanwhile?
    check_can_sign_in(user)
    check_secret_hash(client, user.username, responses.get("SECRET_HASH"))
    devices.authenticated(ctx, device)
    return tokens.start_session(ctx, client, user, device_key=device.key)
