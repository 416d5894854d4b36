"""Signing in: the first factor (a password, or its SRP proof), then the steps after it, then tokens.

    InitiateAuth(USER_PASSWORD_AUTH) ──password ok──────────────┐
    InitiateAuth(USER_SRP_AUTH) ──▶ [PASSWORD_VERIFIER] ──proof ok┤
                                                                ▼
                    challenges.begin: account checks, the device named, then in order
                    [NEW_PASSWORD_REQUIRED] ─▶ [MFA challenges] ─▶ [DEVICE_SRP_AUTH ─▶ DEVICE_PASSWORD_VERIFIER]
                    (each only when it applies; the diagram of every step: challenges.py)
                                                                ▼
                    tokens (+ NewDeviceMetadata, tracking on and no device proven)

    InitiateAuth(REFRESH_TOKEN_AUTH), GetTokensFromRefreshToken ──▶ tokens

Every [state] is an `AuthSession` row that expires (3 minutes by default) and takes one answer (the code
challenges take a few, see mfa.py); a wrong proof or an expired row ends the sign-in (✗). The client gets
an opaque `Session`, and a second handle for pycognito, which answers without the Session: the
SECRET_BLOCK of the two verifier states, the device key for DEVICE_SRP_AUTH. Both handles are stored only
hashed. Every refusal of credentials is the same NotAuthorizedException, after the same work, whether or
not the user exists. One exception to "one answer": a right proof naming a device that does not exist is
refused with "Device does not exist." and leaves the challenge in place, because Amplify and
amazon-cognito-identity-js then forget their device and answer the same challenge again (`devices.py`).
"""

from __future__ import annotations

import base64

from userpool.core import srp, tokens
from userpool.core.clients import check_client_secret, check_flow, check_secret_hash, get_client
from userpool.core.context import Ctx
from userpool.core.credentials import verify_password
from userpool.core.errors import InvalidParameterException, NotAuthorizedException, UserNotFoundException
from userpool.core.flows import challenges
from userpool.core.flows._challenge import (
    API,
    WRONG,
    Answer,
    Challenge,
    check_first_factor,
    load_pending,
    park,
    require,
)
from userpool.core.flows._challenge import check_can_sign_in as check_can_sign_in  # noqa: PLC0414 - re-exported
from userpool.core.flows._srp_proof import check_proof, client_public, proof_answer
from userpool.core.identity import find_user, save_user
from userpool.core.model import Client, User
from userpool.core.tokens import AuthResult

PASSWORD_VERIFIER = "PASSWORD_VERIFIER"

SignInStep = AuthResult | Challenge


def _finish(ctx: Ctx, outcome: Challenge | challenges.Done) -> SignInStep:
    return outcome if isinstance(outcome, Challenge) else challenges.issue_tokens(ctx, outcome)


def initiate_auth(ctx: Ctx, *, client_id: str, flow: str, params: dict[str, str]) -> SignInStep:
    client = get_client(ctx, client_id)
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        check_flow(client, "REFRESH_TOKEN_AUTH")
        return _refresh(
            ctx, client, require(params, "REFRESH_TOKEN"), params.get("SECRET_HASH"), params.get("DEVICE_KEY")
        )
    if flow == "USER_PASSWORD_AUTH":
        check_flow(client, flow)
        return _password(ctx, client, require(params, "USERNAME"), require(params, "PASSWORD"), params)
    if flow == "USER_SRP_AUTH":
        check_flow(client, flow)
        return _start_srp(ctx, client, require(params, "USERNAME"), require(params, "SRP_A"), params)
    if flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        raise InvalidParameterException(f"{flow} is only for AdminInitiateAuth")
    raise InvalidParameterException(
        f"AuthFlow {flow} is not supported; use USER_SRP_AUTH, USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH"
    )


def respond_to_auth_challenge(
    ctx: Ctx, *, client_id: str, challenge: str, responses: dict[str, str], session: str | None
) -> SignInStep:
    client = get_client(ctx, client_id)
    given = Answer(challenge, responses, session, API)
    if challenge == PASSWORD_VERIFIER:
        return _verify_srp(ctx, client, given)
    return _finish(ctx, challenges.answer(ctx, client, given))


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
    USER_PASSWORD_AUTH and the hosted Authenticator): same work and same answer for an unknown user.
    The user returned has passed the first factor only: the steps after it (`challenges`) come next."""
    user = find_user(ctx, username)
    old_hash = user.password_hash if user else None
    ok = verify_password(ctx, user, password)
    if user is None and not client.prevent_user_existence_errors:
        raise UserNotFoundException("User does not exist.")
    if user is not None:
        check_secret_hash(client, username, secret_hash)
    if user is None or not ok:
        raise NotAuthorizedException(WRONG)
    check_first_factor(ctx, user)
    if user.password_hash != old_hash:  # upgraded to the current argon2 parameters
        save_user(ctx, user)
    return user


def _password(ctx: Ctx, client: Client, username: str, password: str, params: dict[str, str]) -> SignInStep:
    user = password_sign_in(ctx, client, username, password, params.get("SECRET_HASH"))
    return _finish(ctx, challenges.begin(ctx, client, user, device_key=params.get("DEVICE_KEY")))


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
    a_pub = client_public(srp_a)
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
    return park(ctx, client, PASSWORD_VERIFIER, known, username, parameters, state, secret_block)


def _verify_srp(ctx: Ctx, client: Client, given: Answer) -> SignInStep:
    responses = given.responses
    secret_block = proof_answer(responses)
    pending = load_pending(ctx, client, given, secret_block)
    user_id = pending.state["user_id"]
    if responses["USERNAME"].lower() != user_id.lower():
        raise NotAuthorizedException(WRONG, keep_writes=True)
    check_proof(ctx, pending.state, responses, ctx.pool.pool_name, user_id)
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub) if pending.user_sub else None
    if user is None:
        raise NotAuthorizedException(WRONG, keep_writes=True)
    check_secret_hash(client, user.username, responses.get("SECRET_HASH"))
    # The answer's DEVICE_KEY wins, even empty: a client told "Device does not exist." answers again without
    # its device (amazon-cognito-identity-js with DEVICE_KEY: null) though InitiateAuth named it.
    device_key = responses["DEVICE_KEY"] if "DEVICE_KEY" in responses else pending.state.get("device_key")
    return _finish(ctx, challenges.begin(ctx, client, user, device_key=device_key))
