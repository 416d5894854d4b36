"""Tokens: Cognito's ID and access token claims, refresh-token families, and checking an access token.

Every sign-in starts a token family (a `TokenSession`, keyed by `origin_jti`). Access and ID tokens carry
the family's `origin_jti`; the refresh token is stored only as a hash. Revoking a family (RevokeToken,
GlobalSignOut) makes every token from it fail, checked on each token-authorised action.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from userpool.core.context import Ctx
from userpool.core.errors import NotAuthorizedException, UnsupportedTokenTypeException, UserNotFoundException
from userpool.core.model import Client, TokenSession, User
from userpool.core.ports import InvalidToken

COGNITO_ADMIN_SCOPE = "aws.cognito.signin.user.admin"
_BOOLEAN_CLAIMS = frozenset({"email_verified", "phone_number_verified"})


@dataclass(frozen=True)
class AuthResult:
    access_token: str
    id_token: str
    expires_in: int
    refresh_token: str | None = None
    token_type: str = "Bearer"


@dataclass(frozen=True)
class Caller:
    """Who an access token says is calling, once every check has passed."""

    user: User
    client: Client
    session: TokenSession
    claims: dict[str, object]


def hash_token(token: str) -> str:
    """Refresh tokens and session handles carry 256 random bits: a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_opaque_token(ctx: Ctx, n: int = 32) -> str:
    return base64.urlsafe_b64encode(ctx.random.token_bytes(n)).rstrip(b"=").decode()


def id_claims(user: User) -> dict[str, object]:
    claims: dict[str, object] = {}
    for name, value in user.attributes.items():
        claims[name] = value == "true" if name in _BOOLEAN_CLAIMS else value
    return claims


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: base64url of the left half of the SHA-256 of the access token (RS256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def _mint(
    ctx: Ctx,
    client: Client,
    user: User,
    family: TokenSession,
    *,
    id_extra: dict[str, object] | None = None,
    with_at_hash: bool = False,
) -> tuple[str, str]:
    now = int(ctx.now())
    common = {
        "sub": user.sub,
        "iss": ctx.pool.issuer,
        "origin_jti": family.origin_jti,
        "event_id": ctx.random.uuid4(),
        "auth_time": family.auth_time,
        "iat": now,
    }
    id_payload: dict[str, object] = {
        **id_claims(user),
        **common,
        "cognito:username": user.username,
        "aud": client.id,
        "token_use": "id",
        "exp": now + client.id_token_validity,
        "jti": ctx.random.uuid4(),
        **(id_extra or {}),
    }
    access_token = ctx.signer.sign(
        {
            **common,
            "client_id": client.id,
            "token_use": "access",
            "scope": " ".join(family.scopes),
            "exp": now + client.access_token_validity,
            "jti": ctx.random.uuid4(),
            "username": user.username,
        },
        "access",
    )
    if with_at_hash:  # the hosted UI's ID tokens (OAuth 2.0 token endpoint), as Cognito's carry it
        id_payload["at_hash"] = at_hash(access_token)
    return access_token, ctx.signer.sign(id_payload, "id")


def start_session(
    ctx: Ctx,
    client: Client,
    user: User,
    *,
    auth_time: int | None = None,
    scopes: tuple[str, ...] = (COGNITO_ADMIN_SCOPE,),
    id_extra: dict[str, object] | None = None,
    with_at_hash: bool = False,
) -> AuthResult:
    """A successful sign-in: a new token family with its refresh token.

    `id_extra` adds ID-token claims (the OAuth `nonce`); `with_at_hash` adds `at_hash` (OAuth token endpoint)."""
    now = ctx.now()
    refresh = new_opaque_token(ctx, 48)
    family = TokenSession(
        origin_jti=ctx.random.uuid4(),
        pool_id=ctx.pool.pool_id,
        client_id=client.id,
        user_sub=user.sub,
        refresh_hash=hash_token(refresh),
        auth_time=int(now if auth_time is None else auth_time),
        created_at=now,
        expires_at=now + client.refresh_token_validity,
        scopes=scopes,
    )
    ctx.tx.put_token_session(family)
    access, id_token = _mint(ctx, client, user, family, id_extra=id_extra, with_at_hash=with_at_hash)
    return AuthResult(access, id_token, client.access_token_validity, refresh)


def refresh(ctx: Ctx, client: Client, refresh_token: str, *, with_at_hash: bool = False) -> AuthResult:
    """New ID and access tokens from a refresh token: same family, same auth_time, new jti."""
    invalid = NotAuthorizedException("Invalid Refresh Token")
    if not isinstance(refresh_token, str) or not 1 <= len(refresh_token) <= 2048:
        raise invalid
    family = ctx.tx.find_token_session(hash_token(refresh_token))
    if family is None or family.pool_id != ctx.pool.pool_id or family.client_id != client.id:
        raise invalid
    if family.revoked_at is not None:
        raise NotAuthorizedException("Refresh Token has been revoked")
    if family.expires_at <= ctx.now():
        raise NotAuthorizedException("Refresh Token has expired")
    user = ctx.tx.get_user(ctx.pool.pool_id, family.user_sub)
    if user is None:
        raise invalid
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    access, id_token = _mint(ctx, client, user, family, with_at_hash=with_at_hash)
    return AuthResult(access, id_token, client.access_token_validity)


def authenticate(ctx: Ctx, access_token: object, *, scope: str | None = COGNITO_ADMIN_SCOPE) -> Caller:
    """The checks behind every action authorised by an access token (GetUser, ChangePassword, ...).

    The user-pool actions need Cognito's `aws.cognito.signin.user.admin` scope, which a token from the
    hosted UI carries only when the app asked for it."""
    if not isinstance(access_token, str) or not access_token:
        raise NotAuthorizedException("Invalid Access Token")
    try:
        claims = ctx.signer.verify(access_token)
    except InvalidToken:
        raise NotAuthorizedException("Invalid Access Token") from None
    if claims.get("token_use") != "access" or claims.get("iss") != ctx.pool.issuer:
        raise NotAuthorizedException("Invalid Access Token")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= ctx.now():
        raise NotAuthorizedException("Access Token has expired")
    origin = claims.get("origin_jti")
    family = ctx.tx.get_token_session(origin) if isinstance(origin, str) else None
    if family is None or family.pool_id != ctx.pool.pool_id or family.user_sub != claims.get("sub"):
        raise NotAuthorizedException("Invalid Access Token")
    if family.revoked_at is not None:
        raise NotAuthorizedException("Access Token has been revoked")
    if scope is not None and scope not in str(claims.get("scope", "")).split():
        raise NotAuthorizedException("Access Token does not have required scopes")
    client = ctx.tx.get_client(family.client_id)
    user = ctx.tx.get_user(ctx.pool.pool_id, family.user_sub)
    if client is None or client.pool_id != ctx.pool.pool_id:
        raise NotAuthorizedException("Invalid Access Token")
    if user is None:
        raise UserNotFoundException("User does not exist.")
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    return Caller(user=user, client=client, session=family, claims=claims)


def revoke_refresh_token(ctx: Ctx, client: Client, token: str) -> None:
    """RevokeToken: end the family of this refresh token. An unknown token is not an error (RFC 7009 §2.2)."""
    family = ctx.tx.find_token_session(hash_token(token)) if isinstance(token, str) else None
    if family is None and _is_our_jwt(ctx, token):
        # An access or ID token: say so, rather than "succeed" and leave the session running.
        raise UnsupportedTokenTypeException("RevokeToken takes a refresh token, not an access or ID token")
    if family is None or family.pool_id != ctx.pool.pool_id:
        return
    if family.client_id != client.id:
        raise NotAuthorizedException("The refresh token was not issued to this client")
    if family.revoked_at is None:
        ctx.tx.revoke_token_session(family.origin_jti, ctx.now())


def _is_our_jwt(ctx: Ctx, token: object) -> bool:
    if not isinstance(token, str) or token.count(".") != 2:
        return False
    try:
        ctx.signer.verify(token)
    except InvalidToken:
        return False
    return True


def sign_out_everywhere(ctx: Ctx, user: User) -> int:
    """Every token family of the user, and every hosted-UI browser session, ends now."""
    ctx.tx.delete_user_web_sessions(ctx.pool.pool_id, user.sub)
    return ctx.tx.revoke_user_token_sessions(ctx.pool.pool_id, user.sub, ctx.now())
