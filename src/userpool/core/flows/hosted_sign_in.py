"""The hosted Authenticator's sign-in: the same state machine as the JSON API, ending in a web session.

    /login (password) ─▶ challenges.begin(channel "web") ─┬─ done ─▶ post_authentication ─▶ WebSession (cookie)
                                                           └─ a challenge ─▶ its page, the Session in a cookie:
        NEW_PASSWORD_REQUIRED ─▶ /forceNewPassword      SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA ─▶ /confirmSignIn
        SELECT_MFA_TYPE ─▶ /selectMfaType               MFA_SETUP (an authenticator app) ─▶ /setupTotp
    each page's answer ─▶ challenges.answer(channel "web") ─▶ the next page, or the web session

A web session therefore exists only after every step a JSON sign-in would ask for — MFA cannot be skipped
by signing in on the hosted page. Challenges parked here carry the "web" channel, so their Session cannot
be answered through RespondToAuthChallenge (and the JSON API's cannot finish here). The pages are a
first-party client: they fill in USERNAME (from the parked sign-in) and SECRET_HASH themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from userpool.core import totp
from userpool.core.attributes import mask
from userpool.core.clients import get_client
from userpool.core.context import Ctx
from userpool.core.errors import NotAuthorizedException
from userpool.core.flows import challenges, mfa_settings, recovery_codes, software_token
from userpool.core.flows._challenge import EXPIRED, WEB, Answer, Challenge, step_state
from userpool.core.flows.hosted import MAX_TOKEN, WebSignIn, secret_hash_for, signed_in_user, start_web_session
from userpool.core.flows.mfa_settings import ATTRIBUTE
from userpool.core.flows.new_password import PREFIX
from userpool.core.flows.sign_in import password_sign_in
from userpool.core.model import AuthSession, User
from userpool.core.tokens import hash_token


@dataclass(frozen=True)
class PendingPage:
    """A sign-in waiting on a page: its challenge, and the Session the browser keeps (in a cookie)."""

    challenge: str
    session: str


@dataclass(frozen=True)
class PageState:
    """What a challenge page shows, read from the parked sign-in (nothing is spent by reading it)."""

    challenge: str
    factor: str = ""  # SMS | EMAIL | TOTP for /confirmSignIn
    destination: str = ""  # masked, where an SMS or email code went
    choices: tuple[str, ...] = ()  # SELECT_MFA_TYPE
    can_setup: tuple[str, ...] = ()  # MFA_SETUP
    secret: str = ""  # MFA_SETUP after AssociateSoftwareToken: the authenticator app's secret
    account: str = ""  # the name the app lists the secret under
    required: tuple[str, ...] = field(default_factory=tuple)  # NEW_PASSWORD_REQUIRED: attributes to collect


SignedInOrPending = WebSignIn | PendingPage


def _outcome(ctx: Ctx, outcome: Challenge | challenges.Done, previous_token: str | None) -> SignedInOrPending:
    if isinstance(outcome, Challenge):
        assert outcome.session is not None
        return PendingPage(outcome.name, outcome.session)
    challenges.post_authentication(ctx, outcome)  # a refusal here leaves no web session
    return start_web_session(ctx, outcome.user, outcome.progress.auth_time or int(ctx.now()), previous_token)


def sign_in(
    ctx: Ctx, *, client_id: str, username: str, password: str, previous_token: str | None = None
) -> SignedInOrPending:
    """The password (the first factor), then every step after it."""
    client = get_client(ctx, client_id)
    user = password_sign_in(ctx, client, username, password, secret_hash_for(client, username))
    return _outcome(ctx, challenges.begin(ctx, client, user, channel=WEB), previous_token)


def _pending(ctx: Ctx, session: str | None) -> tuple[AuthSession, User]:
    if not session or len(session) > MAX_TOKEN:
        raise NotAuthorizedException(EXPIRED)
    pending = ctx.tx.get_auth_session(session_hash=hash_token(session))
    user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub or "") if pending is not None else None
    if pending is None or user is None or pending.state.get("channel") != WEB or pending.expires_at <= ctx.now():
        raise NotAuthorizedException(EXPIRED)
    return pending, user


def page_state(ctx: Ctx, *, session: str | None) -> PageState:
    """The challenge a browser's sign-in waits on (NotAuthorizedException when there is none any more)."""
    pending, user = _pending(ctx, session)
    state = step_state(pending.state)
    factor = state.get("factor", "")
    to = state.get("setup_email") or user.attributes.get(ATTRIBUTE.get(factor, ""), "")
    required = tuple(s.name for s in ctx.pool.attributes.values() if s.required and not user.attributes.get(s.name))
    return PageState(
        challenge=pending.challenge,
        factor=factor,
        destination=mask(to) if to else "",
        choices=tuple(c for c in state.get("choices", "").split(",") if c),
        can_setup=tuple(c for c in state.get("can_setup", "").split(",") if c),
        secret=state.get("totp_secret", ""),
        account=user.attributes.get("email") or user.attributes.get("phone_number") or user.username,
        required=required,
    )


def answer(
    ctx: Ctx,
    *,
    client_id: str,
    session: str | None,
    responses: dict[str, str],
    previous_token: str | None = None,
) -> SignedInOrPending:
    """Answer the challenge the browser's sign-in waits on (the page sends the challenge's own fields)."""
    pending, user = _pending(ctx, session)
    client = get_client(ctx, client_id)
    proof = secret_hash_for(client, user.username)
    full = {**responses, "USERNAME": user.username, **({"SECRET_HASH": proof} if proof else {})}
    given = Answer(pending.challenge, full, session, WEB)
    return _outcome(ctx, challenges.answer(ctx, client, given), previous_token)


def new_password_fields(required: tuple[str, ...], form: dict[str, str]) -> dict[str, str]:
    """The NEW_PASSWORD_REQUIRED answer's attributes, from a form with one field per required attribute."""
    return {PREFIX + name: form.get(name, "").strip()[:2048] for name in required if form.get(name, "").strip()}


def associate_totp(ctx: Ctx, *, session: str | None) -> str:
    """/setupTotp: a secret for the sign-in waiting on MFA_SETUP; returns the new Session."""
    _pending(ctx, session)
    _, new_session = software_token.associate_in_sign_in(ctx, session=session or "", channel=WEB)
    return new_session


def verify_totp(
    ctx: Ctx, *, client_id: str, session: str | None, code: str, previous_token: str | None = None
) -> SignedInOrPending:
    """/setupTotp's code: verify the app (VerifySoftwareToken), then answer MFA_SETUP."""
    _pending(ctx, session)
    verified = software_token.verify_in_sign_in(ctx, session=session or "", code=code, name="", channel=WEB)
    return answer(ctx, client_id=client_id, session=verified, responses={}, previous_token=previous_token)


def setup_uri(state: PageState, issuer: str) -> str:
    return totp.provisioning_uri(state.secret, state.account, issuer) if state.secret else ""


@dataclass(frozen=True)
class RecoveryView:
    """/recoveryCodes for a signed-in browser: how many are left, and new codes right after generating."""

    remaining: int
    has_mfa: bool
    codes: tuple[str, ...] = ()


def recovery_codes_page(ctx: Ctx, *, session_token: str | None, generate: bool = False) -> RecoveryView | None:
    """None when the browser is not signed in."""
    user = signed_in_user(ctx, session_token)
    if user is None:
        return None
    has_mfa = bool(mfa_settings.active(ctx, user, mfa_settings.load(ctx, user)))
    fresh = tuple(recovery_codes.generate_for(ctx, user)) if generate and has_mfa else ()
    return RecoveryView(remaining=recovery_codes.remaining(ctx, user), has_mfa=has_mfa, codes=fresh)
