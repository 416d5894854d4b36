"""An authenticator app (TOTP, Cognito's "software token"): AssociateSoftwareToken, VerifySoftwareToken,
and checking a code at sign-in.

Two ways to set one up, as in Cognito:

    signed in (AccessToken):  Associate ─▶ pending secret ─Verify(code)─▶ TOTP on (preferred if alone)
    during sign-in (Session): [MFA_SETUP] ─Associate─▶ [MFA_SETUP + secret] ─Verify(code)─▶
                              [MFA_SETUP, verified] ─RespondToAuthChallenge(MFA_SETUP)─▶ the remaining steps

Each call with a Session answers with a new Session (the old one stops working), as Cognito's do. The
secret is 160 random bits, shown once as base32 (`SecretCode`); at rest it is sealed. A sign-in code is
refused if its time step was already used ("Your software token has already been used once."), so a
code seen over someone's shoulder cannot be replayed within its 90-second window.
"""

from __future__ import annotations

from userpool.core import tokens, totp
from userpool.core.context import Ctx
from userpool.core.errors import (
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedException,
    SoftwareTokenMFANotFoundException,
)
from userpool.core.flows import mfa_settings
from userpool.core.flows._challenge import API, EXPIRED, count_wrong, park, step_state
from userpool.core.model import AuthSession, MfaSettings, User
from userpool.core.tokens import hash_token

MFA_SETUP = "MFA_SETUP"
MISMATCH = "Code mismatch and fail enable Software Token MFA"
REPLAYED = "Your software token has already been used once."
_NOT_OFFERED = "Software token MFA is not enabled for this user pool"


def new_secret(ctx: Ctx) -> str:
    return totp.encode_secret(ctx.random.token_bytes(totp.SECRET_BYTES))


def _offered(ctx: Ctx) -> None:
    if ctx.pool.mfa_mode == "OFF" or "TOTP" not in ctx.pool.mfa_factors:
        raise SoftwareTokenMFANotFoundException(_NOT_OFFERED)


def _step(ctx: Ctx, secret: str, code: str) -> int | None:
    return totp.matching_step(totp.decode_secret(secret), code, ctx.now())


def _enable(ctx: Ctx, user: User, settings: MfaSettings, secret: str, step: int, name: str | None) -> None:
    """The verified secret becomes the user's; TOTP is on, and preferred when no other factor is."""
    alone = not [f for f in settings.enabled() if f != "TOTP"]
    settings.totp_secret, settings.totp_pending = secret, None
    settings.totp_name = (name or "")[:128]
    mfa_settings.turn_on(ctx, user, settings, "TOTP", preferred=True if alone else None)
    mfa_settings.save(ctx, settings)
    ctx.tx.spend_totp_step(ctx.pool.pool_id, user.sub, step)  # the setup code does not also sign in


def check_sign_in_code(ctx: Ctx, user: User, settings: MfaSettings, code: str) -> None:
    """A SOFTWARE_TOKEN_MFA answer: right for now ±30 s, and for a time step not used before."""
    key = totp.decode_secret(settings.totp_secret or "")
    steps = totp.matching_steps(key, code, ctx.now())
    if not steps:
        raise CodeMismatchException("Invalid code received for user")
    # The newest matching step: if it is not later than the last one spent, no older one is either.
    if not ctx.tx.spend_totp_step(ctx.pool.pool_id, user.sub, steps[-1]):
        raise ExpiredCodeException(REPLAYED)


# -- during sign-in: the MFA_SETUP challenge's Session -----------------------------------------------------


def _setup_pending(ctx: Ctx, session: str, channel: str) -> AuthSession:
    pending = ctx.tx.get_auth_session(session_hash=hash_token(session))
    if pending is None or pending.challenge != MFA_SETUP or pending.state.get("channel", API) != channel:
        raise NotAuthorizedException(EXPIRED)
    if pending.expires_at <= ctx.now():
        ctx.tx.delete_auth_session(pending.id)
        raise NotAuthorizedException(EXPIRED, keep_writes=True)
    if "TOTP" not in pending.state.get("can_setup", "").split(","):
        raise SoftwareTokenMFANotFoundException(_NOT_OFFERED)
    return pending


def _repark(ctx: Ctx, pending: AuthSession, state: dict[str, str]) -> str:
    """The same MFA_SETUP challenge under a new Session; the old one stops working."""
    client = ctx.tx.get_client(pending.client_id)
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub or "")
    if client is None or user is None:
        raise NotAuthorizedException(EXPIRED)
    ctx.tx.delete_auth_session(pending.id)
    challenge = park(ctx, client, MFA_SETUP, user, pending.username, {}, state)
    assert challenge.session is not None
    return challenge.session


def associate_in_sign_in(ctx: Ctx, *, session: str, channel: str = API) -> tuple[str, str]:
    """(SecretCode, new Session) for the sign-in waiting on MFA_SETUP."""
    pending = _setup_pending(ctx, session, channel)
    secret = new_secret(ctx)
    state = {**pending.state, "totp_secret": secret, "attempts": "0"}
    state.pop("totp_verified", None)
    return secret, _repark(ctx, pending, state)


def verify_in_sign_in(ctx: Ctx, *, session: str, code: str, name: str | None, channel: str = API) -> str:
    """Check the app's first code; on success TOTP is the user's factor and the new Session answers MFA_SETUP."""
    pending = _setup_pending(ctx, session, channel)
    secret = pending.state.get("totp_secret")
    if not secret:
        raise InvalidParameterException("Call AssociateSoftwareToken with this Session first")
    step = _step(ctx, secret, code)
    if step is None:
        raise count_wrong(ctx, pending, EnableSoftwareTokenMFAException(MISMATCH, keep_writes=True))
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub or "")
    if user is None:
        raise NotAuthorizedException(EXPIRED)
    _enable(ctx, user, mfa_settings.load(ctx, user), secret, step, name)
    kept = {k: v for k, v in pending.state.items() if k not in ("totp_secret", "attempts")}
    return _repark(ctx, pending, {**kept, "totp_verified": "1"})


def setup_verified(pending: AuthSession) -> bool:
    return step_state(pending.state).get("totp_verified") == "1"


# -- signed in: the access token ---------------------------------------------------------------------------


def associate(ctx: Ctx, *, access_token: str) -> str:
    """A new secret for the signed-in user; it works only after VerifySoftwareToken (any earlier app keeps
    working until then)."""
    _offered(ctx)
    user = tokens.authenticate(ctx, access_token).user
    settings = mfa_settings.load(ctx, user)
    settings.totp_pending = new_secret(ctx)
    mfa_settings.save(ctx, settings)
    return settings.totp_pending


def verify(ctx: Ctx, *, access_token: str, code: str, name: str | None) -> None:
    _offered(ctx)
    user = tokens.authenticate(ctx, access_token).user
    settings = mfa_settings.load(ctx, user)
    if settings.totp_pending is None:
        raise SoftwareTokenMFANotFoundException("Call AssociateSoftwareToken first: there is no secret to verify")
    step = _step(ctx, settings.totp_pending, code)
    if step is None:
        raise EnableSoftwareTokenMFAException(MISMATCH)
    _enable(ctx, user, settings, settings.totp_pending, step, name)
