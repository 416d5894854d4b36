"""Signing in: the first factor (a password, its SRP proof, or custom challenges), then the steps after it,
then tokens.

    InitiateAuth(USER_PASSWORD_AUTH) ─(migration)─ pre_authentication ─password ok──┐
    InitiateAuth(USER_SRP_AUTH) ─ pre_authentication ─▶ [PASSWORD_VERIFIER] ─proof ok┤
    InitiateAuth(CUSTOM_AUTH) ─ pre_authentication ─▶ custom_auth.py ─issueTokens────┤
                                                                                     ▼
                    challenges.begin: account checks, the device named, then in order
                    [NEW_PASSWORD_REQUIRED] ─▶ [MFA challenges] ─▶ [DEVICE_SRP_AUTH ─▶ DEVICE_PASSWORD_VERIFIER]
                    (each only when it applies; the diagram of every step: challenges.py)
                                                                                     ▼
                    post_authentication ─▶ tokens (+ NewDeviceMetadata, tracking on and no device proven)

    InitiateAuth(REFRESH_TOKEN_AUTH), GetTokensFromRefreshToken ──▶ tokens

Every [state] is an `AuthSession` row that expires (3 minutes by default) and takes one answer (the code
challenges take a few, see mfa.py); a wrong proof or an expired row ends the sign-in (✗). The client gets
an opaque `Session`, and a second handle for pycognito, which answers without the Session: the
SECRET_BLOCK of the two verifier states, the device key for DEVICE_SRP_AUTH. Both handles are stored only
hashed. Every refusal of credentials is the same NotAuthorizedException, after the same work, whether or
not the user exists. The pre authentication trigger runs once per sign-in, at InitiateAuth, before the
password or proof is checked (Cognito hands it InitiateAuth's ClientMetadata as `validationData`); for a
name no user has it runs only when the client hides which users exist (`userNotFound: true`), as in
Cognito. A password sign-in for an unknown name first asks the user migration trigger (`migration.py`).

One exception to "one answer": a right proof naming a device that does not exist is refused with "Device
does not exist." and leaves the challenge in place, because Amplify and amazon-cognito-identity-js then
forget their device and answer the same challenge again (`devices.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from userpool.core import lockout, sign_in_events, tokens, triggers
from userpool.core.clients import check_client_secret, check_flow, check_secret_hash, get_client
from userpool.core.context import Ctx
from userpool.core.credentials import credentials_snapshot, verify_password
from userpool.core.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UserNotFoundException,
)
from userpool.core.flows import challenges, custom_auth, migration
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
from userpool.core.flows._srp_proof import (
    PASSWORD_VERIFIER,
    check_proof,
    client_public,
    password_verifier,
    proof_answer,
)
from userpool.core.identity import find_user, save_user
from userpool.core.model import Client, User, UserStatus
from userpool.core.tokens import AuthResult

SignInStep = AuthResult | Challenge
Metadata = Mapping[str, str] | None


def _finish(ctx: Ctx, outcome: Challenge | challenges.Done, client_metadata: Metadata) -> SignInStep:
    return outcome if isinstance(outcome, Challenge) else challenges.issue_tokens(ctx, outcome, client_metadata)


def initiate_auth(
    ctx: Ctx, *, client_id: str, flow: str, params: dict[str, str], client_metadata: Metadata = None
) -> SignInStep:
    """InitiateAuth. `client_metadata` (ClientMetadata) goes to the triggers only."""
    client = get_client(ctx, client_id)
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        check_flow(client, "REFRESH_TOKEN_AUTH")
        return _refresh(ctx, client, require(params, "REFRESH_TOKEN"), params, client_metadata)
    if flow == "USER_PASSWORD_AUTH":
        check_flow(client, flow)
        username, password = require(params, "USERNAME"), require(params, "PASSWORD")
        user = password_sign_in(ctx, client, username, password, params.get("SECRET_HASH"), client_metadata)
        outcome = challenges.begin(ctx, client, user, device_key=params.get("DEVICE_KEY"))
        return _finish(ctx, outcome, client_metadata)
    if flow == "USER_SRP_AUTH":
        check_flow(client, flow)
        return _start_srp(ctx, client, require(params, "USERNAME"), require(params, "SRP_A"), params, client_metadata)
    if flow == "CUSTOM_AUTH":
        check_flow(client, flow)
        return _finish(ctx, custom_auth.initiate(ctx, client, params, client_metadata), client_metadata)
    if flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        raise InvalidParameterException(f"{flow} is only for AdminInitiateAuth")
    raise InvalidParameterException(
        f"AuthFlow {flow} is not supported; use USER_SRP_AUTH, USER_PASSWORD_AUTH, CUSTOM_AUTH or REFRESH_TOKEN_AUTH"
    )


def respond_to_auth_challenge(
    ctx: Ctx,
    *,
    client_id: str,
    challenge: str,
    responses: dict[str, str],
    session: str | None,
    client_metadata: Metadata = None,
) -> SignInStep:
    client = get_client(ctx, client_id)
    given = Answer(challenge, responses, session, API)
    if challenge == PASSWORD_VERIFIER:
        return _finish(ctx, _verify_srp(ctx, client, given, client_metadata), client_metadata)
    if challenge == custom_auth.CUSTOM_CHALLENGE:
        return _finish(ctx, custom_auth.answer(ctx, client, given, client_metadata), client_metadata)
    return _finish(ctx, challenges.answer(ctx, client, given), client_metadata)


def get_tokens_from_refresh_token(
    ctx: Ctx, *, client_id: str, refresh_token: str, client_secret: str | None, device_key: str | None = None
) -> AuthResult:
    client = get_client(ctx, client_id)
    check_client_secret(client, client_secret)
    if not client.refresh_token_rotation:  # a rotating client refreshes only this way, so it needs no flow
        check_flow(client, "REFRESH_TOKEN_AUTH")
    return tokens.refresh(ctx, client, refresh_token, device_key=device_key)


def _refresh(
    ctx: Ctx, client: Client, refresh_token: str, params: dict[str, str], client_metadata: Metadata
) -> AuthResult:
    secret_hash, device_key = params.get("SECRET_HASH"), params.get("DEVICE_KEY")
    if client.secret is not None:
        found = tokens.family_of(ctx, refresh_token)
        user = ctx.tx.get_user(ctx.pool.pool_id, found[1].user_sub) if found else None
        if user is None:
            raise NotAuthorizedException("Invalid Refresh Token")
        check_secret_hash(client, user.username, secret_hash)
    return tokens.refresh(ctx, client, refresh_token, device_key=device_key, client_metadata=client_metadata)


def password_sign_in(
    ctx: Ctx,
    client: Client,
    username: str,
    password: str,
    secret_hash: str | None = None,
    client_metadata: Metadata = None,
) -> User:
    """Check a user name and password the way every password sign-in does (the JSON API's
    USER_PASSWORD_AUTH and the hosted Authenticator): same work and same answer for an unknown user.
    An unknown name may be migrated first; the pre authentication trigger runs before the password is
    checked. The user returned has passed the first factor only: the steps after it (`challenges`) come next."""
    # The secret hash is over the name as given, so it is checked before the name is looked up: a wrong
    # hash gets the same answer whether or not the user exists (and no password reaches a trigger).
    check_secret_hash(client, username, secret_hash)
    user = find_user(ctx, username)
    if user is not None or client.prevent_user_existence_errors:
        lockout.check(ctx, lockout.SIGN_IN, lockout.subject(ctx, user, username))  # before any work
    migrated = False
    if user is None and triggers.configured(ctx, "user_migration"):
        user = migration.migrate(
            ctx,
            client,
            source="UserMigration_Authentication",
            login=username,
            password=password,
            client_metadata=client_metadata,
        )
        migrated = user is not None
    if user is None and not client.prevent_user_existence_errors:
        verify_password(ctx, None, password)  # the same work as a wrong password
        raise UserNotFoundException("User does not exist.")
    triggers.pre_authentication(ctx, client_id=client.id, username=username, user=user, validation_data=client_metadata)
    if user is not None and user.password_hash is None and user.status == UserStatus.RESET_REQUIRED:
        ctx.hasher.burn(password)  # imported without a password (Cognito's CSV import): as Cognito answers
        raise PasswordResetRequiredException("Password reset required for the user")
    before = credentials_snapshot(user)
    ok = migrated or verify_password(ctx, user, password)  # a migrated user's password was the trigger's to check
    if user is None or not ok:  # kept: the failure counted for lockout, and noted in the user's sign-in events
        lockout.failed(ctx, lockout.SIGN_IN, lockout.subject(ctx, user, username))
        if user is not None:
            sign_in_events.record(ctx, user.sub, success=False, client_id=client.id, detail="wrong password")
        raise NotAuthorizedException(WRONG, keep_writes=True)
    if migrated and user.status == UserStatus.RESET_REQUIRED:  # the new user stays; they reset their password
        raise PasswordResetRequiredException("Password reset required for the user", keep_writes=True)
    check_first_factor(ctx, user)
    if credentials_snapshot(user) != before and not migrated:  # upgraded to argon2id (+ SRP verifier)
        save_user(ctx, user)
    return user


def _start_srp(
    ctx: Ctx, client: Client, username: str, srp_a: str, params: dict[str, str], client_metadata: Metadata
) -> Challenge:
    a_pub = client_public(srp_a)
    check_secret_hash(client, username, params.get("SECRET_HASH"))  # before the lookup: see password_sign_in
    user = find_user(ctx, username)
    if user is None and not client.prevent_user_existence_errors:
        raise UserNotFoundException("User does not exist.")
    lockout.check(ctx, lockout.SIGN_IN, lockout.subject(ctx, user, username))
    triggers.pre_authentication(ctx, client_id=client.id, username=username, user=user, validation_data=client_metadata)
    if user is not None and user.password_hash is None and user.status == UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredException("Password reset required for the user")  # imported without one
    parameters, state, secret_block, known = password_verifier(ctx, user, username, a_pub)
    if params.get("DEVICE_KEY"):  # pycognito names its device here; Amplify only in the answer
        state["device_key"] = params["DEVICE_KEY"]
    return park(ctx, client, PASSWORD_VERIFIER, known, username, parameters, state, secret_block)


def _verify_srp(ctx: Ctx, client: Client, given: Answer, client_metadata: Metadata) -> Challenge | challenges.Done:
    responses = given.responses
    secret_block = proof_answer(responses)
    pending = load_pending(ctx, client, given, secret_block)
    user_id = pending.state["user_id"]
    who = pending.user_sub or lockout.subject(ctx, None, pending.username)
    lockout.check(ctx, lockout.SIGN_IN, who)
    try:
        if responses["USERNAME"].lower() != user_id.lower():
            raise NotAuthorizedException(WRONG, keep_writes=True)
        check_proof(ctx, pending.state, responses, ctx.pool.pool_name, user_id)
    except NotAuthorizedException:
        lockout.failed(ctx, lockout.SIGN_IN, who)
        if pending.user_sub and ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub) is not None:
            sign_in_events.record(ctx, pending.user_sub, success=False, client_id=client.id, detail="wrong password")
        raise
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub) if pending.user_sub else None
    if user is None:
        raise NotAuthorizedException(WRONG, keep_writes=True)
    check_secret_hash(client, user.username, responses.get("SECRET_HASH"))
    # The answer's DEVICE_KEY wins, even empty: a client told "Device does not exist." answers again without
    # its device (amazon-cognito-identity-js with DEVICE_KEY: null) though InitiateAuth named it.
    device_key = responses["DEVICE_KEY"] if "DEVICE_KEY" in responses else pending.state.get("device_key")
    if custom_auth.started_it(pending):  # CUSTOM_WITH_SRP: the password was one of its challenges
        return custom_auth.password_verified(ctx, client, user, pending, device_key, client_metadata)
    return challenges.begin(ctx, client, user, device_key=device_key)
