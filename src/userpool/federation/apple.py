"""Sign in with Apple: OIDC-like, with two differences.

- The client secret is a short-lived ES256 JWT signed with the developer's private key (`iss` the team id,
  `sub` the services id, `aud` Apple, header `kid` the key id), made for each code exchange.
- With the `name` or `email` scope Apple answers by `response_mode=form_post`: the browser POSTs the code to
  /oauth2/idpresponse (which turns it into a GET so the browser's SameSite cookie binds it).
Apple has no UserInfo endpoint: everything is in the ID token (`email`, `email_verified` as "true"), except
the person's name, which Apple sends once, in the first sign-in's form POST (`user`, JSON): it becomes the
claims `firstName`, `lastName` and `name`, Cognito's names for attribute mapping.
"""

from __future__ import annotations

import json
import time

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from userpool.federation.base import UpstreamError
from userpool.federation.oidc import OidcProvider

APPLE = "https://appleid.apple.com"
SECRET_LIFETIME = 300  # Apple allows up to six months; one exchange needs minutes
MAX_USER_FIELD = 4096  # a name and an email are a few hundred bytes
MAX_NAME = 256


def first_sign_in_profile(raw: str) -> dict[str, str]:
    """The name in Apple's `user` form field, as claims (`firstName`, `lastName`, `name`); {} for anything
    else. Never its email: that copy is unsigned, and the ID token's signed one is the one that counts."""
    if not raw or len(raw) > MAX_USER_FIELD:
        return {}
    try:
        user = json.loads(raw)
    except ValueError:
        return {}
    name = user.get("name") if isinstance(user, dict) else None
    if not isinstance(name, dict):
        return {}
    claims: dict[str, str] = {}
    for part in ("firstName", "lastName"):
        value = name.get(part)
        if isinstance(value, str) and value.strip():
            claims[part] = value.strip()[:MAX_NAME]
    if claims:
        claims["name"] = " ".join(claims[p] for p in ("firstName", "lastName") if p in claims)
    return claims


def client_secret_jwt(*, team_id: str, key_id: str, client_id: str, private_key: str, now: float) -> str:
    try:
        key = ECKey.import_key(private_key)
    except (JoseError, ValueError, TypeError):
        raise UpstreamError("server_error", "SignInWithApple: private_key is not a P-256 private key (PEM).") from None
    issued = int(now)
    claims = {"iss": team_id, "iat": issued, "exp": issued + SECRET_LIFETIME, "aud": APPLE, "sub": client_id}
    return jwt.encode({"alg": "ES256", "kid": key_id}, claims, key, algorithms=["ES256"])


class AppleProvider(OidcProvider):
    default_scopes = ("name", "email")
    default_issuer = APPLE
    defaults = {
        "authorization": f"{APPLE}/auth/authorize",
        "token": f"{APPLE}/auth/token",
        "jwks_uri": f"{APPLE}/auth/keys",
    }
    response_mode = "form_post"

    async def client_secret(self) -> str:
        s = self.settings
        if not (s.team_id and s.key_id and s.private_key):
            raise UpstreamError("server_error", "SignInWithApple: team_id, key_id and private_key are all needed.")
        return client_secret_jwt(
            team_id=s.team_id, key_id=s.key_id, client_id=s.client_id, private_key=s.private_key, now=time.time()
        )

    def wants_userinfo(self) -> bool:
        return False
