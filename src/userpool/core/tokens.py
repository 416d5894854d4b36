"""Tokens: Cognito's ID and access token claims, refresh-token families, and checking an access token.

Every sign-in starts a token family (a `TokenSession`, keyed by `origin_jti`). Access and ID tokens carry
the family's `origin_jti`; the refresh token is stored only as a hash. Revoking a family (RevokeToken,
GlobalSignOut) makes every token from it fail, checked on each token-authorised action.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from userpool.core import groups, triggers
from userpool.core.clients import readable
from userpool.core.context import Ctx
from userpool.core.errors import (
    NotAuthorizedException,
    RefreshTokenReuseException,
    UnsupportedTokenTypeException,
    UserNotFoundException,
)
from userpool.core.model import Client, RefreshToken, TokenSession, User
from userpool.core.ports import InvalidToken

COGNITO_ADMIN_SCOPE = "aws.cognito.signin.user.admin"
CLOCK_LEEWAY = 60  # seconds a token's iat or nbf may be ahead of this process's clock (another process minted it)
_BOOLEAN_CLAIMS = frozenset({"email_verified", "phone_number_verified"})


@dataclass(frozen=True)
class NewDevice:
    """NewDeviceMetadata: the device a sign-in was just given; the client registers it with ConfirmDevice."""

    key: str
    group_key: str


@dataclass(frozen=True)
class AuthResult:
    access_token: str
    id_token: str
    expires_in: int
    refresh_token: str | None = None
    token_type: str = "Bearer"
    new_device: NewDevice | None = None


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


def id_claims(user: User, client: Client | None = None) -> dict[str, object]:
    """The user's attributes as ID-token claims, limited to what the client may read."""
    attributes = user.attributes if client is None else readable(client, user.attributes)
    claims: dict[str, object] = {}
    for name, value in attributes.items():
        claims[name] = value == "true" if name in _BOOLEAN_CLAIMS else value
    if isinstance(claims.get("identities"), str):  # Cognito: a JSON string as an attribute, an array as a claim
        try:
            claims["identities"] = json.loads(str(claims["identities"]))
        except ValueError:
            del claims["identities"]
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
    trigger_source: triggers.TokenSource = "TokenGeneration_Authentication",
    client_metadata: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """Sign the ID and access tokens, after the pre token generation trigger (if any) changed their claims."""
    now = int(ctx.now())
    member_of = groups.ordered(ctx.tx.list_groups_for_user(ctx.pool.pool_id, user.sub).items)
    group_claims = groups.id_claims(member_of)
    role_arns = groups.roles(member_of)
    common = {
        "sub": user.sub,
        "iss": ctx.pool.issuer,
        "origin_jti": family.origin_jti,
        "event_id": ctx.random.uuid4(),
        "auth_time": family.auth_time,
        "iat": now,
    }
    id_payload: dict[str, object] = {
        **id_claims(user, client),
        **common,
        "cognito:username": user.username,
        "aud": client.id,
        "token_use": "id",
        "exp": now + client.id_token_validity,
        "jti": ctx.random.uuid4(),
        **group_claims,
        **(id_extra or {}),
    }
    access_payload: dict[str, object] = {
        **common,
        "client_id": client.id,
        "token_use": "access",
        "scope": " ".join(family.scopes),
        "exp": now + client.access_token_validity,
        "jti": ctx.random.uuid4(),
        "username": user.username,
        **groups.access_claims(member_of),
        **({"device_key": family.device_key} if family.device_key else {}),
    }
    overrides = triggers.pre_token_generation(
        ctx,
        source=trigger_source,
        client_id=client.id,
        user=user,
        scopes=family.scopes,
        groups=[g.name for g in member_of],
        iam_roles=role_arns,
        preferred_role=role_arns[0] if role_arns else None,
        client_metadata=client_metadata,
    )
    if overrides is not None:
        overrides.apply_id(id_payload)
        overrides.apply_access(access_payload)
    access_token = ctx.signer.sign(access_payload, "access")
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
    device_key: str | None = None,
    trigger_source: triggers.TokenSource = "TokenGeneration_Authentication",
    client_metadata: Mapping[str, str] | None = None,
) -> AuthResult:
    """A successful sign-in: a new token family with its refresh token.

    `id_extra` adds ID-token claims (the OAuth `nonce`); `with_at_hash` adds `at_hash` (OAuth token endpoint);
    `device_key` names the remembered device the user signed in from (its access tokens carry it)."""
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
        device_key=device_key,
    )
    ctx.tx.put_token_session(family)
    ctx.tx.add_refresh_token(RefreshToken(family.refresh_hash, family.origin_jti, now))
    access, id_token = _mint(
        ctx,
        client,
        user,
        family,
        id_extra=id_extra,
        with_at_hash=with_at_hash,
        trigger_source=trigger_source,
        client_metadata=client_metadata,
    )
    return AuthResult(access, id_token, client.access_token_validity, refresh)


def family_of(ctx: Ctx, refresh_token: object) -> tuple[RefreshToken, TokenSession] | None:
    """The stored refresh token and its family, whatever their state (revoked, expired, superseded)."""
    if not isinstance(refresh_token, str) or not 1 <= len(refresh_token) <= 2048:
        return None
    stored = ctx.tx.find_refresh_token(hash_token(refresh_token))
    family = ctx.tx.get_token_session(stored.origin_jti) if stored is not None else None
    if stored is None or family is None or family.pool_id != ctx.pool.pool_id:
        return None
    return stored, family


def refresh(
    ctx: Ctx,
    client: Client,
    refresh_token: str,
    *,
    with_at_hash: bool = False,
    rotate: bool | None = None,
    device_key: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> AuthResult:
    """New ID and access tokens from a refresh token: same family, same auth_time, new jti.

    With rotation (the client's setting, unless `rotate` says otherwise) the result carries a new refresh
    token and the given one is retired; a retired token used again after the client's grace period revokes
    the whole family (RefreshTokenReuseException) — someone else has a copy. A `device_key` (the client's
    DEVICE_KEY) must be the family's device when it has one; the family's device stays on the tokens."""
    invalid = NotAuthorizedException("Invalid Refresh Token")
    found = family_of(ctx, refresh_token)
    if found is None or found[1].client_id != client.id:
        raise invalid
    stored, family = found
    # Checked before anything is written, so a wrong key never retires a rotating token. A family without a
    # device (hosted UI, tracking off) ignores the key: Amplify sends whatever device it last remembered.
    if device_key and family.device_key and ctx.pool.device_tracking and device_key != family.device_key:
        raise NotAuthorizedException("Invalid device key given.")
    now = ctx.now()
    if family.revoked_at is not None:
        raise NotAuthorizedException("Refresh Token has been revoked")
    if family.expires_at <= now:
        raise NotAuthorizedException("Refresh Token has expired")
    user = ctx.tx.get_user(ctx.pool.pool_id, family.user_sub)
    if user is None:
        raise invalid
    if not user.enabled:
        raise NotAuthorizedException("User is disabled.")
    rotating = client.refresh_token_rotation if rotate is None else rotate
    new_refresh = None
    if stored.superseded_at is not None or rotating:
        retired_now = stored.superseded_at is None and ctx.tx.supersede_refresh_token(stored.token_hash, now)
        if not retired_now:
            # Not retired by this call: retired before, or by a concurrent refresh this one raced (then
            # `retired_at` is now). Without a grace period either is a reuse, even in the same instant.
            retired_at = stored.superseded_at if stored.superseded_at is not None else now
            grace = client.refresh_token_reuse_grace
            if grace == 0 or now - retired_at > grace:
                ctx.tx.revoke_token_session(family.origin_jti, now)
                raise RefreshTokenReuseException(
                    "This refresh token was already used; the session is revoked. Sign in again.", keep_writes=True
                )
        new_refresh = new_opaque_token(ctx, 48)
        ctx.tx.add_refresh_token(RefreshToken(hash_token(new_refresh), family.origin_jti, now))
    access, id_token = _mint(
        ctx,
        client,
        user,
        family,
        with_at_hash=with_at_hash,
        trigger_source="TokenGeneration_RefreshTokens",
        client_metadata=client_metadata,
    )
    return AuthResult(access, id_token, client.access_token_validity, new_refresh)


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
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    if not isinstance(exp, int) or exp <= ctx.now():
        raise NotAuthorizedException("Access Token has expired")
    # Issued (or valid from) later than now, past what clocks between our own processes may differ: not ours.
    if not isinstance(iat, int) or iat > ctx.now() + CLOCK_LEEWAY:
        raise NotAuthorizedException("Invalid Access Token")
    if nbf is not None and (not isinstance(nbf, int) or nbf > ctx.now() + CLOCK_LEEWAY):
        raise NotAuthorizedException("Invalid Access Token")
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
    found = family_of(ctx, token)
    family = found[1] if found is not None else None
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
