"""A user's own sessions: ListUserSessions and RevokeUserSession, authorised by their access token.

A session here is a token family (`TokenSession`): one sign-in, its refresh token and every token minted
from it. Cognito names each by a 28-character id, `tkn` and 25 lowercase letters and digits; ours is
derived from the family's `origin_jti` with the keyed hash, so it is stable, reveals nothing of the jti,
and cannot be guessed across pools. Cognito also lists the managed-login (SSO) sessions, `sso…`; the
hosted pages' browser sessions are not listed yet (they have no client and are ended by /logout, by
GlobalSignOut and by a password reset).

    ListUserSessions ─▶ the live families, newest first (at most 125, one page), the caller's marked
    RevokeUserSession(SessionId) ─▶ that family revoked: its refresh token and access tokens stop working
        (the caller's own session is refused: sign out with RevokeToken or GlobalSignOut instead)
"""

from __future__ import annotations

from dataclasses import dataclass

from userpool.core import tokens
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException, ResourceNotFoundException
from userpool.core.model import TokenSession

MAX_SESSIONS = 125  # Cognito's SessionsListType: one page of up to 125
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class SessionView:
    session_id: str
    client_id: str
    created_at: float
    last_active_at: float
    current: bool


def session_id(ctx: Ctx, family: TokenSession) -> str:
    """`tkn` + 25 base-36 digits of a keyed hash of the family's origin_jti (about 129 bits)."""
    n = int(ctx.keyed.digest("user-session-id", family.origin_jti), 16)
    digits = []
    for _ in range(25):
        n, d = divmod(n, 36)
        digits.append(_ALPHABET[d])
    return "tkn" + "".join(digits)


def list_user_sessions(ctx: Ctx, *, access_token: str, next_token: str | None = None) -> list[SessionView]:
    caller = tokens.authenticate(ctx, access_token)
    if next_token is not None:  # every session fits one page, so no NextToken is ever handed out
        raise InvalidParameterException("Invalid NextToken: all of the user's sessions are returned in one page.")
    found = ctx.tx.list_user_token_sessions(ctx.pool.pool_id, caller.user.sub, ctx.now(), MAX_SESSIONS)
    return [
        SessionView(
            session_id=session_id(ctx, family),
            client_id=family.client_id,
            created_at=family.created_at,
            last_active_at=last_active,
            current=family.origin_jti == caller.session.origin_jti,
        )
        for family, last_active in found
    ]


def revoke_user_session(ctx: Ctx, *, access_token: str, session: str, associated: str | None = None) -> None:
    """Revoke one of the caller's other sessions. `associated` (RevokeAssociatedSessions): a token session
    here never came through a listed SSO session, so LINKED revokes nothing more than NONE."""
    caller = tokens.authenticate(ctx, access_token)
    del associated
    if session == session_id(ctx, caller.session):
        raise InvalidParameterException(
            "You can't revoke the session this access token belongs to; sign out with RevokeToken or GlobalSignOut."
        )
    families = ctx.tx.list_user_token_sessions(ctx.pool.pool_id, caller.user.sub, ctx.now(), MAX_SESSIONS)
    for family, _ in families:
        if session_id(ctx, family) == session:
            ctx.tx.revoke_token_session(family.origin_jti, ctx.now())
            return
    # Another user's session, one already revoked or expired, or no session at all: the same answer.
    raise ResourceNotFoundException(f"Session {session} does not exist.")
