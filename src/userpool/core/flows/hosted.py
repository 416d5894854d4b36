"""The hosted Authenticator's journeys and OAuth 2.0 / OpenID Connect, as plain flows (no web types, no I/O).

    browser ─/oauth2/authorize─▶ signed in? ──no──▶ /login ─every step─▶ WebSession ──┐
                                     │ yes                    (cookie: 1 h idle, 12 h)  │
                                     ▼                                                 │
                authorize() ─▶ AuthorizationCode (5 min, once, PKCE) ◀──authorize again─┘
                                     │
    app ─/oauth2/token, /oauth2/revoke, /oauth2/userInfo─▶ token_endpoint.py
    browser ─/logout─▶ logout()

Decisions (Cognito's where it has one):
- Scopes: no `scope` grants every scope the client allows; a scope the client does not allow, or `email`,
  `phone`, `profile` without `openid`, is `invalid_scope`. The access token's `scope` lists the grant; the
  token endpoint returns an ID token only when `openid` was granted; userInfo needs `openid` (`openid` alone
  releases every attribute, with `email`/`phone`/`profile` only those claims).
- PKCE (S256 only) is required for a client without a secret, optional for one with a secret.
- A code is spent by the first exchange attempt, even a refused one (wrong verifier, redirect URI, client).
- A web session lasts 1 hour unused and 12 hours at most; signing in again replaces it (new cookie).
- `prompt=none` without a session is `login_required`; `prompt=login` shows the form to a signed-in browser.
- "every step": the password, then whatever a JSON sign-in would ask next (a new password, MFA), each on
  its own page (hosted_sign_in.py); only then is there a web session.

The page journeys (sign-up, confirmation, password reset) are the JSON API's flows: the hosted UI is a
first-party client, so for an app client with a secret it computes the SECRET_HASH itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from userpool.core import sign_in_events
from userpool.core.attributes import STANDARD
from userpool.core.clients import get_client, secret_hash
from userpool.core.context import Ctx
from userpool.core.delivery import CodeDelivery
from userpool.core.errors import CognitoError, NotAuthorizedException
from userpool.core.flows import recovery
from userpool.core.flows import sign_up as sign_up_flow
from userpool.core.flows._challenge import check_session_user
from userpool.core.model import AuthorizationCode, Client, User, WebSession
from userpool.core.tokens import hash_token, new_opaque_token

CODE_TTL = 300  # an authorization code lives 5 minutes (RFC 6749 §4.1.2: "maximum ... of 10 minutes")
SESSION_IDLE = 3600  # a hosted web session ends after 1 hour unused ...
SESSION_MAX = 12 * 3600  # ... and 12 hours after sign-in whatever happens (NIST SP 800-63B AAL2)
MAX_PARAM = 2048  # longest state, nonce or URI we keep
MAX_TOKEN = 512  # longest code, cookie or refresh token worth hashing (ours are 43-64 characters)
OIDC_SCOPES = frozenset({"email", "phone", "profile"})  # Cognito: each needs `openid` with it
# OIDC Core §5.4's profile claims: every standard attribute but the email and phone ones (no `address` scope)
PROFILE_CLAIMS = frozenset(STANDARD) - {"sub", "email", "email_verified", "phone_number", "phone_number_verified"}
PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1/§4.2
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_BAD_URI_CHARS = re.compile(r"[\s\\\x00-\x1f\x7f]")


class OAuthError(CognitoError):
    """A refusal in OAuth's own terms (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1): `error` is the protocol code.

    With `redirect_uri` set, the authorization endpoint sends the error back to the app; without, it must
    not (an unknown client or an unregistered redirect URI shows an error page instead)."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        http_status: int = 400,
        redirect_uri: str | None = None,
        state: str = "",
        keep_writes: bool = False,
    ) -> None:
        super().__init__(description, keep_writes=keep_writes)
        self.error = error
        self.http_status = http_status
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizeRequest:
    """The parameters of /oauth2/authorize, which the hosted pages carry through sign-up and sign-in."""

    client_id: str
    redirect_uri: str
    response_type: str = ""
    scope: str = ""
    state: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    nonce: str = ""
    prompt: str = ""  # OIDC Core §3.1.2.1: "login" asks for the form again, "none" for no form at all

    @property
    def prompts(self) -> frozenset[str]:
        return frozenset(self.prompt.split())


@dataclass(frozen=True)
class Authorized:
    redirect_uri: str
    code: str  # handed to the app once; stored only hashed
    state: str


@dataclass(frozen=True)
class WebSignIn:
    token: str  # the session cookie's value: 256 random bits, stored only hashed
    user: User


# -- redirect URIs and clients ---------------------------------------------------------------------------


def is_loopback(uri: str) -> bool:
    """An `http` URL on this machine (RFC 8252 §7.3), any port: what apps in development use."""
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme == "http" and "@" not in parts.netloc and parts.hostname in _LOOPBACK


def redirect_uri_allowed(registered: Iterable[str], uri: str, *, loopback: bool) -> bool:
    """Exact string match (RFC 6749 §3.1.2.2); with `loopback` (the sandbox) also any loopback URL."""
    if not uri or len(uri) > MAX_PARAM or _BAD_URI_CHARS.search(uri) or "#" in uri:
        return False
    return uri in tuple(registered) or (loopback and is_loopback(uri))


def pool_client(ctx: Ctx, client_id: str) -> Client | None:
    client = ctx.tx.get_client(client_id) if client_id and len(client_id) <= 128 else None
    return client if client is not None and client.pool_id == ctx.pool.pool_id else None


def check_redirect(ctx: Ctx, client_id: str, redirect_uri: str, *, loopback: bool) -> Client:
    """The first check of every authorization request: a failure here is shown, never redirected."""
    client = pool_client(ctx, client_id)
    if client is None:
        raise OAuthError("invalid_client", "The client_id is not an app client of this user pool.")
    if not redirect_uri_allowed(client.callback_urls, redirect_uri, loopback=loopback):
        raise OAuthError("redirect_mismatch", "The redirect_uri is not registered for this app client.")
    return client


def check_page_client(ctx: Ctx, client_id: str, redirect_uri: str, *, loopback: bool) -> Client:
    """A hosted page names its app client; with a redirect URI it must be one the client may use."""
    if redirect_uri:
        return check_redirect(ctx, client_id, redirect_uri, loopback=loopback)
    client = pool_client(ctx, client_id)
    if client is None:
        raise OAuthError("invalid_client", "The client_id is not an app client of this user pool.")
    return client


def secret_hash_for(client: Client, username: str) -> str | None:
    """The hosted UI is the client's own first-party UI: it proves the client's secret on its behalf."""
    return None if client.secret is None else secret_hash(client.secret, username, client.id)


# -- authorization ---------------------------------------------------------------------------------------


def _grant_scopes(client: Client, requested: str) -> tuple[str, ...] | None:
    """The scopes to grant, or None when the request asks for one the client may not have."""
    names = tuple(dict.fromkeys(requested.split()))
    if not names:  # Cognito: no `scope` means every scope the client allows
        return tuple(client.allowed_oauth_scopes)
    if any(n not in client.allowed_oauth_scopes for n in names):
        return None
    if OIDC_SCOPES.intersection(names) and "openid" not in names:
        return None
    return names


def validate_authorize(ctx: Ctx, req: AuthorizeRequest, *, loopback: bool) -> tuple[Client, tuple[str, ...]]:
    client = check_redirect(ctx, req.client_id, req.redirect_uri, loopback=loopback)
    if len(req.state) > MAX_PARAM or len(req.nonce) > MAX_PARAM or len(req.scope) > MAX_PARAM:
        raise OAuthError("invalid_request", "A parameter is too long.")

    def refuse(error: str, description: str) -> OAuthError:
        return OAuthError(error, description, redirect_uri=req.redirect_uri, state=req.state)

    if not req.response_type:
        raise refuse("invalid_request", "response_type is required.")
    if "code" not in client.allowed_oauth_flows:
        raise refuse("unauthorized_client", "This client may not use the authorization code flow.")
    if req.response_type != "code":
        raise refuse("unsupported_response_type", "Only response_type=code is supported.")
    scopes = _grant_scopes(client, req.scope)
    if scopes is None:
        raise refuse("invalid_scope", "A requested scope is not allowed for this client or lacks openid.")
    if req.code_challenge or req.code_challenge_method:
        if req.code_challenge_method != "S256":
            raise refuse("invalid_request", "code_challenge_method must be S256.")
        if not PKCE_VALUE.fullmatch(req.code_challenge):
            raise refuse("invalid_request", "code_challenge must be 43 to 128 URL-safe characters.")
    elif client.secret is None:
        raise refuse("invalid_request", "A client without a secret must use PKCE (code_challenge, S256).")
    if "none" in req.prompts and len(req.prompts) > 1:
        raise refuse("invalid_request", "prompt=none cannot be combined with other values.")
    return client, scopes


def _live_session(ctx: Ctx, token: str | None) -> tuple[WebSession, User] | None:
    """The browser's web session if it is still good; each use extends it (up to SESSION_MAX)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    session = ctx.tx.get_web_session(hash_token(token))
    if session is None or session.pool_id != ctx.pool.pool_id:
        return None
    now = ctx.now()
    user = ctx.tx.get_user(ctx.pool.pool_id, session.user_sub)
    try:
        if user is None or session.expires_at <= now:
            raise NotAuthorizedException("The web session has ended.")
        check_session_user(user)
    except CognitoError:
        ctx.tx.delete_web_session(session.id_hash)
        return None
    session.expires_at = min(now + SESSION_IDLE, session.created_at + SESSION_MAX)
    ctx.tx.put_web_session(session)
    return session, user


def authorize(ctx: Ctx, req: AuthorizeRequest, *, session_token: str | None, loopback: bool) -> Authorized | None:
    """Issue an authorization code for a signed-in browser; None: the browser must sign in first."""
    client, scopes = validate_authorize(ctx, req, loopback=loopback)
    live = None if "login" in req.prompts else _live_session(ctx, session_token)
    if live is None and "none" in req.prompts:
        raise OAuthError("login_required", "The user is not signed in.", redirect_uri=req.redirect_uri, state=req.state)
    if live is None:
        return None
    session, user = live
    return issue_code(ctx, client, req, scopes, user, session.auth_time)


def issue_code(
    ctx: Ctx, client: Client, req: AuthorizeRequest, scopes: tuple[str, ...], user: User, auth_time: int
) -> Authorized:
    """The authorization code for a checked request (validate_authorize) and a signed-in user."""
    code = new_opaque_token(ctx)
    now = ctx.now()
    ctx.tx.put_authorization_code(
        AuthorizationCode(
            code_hash=hash_token(code),
            pool_id=ctx.pool.pool_id,
            client_id=client.id,
            user_sub=user.sub,
            redirect_uri=req.redirect_uri,
            scopes=scopes,
            auth_time=auth_time,
            created_at=now,
            expires_at=now + CODE_TTL,
            code_challenge=req.code_challenge,
            code_challenge_method=req.code_challenge_method if req.code_challenge else "",
            nonce=req.nonce,
        )
    )
    return Authorized(req.redirect_uri, code, req.state)


# -- the browser's session -------------------------------------------------------------------------------


def start_web_session(ctx: Ctx, user: User, auth_time: int, previous_token: str | None = None) -> WebSignIn:
    """A signed-in browser, once every step of its sign-in passed (hosted_sign_in.py): a fresh web session,
    never the one the browser had."""
    if previous_token and len(previous_token) <= MAX_TOKEN:
        ctx.tx.delete_web_session(hash_token(previous_token))
    token = new_opaque_token(ctx)
    now = ctx.now()
    ctx.tx.put_web_session(
        WebSession(
            id_hash=hash_token(token),
            pool_id=ctx.pool.pool_id,
            user_sub=user.sub,
            auth_time=auth_time,
            created_at=now,
            expires_at=now + SESSION_IDLE,
        )
    )
    sign_in_events.record(ctx, user.sub, success=True, detail="hosted sign-in")
    return WebSignIn(token, user)


def signed_in_user(ctx: Ctx, session_token: str | None) -> User | None:
    live = _live_session(ctx, session_token)
    return None if live is None else live[1]


def end_web_session(ctx: Ctx, session_token: str | None) -> None:
    if session_token and len(session_token) <= MAX_TOKEN:
        ctx.tx.delete_web_session(hash_token(session_token))


def logout(ctx: Ctx, session_token: str | None, *, client_id: str, logout_uri: str, loopback: bool) -> bool:
    """/logout: end the browser's session; True when `logout_uri` is one of the client's sign-out URLs."""
    end_web_session(ctx, session_token)
    client = pool_client(ctx, client_id)
    return client is not None and redirect_uri_allowed(client.logout_urls, logout_uri, loopback=loopback)


# -- the page journeys -----------------------------------------------------------------------------------


def _first_party(ctx: Ctx, client_id: str, username: str) -> tuple[str, str | None]:
    client = get_client(ctx, client_id)
    return client.id, secret_hash_for(client, username)


def sign_up(
    ctx: Ctx, *, client_id: str, username: str, password: str, attributes: dict[str, str]
) -> sign_up_flow.SignUpResult:
    cid, proof = _first_party(ctx, client_id, username)
    return sign_up_flow.sign_up(
        ctx, client_id=cid, username=username, password=password, attributes=attributes, secret_hash=proof
    )


def confirm_sign_up(ctx: Ctx, *, client_id: str, username: str, code: str) -> User:
    cid, proof = _first_party(ctx, client_id, username)
    return sign_up_flow.confirm_sign_up(ctx, client_id=cid, username=username, code=code, secret_hash=proof)


def resend_code(ctx: Ctx, *, client_id: str, username: str) -> CodeDelivery:
    cid, proof = _first_party(ctx, client_id, username)
    return sign_up_flow.resend_confirmation_code(ctx, client_id=cid, username=username, secret_hash=proof)


def forgot_password(ctx: Ctx, *, client_id: str, username: str) -> CodeDelivery:
    cid, proof = _first_party(ctx, client_id, username)
    return recovery.forgot_password(ctx, client_id=cid, username=username, secret_hash=proof)


def confirm_forgot_password(ctx: Ctx, *, client_id: str, username: str, code: str, password: str) -> None:
    cid, proof = _first_party(ctx, client_id, username)
    recovery.confirm_forgot_password(
        ctx, client_id=cid, username=username, code=code, password=password, secret_hash=proof
    )
