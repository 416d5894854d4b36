"""The pool's public key set and OpenID discovery document, at Cognito's paths under /<pool id>/."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from userpool.crypto.keys import KeyRing
from userpool.service import UserPool


def _pool_or_404(request: Request) -> UserPool | None:
    pool: UserPool = request.app.state.pool
    return pool if request.path_params["pool_id"] == pool.config.pool_id else None


async def jwks(request: Request) -> Response:
    pool = _pool_or_404(request)
    if pool is None or not isinstance(pool.signer, KeyRing):
        return JSONResponse({"message": "User pool not found"}, status_code=404)
    return JSONResponse(pool.signer.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def openid_configuration(request: Request) -> Response:
    pool = _pool_or_404(request)
    if pool is None:
        return JSONResponse({"message": "User pool not found"}, status_code=404)
    issuer = pool.config.issuer
    base = issuer.rsplit("/", 1)[0]
    return JSONResponse(
        {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "userinfo_endpoint": f"{base}/oauth2/userInfo",
            "end_session_endpoint": f"{base}/logout",
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": [
                "openid",
                "email",
                "phone",
                "profile",
                "aws.cognito.signin.user.admin",
                *pool.config.resource_scopes,
            ],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "prompt_values_supported": ["none", "login"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "email",
                "email_verified",
                "phone_number",
                "phone_number_verified",
                "cognito:username",
                "cognito:groups",
                "identities",
                "nonce",
                "at_hash",
            ],
        },
        headers={"Cache-Control": "public, max-age=300"},
    )
