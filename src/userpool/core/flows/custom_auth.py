"""Custom authentication (InitiateAuth CUSTOM_AUTH): a first factor the pool's define, create and verify
auth challenge triggers decide, challenge by challenge, as in Cognito's custom authentication flow.

    InitiateAuth(CUSTOM_AUTH, {USERNAME})                            CUSTOM_WITHOUT_SRP: session = []
    InitiateAuth(CUSTOM_AUTH, {USERNAME, SRP_A, CHALLENGE_NAME: "SRP_A"})  CUSTOM_WITH_SRP: session = [SRP_A ✓]
        │  (the client allows ALLOW_CUSTOM_AUTH; the three triggers are configured; pre_authentication)
        ▼
    define_auth_challenge(session) ──failAuthentication──▶ ✗ NotAuthorizedException "Incorrect username or password."
        │ ├─issueTokens──▶ challenges.begin: NEW_PASSWORD_REQUIRED, MFA (only if the session holds a verified
        │ │                PASSWORD_VERIFIER: Cognito asks MFA only after a password), the device ─▶ tokens
        │ ├─PASSWORD_VERIFIER (right after SRP_A) ─▶ [PASSWORD_VERIFIER] ─proof ok─▶ + {PASSWORD_VERIFIER ✓} ─▶ define
        │ └─CUSTOM_CHALLENGE ─▶ create_auth_challenge(session) ─▶ [CUSTOM_CHALLENGE]: its public parameters (and
        │                       USERNAME) to the client, the private ones sealed in the parked state
        │                           │ RespondToAuthChallenge(CUSTOM_CHALLENGE, {USERNAME, ANSWER})
        │                           ▼
        └─── + {CUSTOM_CHALLENGE, answerCorrect, challengeMetadata} ◀── verify_auth_challenge_response

Each [state] is a parked `AuthSession` that expires like every other (the client's AuthSessionValidity) and
takes one answer; a wrong answer is not a refusal here: define decides (another challenge, or failure). The
session holds at most MAX_SESSION results (Cognito documents no limit; a define that never decides would
loop forever): asking for one more ends the sign-in. A wrong SRP proof is refused at once, as in
USER_SRP_AUTH. For a name no user has, the triggers run with `userNotFound: true` when the client hides
which users exist (else UserNotFoundException at once), and issueTokens is refused like a wrong answer.

Not as in Cognito: Cognito asks MFA straight after PASSWORD_VERIFIER, before define's next call; here the
steps after the first factor (NEW_PASSWORD_REQUIRED, MFA, the device) come once define issues tokens —
the same factors, and amazon-cognito-identity-js, which expects tokens after an MFA answer, works.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from userpool.core import triggers
from userpool.core.clients import check_secret_hash
from userpool.core.context import Ctx
from userpool.core.errors import (
    InvalidLambdaResponseException,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from userpool.core.flows import challenges, mfa
from userpool.core.flows._challenge import WRONG, Answer, Challenge, load_pending, names_user, park, require
from userpool.core.flows._srp_proof import PASSWORD_VERIFIER, client_public, password_verifier, simulated_user
from userpool.core.identity import find_user
from userpool.core.model import AuthSession, Client, User
from userpool.core.triggers import ChallengeResult

CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
SRP_A = "SRP_A"
TRIGGERS: tuple[triggers.TriggerName, ...] = (
    "define_auth_challenge",
    "create_auth_challenge",
    "verify_auth_challenge_response",
)
NOT_CONFIGURED = "Custom auth lambda trigger is not configured for the user pool."  # Cognito's words
MAX_SESSION = 10  # challenge results in one sign-in (SRP_A and PASSWORD_VERIFIER included)
TOO_MANY = "Too many challenges in one sign-in; sign in again."
_SESSION_KEY = "custom_session"  # in a parked state: the results so far (JSON); marks a custom sign-in
Metadata = Mapping[str, str] | None


def initiate(
    ctx: Ctx, client: Client, params: dict[str, str], client_metadata: Metadata
) -> Challenge | challenges.Done:
    """InitiateAuth(CUSTOM_AUTH): the first define_auth_challenge call, and what it asks for."""
    if not all(triggers.configured(ctx, name) for name in TRIGGERS):
        raise InvalidParameterException(NOT_CONFIGURED)
    login = require(params, "USERNAME")
    start = params.get("CHALLENGE_NAME") or CUSTOM_CHALLENGE
    if start not in (SRP_A, CUSTOM_CHALLENGE):
        raise InvalidParameterException("CHALLENGE_NAME must be SRP_A or CUSTOM_CHALLENGE")
    a_pub = client_public(require(params, "SRP_A")) if start == SRP_A else None
    check_secret_hash(client, login, params.get("SECRET_HASH"))  # before the lookup: the same answer for anyone
    user = find_user(ctx, login)
    if user is None and not client.prevent_user_existence_errors:
        raise UserNotFoundException("User does not exist.")
    triggers.pre_authentication(ctx, client_id=client.id, username=login, user=user, validation_data=client_metadata)
    session = [ChallengeResult(SRP_A, True)] if a_pub is not None else []
    device_key = params.get("DEVICE_KEY") or ""
    return _next(ctx, client, user, login, session, device_key, client_metadata, a_pub=a_pub)


def started_it(pending: AuthSession) -> bool:
    """Is this parked PASSWORD_VERIFIER part of a custom sign-in (CUSTOM_WITH_SRP)?"""
    return _SESSION_KEY in pending.state


def password_verified(
    ctx: Ctx, client: Client, user: User, pending: AuthSession, device_key: str | None, client_metadata: Metadata
) -> Challenge | challenges.Done:
    """CUSTOM_WITH_SRP: the proof was right (sign_in.py checked it); define hears it."""
    session = [*_load(pending.state), ChallengeResult(PASSWORD_VERIFIER, True)]
    return _next(ctx, client, user, pending.username, session, device_key or "", client_metadata)


def answer(ctx: Ctx, client: Client, given: Answer, client_metadata: Metadata) -> Challenge | challenges.Done:
    """RespondToAuthChallenge(CUSTOM_CHALLENGE): verify_auth_challenge_response on the answer, then define."""
    answer_text = require(given.responses, "ANSWER")
    username = require(given.responses, "USERNAME")
    pending = load_pending(ctx, client, given)  # spent now: one answer per challenge
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub) if pending.user_sub else None
    if user is not None:
        if not names_user(ctx, username, user):
            raise NotAuthorizedException(WRONG, keep_writes=True)
    elif username.lower() not in {pending.username.lower(), simulated_user(ctx, pending.username)[0].lower()}:
        raise NotAuthorizedException(WRONG, keep_writes=True)
    check_secret_hash(client, username, given.responses.get("SECRET_HASH"))
    state = pending.state
    correct = triggers.verify_auth_challenge_response(
        ctx,
        client_id=client.id,
        username=pending.username,
        user=user,
        private_challenge_parameters=json.loads(state.get("private") or "{}"),
        challenge_answer=answer_text,
        client_metadata=client_metadata,
    )
    session = [*_load(state), ChallengeResult(CUSTOM_CHALLENGE, correct, state.get("metadata") or None)]
    device_key = given.responses["DEVICE_KEY"] if "DEVICE_KEY" in given.responses else state.get("device_key", "")
    return _next(ctx, client, user, pending.username, session, device_key, client_metadata)


def _next(
    ctx: Ctx,
    client: Client,
    user: User | None,
    login: str,
    session: list[ChallengeResult],
    device_key: str,
    client_metadata: Metadata,
    *,
    a_pub: int | None = None,
) -> Challenge | challenges.Done:
    """Ask define what comes next, and do it. `a_pub`: the client's SRP A, at InitiateAuth with SRP only."""
    decision = triggers.define_auth_challenge(
        ctx, client_id=client.id, username=login, user=user, session=session, client_metadata=client_metadata
    )
    if decision.fail_authentication:
        raise NotAuthorizedException(WRONG, keep_writes=True)  # keeps only the spent challenge
    if decision.issue_tokens:
        if user is None:
            raise NotAuthorizedException(WRONG, keep_writes=True)
        password = any(r.challenge_name == PASSWORD_VERIFIER and r.challenge_result for r in session)
        skip = () if password else (mfa.STEP.name,)
        return challenges.begin(ctx, client, user, device_key=device_key or None, skip=skip)
    if len(session) >= MAX_SESSION:
        raise NotAuthorizedException(TOO_MANY, keep_writes=True)
    kept = {_SESSION_KEY: _dump(session), "device_key": device_key}
    if decision.challenge_name == PASSWORD_VERIFIER and a_pub is not None:
        parameters, state, secret_block, known = password_verifier(ctx, user, login, a_pub)
        return park(ctx, client, PASSWORD_VERIFIER, known, login, parameters, {**state, **kept}, secret_block)
    if decision.challenge_name != CUSTOM_CHALLENGE:
        allowed = "CUSTOM_CHALLENGE" + (" or PASSWORD_VERIFIER" if a_pub is not None else "")
        raise InvalidLambdaResponseException(
            f"Unrecognizable lambda output: DefineAuthChallenge response.challengeName is "
            f"{decision.challenge_name!r}; here it can be {allowed}, or issueTokens / failAuthentication"
        )
    created = triggers.create_auth_challenge(
        ctx,
        client_id=client.id,
        username=login,
        user=user,
        challenge_name=CUSTOM_CHALLENGE,
        session=session,
        client_metadata=client_metadata,
    )
    shown = user.username if user is not None else simulated_user(ctx, login)[0]
    parameters = {**created.public_challenge_parameters, "USERNAME": shown}
    state = {**kept, "private": json.dumps(created.private_challenge_parameters)}
    state["metadata"] = created.challenge_metadata or ""
    return park(ctx, client, CUSTOM_CHALLENGE, user, login, parameters, state)


def _dump(session: list[ChallengeResult]) -> str:
    return json.dumps([r.wire() for r in session])


def _load(state: Mapping[str, str]) -> list[ChallengeResult]:
    return [
        ChallengeResult(r["challengeName"], bool(r["challengeResult"]), r.get("challengeMetadata"))
        for r in json.loads(state.get(_SESSION_KEY) or "[]")
    ]
