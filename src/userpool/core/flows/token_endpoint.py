"""The OAuth 2.0 token side: /oauth2/token (authorization_code, refresh_token, client_credentials),
/oauth2/revoke, /oauth2/userInfo.

No web types, no I/O: the endpoints in `api/oauth` parse the form and render what these return or raise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from userpool.core import tokens
from userpool.core.context import Ctx
from userpool.core.errors import (
    CognitoError,
    NotAuthorizedException,
    UnsupportedTokenTypeException,
    UserNotFoundException,
)
from userpool.core.flows._challenge import check_session_user
from userpool.core.flows.hosted import MAX_TOKEN, OIDC_SCOPES, PKCE_VALUE, PROFILE_CLAIMS, OAuthError, pool_client
from userpool.core.model import AuthorizationCode, Client
from userpool.core.tokens import AuthResult, hash_token


@dataclass(frozen=True)
class TokenGrant:
    result: AuthResult
    scopes: tuple[str, ...]

    @property
    def includes_id_token(self) -> bool:
        """As in Cognito, the token endpoint returns an ID token only when `openid` was granted."""
        return "openid" in self.scopes


def authenticate_client(ctx: Ctx, client_id: str, client_secret: str | None) -> Client:
    """RFC 6749 §2.3: a client with a secret proves it (constant-time compare); one without sends its id."""
    client = pool_client(ctx, client_id)
    if client is None or (
        client.secret is not None
        and not (client_secret and hmac.compare_digest(client.secret.encode(), client_secret.encode()))
    ):
        raise OAuthError("invalid_client", "Client authentication failed.", http_status=401)
    return client


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _verifier_matches(stored: AuthorizationCode, verifier: str) -> bool:
    if not stored.code_challenge:  # no PKCE at authorize: a verifier now is a confused client (OAuth 2.1)
        return not verifier
    if stored.code_challenge_method != "S256" or not PKCE_VALUE.fullmatch(verifier):
        return False
    return hmac.compare_digest(s256(verifier), stored.code_challenge)


def exchange_code(
    ctx: Ctx,
    *,
    client_id: str,
    client_secret: str | None,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> TokenGrant:
    """grant_type=authorization_code. The code is spent by the first attempt, good or bad (RFC 6749 §4.1.2)."""
    client = authenticate_client(ctx, client_id, client_secret)
    if not code or not redirect_uri:
        raise OAuthError("invalid_request", "code and redirect_uri are required.")
    stored = ctx.tx.take_authorization_code(hash_token(code)) if len(code) <= MAX_TOKEN else None
    invalid = OAuthError("invalid_grant", "The authorization code is invalid.", keep_writes=True)
    if stored is None or stored.pool_id != ctx.pool.pool_id or stored.client_id != client.id:
        raise invalid
    if stored.expires_at <= ctx.now():
        raise OAuthError("invalid_grant", "The authorization code has expired.", keep_writes=True)
    if stored.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization.", keep_writes=True)
    if not _verifier_matches(stored, code_verifier):
        raise OAuthError("invalid_grant", "The code_verifier does not match.", keep_writes=True)
    user = ctx.tx.get_user(ctx.pool.pool_id, stored.user_sub)
    try:
        if user is None:
            raise invalid
        check_session_user(user)
    except CognitoError:
        raise invalid from None
    result = tokens.start_session(
        ctx,
        client,
        user,
        auth_time=stored.auth_time,
        scopes=stored.scopes,
        id_extra={"nonce": stored.nonce} if stored.nonce else None,
        with_at_hash=True,
        trigger_source="TokenGeneration_HostedAuth",
    )
    return TokenGrant(result, stored.scopes)


def client_credentials_grant(ctx: Ctx, *, client_id: str, client_secret: str | None, scope: str) -> TokenGrant:
    """grant_type=client_credentials (RFC 6749 §4.4): a backend's own access token for resource-server
    scopes. Only a client with a secret and the client_credentials flow; no ID or refresh token; `sub` is
    the client id, as in Cognito."""
    client = authenticate_client(ctx, client_id, client_secret)
    if client.secret is None or "client_credentials" not in client.allowed_oauth_flows:
        raise OAuthError("unauthorized_client", "This client may not use the client_credentials grant.")
    allowed = tuple(s for s in client.allowed_oauth_scopes if s in ctx.pool.resource_scopes)
    requested = tuple(dict.fromkeys(scope.split()))
    if any(s not in allowed for s in requested):
        raise OAuthError("invalid_scope", "A requested scope is not one of this client's resource-server scopes.")
    scopes = requested or allowed
    if not scopes:
        raise OAuthError("invalid_scope", "This client has no resource-server scopes to grant.")
    now = int(ctx.now())
    claims: dict[str, object] = {
        "sub": client.id,
        "iss": ctx.pool.issuer,
        "client_id": client.id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": now,
        "iat": now,
        "exp": now + client.access_token_validity,
        "version": 2,
        "jti": ctx.random.uuid4(),
    }
    access = ctx.signer.sign(claims, "access")
    return TokenGrant(AuthResult(access_token=access, id_token="", expires_in=client.access_token_validity), scopes)


def refresh_grant(ctx: Ctx, *, client_id: str, client_secret: str | None, refresh_token: str) -> TokenGrant:
    """grant_type=refresh_token: new ID and access tokens of the same family (refresh tokens do not rotate)."""
    client = authenticate_client(ctx, client_id, client_secret)
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required.")
    if not {"ALLOW_REFRESH_TOKEN_AUTH", "REFRESH_TOKEN_AUTH"}.intersection(client.explicit_auth_flows):
        raise OAuthError("unauthorized_client", "This client may not use refresh tokens.")
    try:
        result = tokens.refresh(ctx, client, refresh_token, with_at_hash=True)
    except NotAuthorizedException as err:
        raise OAuthError("invalid_grant", err.message) from None
    found = tokens.family_of(ctx, refresh_token)
    return TokenGrant(result, found[1].scopes if found is not None else ())


def revoke(ctx: Ctx, *, client_id: str, client_secret: str | None, token: str) -> None:
    """RFC 7009: end the refresh token's family. An unknown token is not an error."""
    client = authenticate_client(ctx, client_id, client_secret)
    if not token:
        raise OAuthError("invalid_request", "token is required.")
    try:
        tokens.revoke_refresh_token(ctx, client, token)
    except NotAuthorizedException:
        raise OAuthError("unauthorized_client", "The token was not issued to this client.") from None
    except UnsupportedTokenTypeException:
        raise OAuthError("unsupported_token_type", "Only refresh tokens can be revoked.") from None


def userinfo(ctx: Ctx, access_token: str) -> dict[str, str]:
    """OIDC Core §5.3 with Cognito's shape: attribute values as strings, `username` added.

    `openid` alone releases every attribute; with `email`, `phone` or `profile` only those claims."""
    try:
        caller = tokens.authenticate(ctx, access_token, scope=None)
    except (NotAuthorizedException, UserNotFoundException) as err:
        raise OAuthError("invalid_token", err.message, http_status=401) from None
    scopes = set(str(caller.claims.get("scope", "")).split())
    if "openid" not in scopes:
        raise OAuthError("insufficient_scope", "The access token lacks the openid scope.", http_status=403)
    limited = scopes & OIDC_SCOPES
    wanted: set[str] = set()
    if "email" in limited:
        wanted |= {"email", "email_verified"}
    if "phone" in limited:
        wanted |= {"phone_number", "phone_number_verified"}
    if "profile" in limited:
        wanted |= PROFILE_CLAIMS
    user = caller.user
    claims = {k: v for k, v in user.attributes.items() if not limited or k in wanted}
    claims["sub"] = user.sub
    claims["username"] = user.username
    return claims
