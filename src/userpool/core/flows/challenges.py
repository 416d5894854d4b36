"""Everything a sign-in passes after its first factor: one ordered, closed list of steps.

    first factor (password, SRP proof) ─▶ account checks (a temporary password may go on, until it expires)
        │  the DEVICE_KEY named: unknown to this user ─▶ ResourceNotFoundException "Device does not exist."
        ▼
    new_password  FORCE_CHANGE_PASSWORD ─▶ [NEW_PASSWORD_REQUIRED] ─────────────────── new_password.py
        ▼
    mfa           pool and user say so, and no remembered device ─▶ [SMS_MFA | SOFTWARE_TOKEN_MFA |
                  EMAIL_OTP | SELECT_MFA_TYPE | MFA_SETUP] ───────────────────────── mfa.py
        ▼
    device        a confirmed device named ─▶ [DEVICE_SRP_AUTH] ─▶ [DEVICE_PASSWORD_VERIFIER] ── devices.py
        ▼
    done ─▶ post_authentication ─▶ JSON API: tokens (+ NewDeviceMetadata when no device was proven), their
            pre token generation source _AuthenticateDevice, _NewPasswordChallenge or _Authentication;
            hosted pages: a web session

Each step says whether it applies to this user and progress, parks its first challenge, and checks
answers; a step that does not apply is skipped. MFA comes before the device's proof, not after: both
amazon-cognito-identity-js (`sendMFACode`) and Amplify (`handleMFAChallenge`) expect DEVICE_SRP_AUTH after
an MFA answer, and amazon-cognito-identity-js reads tokens straight from DEVICE_PASSWORD_VERIFIER's answer.
A remembered device skips MFA (Cognito's "remembered devices suppress MFA"), but still has to prove itself
before any token. Every [state] is an `AuthSession` row carrying the `Progress` (`_challenge.py`).

The first factor is a password, an SRP proof, or a custom authentication (`custom_auth.py`), which skips
the MFA step when no password was verified in it (as Cognito: MFA needs the password verifier). A post
authentication trigger that refuses ends the sign-in before any token or web session exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from userpool.core import lockout, sign_in_events, tokens, triggers
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException
from userpool.core.flows import devices, mfa, new_password
from userpool.core.flows._challenge import API, Answer, Challenge, Progress, Step, check_can_sign_in, check_first_factor
from userpool.core.model import Client, User
from userpool.core.tokens import AuthResult

STEPS: tuple[Step, ...] = (new_password.STEP, mfa.STEP, devices.STEP)
_BY_CHALLENGE: dict[str, Step] = {name: step for step in STEPS for name in step.challenges}
CHALLENGES = frozenset(_BY_CHALLENGE)
_STEP_NAMES = frozenset(step.name for step in STEPS)


@dataclass(frozen=True)
class Done:
    """Every step passed: the caller ends the sign-in its own way (tokens, or a web session)."""

    client: Client
    user: User
    progress: Progress


def begin(
    ctx: Ctx,
    client: Client,
    user: User,
    *,
    device_key: str | None = None,
    channel: str = API,
    skip: tuple[str, ...] = (),
) -> Challenge | Done:
    """The first factor was right: check the account, resolve the device, and run the steps (but the ones
    named in `skip`: MFA after a custom authentication that verified no password)."""
    check_first_factor(ctx, user)
    device = devices.for_sign_in(ctx, user, device_key) if channel == API else None
    progress = Progress(
        auth_time=int(ctx.now()),
        channel=channel,
        passed=tuple(name for name in skip if name in _STEP_NAMES),
        device_key=device.key if device is not None else "",
        remembered=device is not None and device.remembered,
    )
    return advance(ctx, client, user, progress)


def advance(ctx: Ctx, client: Client, user: User, progress: Progress) -> Challenge | Done:
    for step in STEPS:
        if step.name not in progress.passed and step.applies(ctx, user, progress):
            return step.start(ctx, client, user, progress)
    check_can_sign_in(user)
    return Done(client, user, progress)


def answer(ctx: Ctx, client: Client, given: Answer) -> Challenge | Done:
    step = _BY_CHALLENGE.get(given.challenge)
    if step is None:
        raise InvalidParameterException(
            f"ChallengeName {given.challenge} is not expected here; answer one of "
            + ", ".join(sorted(["PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", *CHALLENGES]))
        )
    outcome = step.answer(ctx, client, given)
    if isinstance(outcome, Challenge):
        return outcome
    return advance(ctx, client, outcome.user, outcome.progress.passing(step.name))


def post_authentication(ctx: Ctx, done: Done, client_metadata: Mapping[str, str] | None = None) -> None:
    """Every step passed: the post authentication trigger, before tokens or a web session (raising refuses
    the sign-in). `newDeviceUsed`: tracking is on and no remembered device proved itself."""
    progress = done.progress
    lockout.succeeded(ctx, lockout.SIGN_IN, done.user.sub)  # a whole sign-in: the failures before it are forgotten
    new_device = ctx.pool.device_tracking and progress.channel == API and devices.STEP.name not in progress.passed
    triggers.post_authentication(
        ctx, client_id=done.client.id, user=done.user, new_device_used=new_device, client_metadata=client_metadata
    )


def issue_tokens(ctx: Ctx, done: Done, client_metadata: Mapping[str, str] | None = None) -> AuthResult:
    """The JSON API's end of a sign-in: a token family bound to the device that proved itself, or else a
    new device for the client to confirm (NewDeviceMetadata, when tracking is on)."""
    post_authentication(ctx, done, client_metadata)
    sign_in_events.record(ctx, done.user.sub, success=True, client_id=done.client.id, detail="tokens")
    auth_time = done.progress.auth_time or int(ctx.now())
    passed = done.progress.passed
    if devices.STEP.name in passed:
        return tokens.start_session(
            ctx,
            done.client,
            done.user,
            device_key=done.progress.device_key,
            auth_time=auth_time,
            trigger_source="TokenGeneration_AuthenticateDevice",
            client_metadata=client_metadata,
        )
    source: triggers.TokenSource = (
        "TokenGeneration_NewPasswordChallenge" if new_password.STEP.name in passed else "TokenGeneration_Authentication"
    )
    return devices.start_session(
        ctx, done.client, done.user, auth_time=auth_time, trigger_source=source, client_metadata=client_metadata
    )
