"""Providers that are OAuth 2.0 with a profile API, not OpenID Connect: Login with Amazon and Facebook.

There is no ID token to verify: the code is exchanged (with PKCE where the provider takes it) for an
access token, and the profile read with it names the user. `state`, bound to the browser, is what ties the
answer to this sign-in.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from userpool.core.config import UpstreamSettings
from userpool.core.flows.federation import UpstreamIdentity
from userpool.federation.base import Return, UpstreamError, exchange_code, get_json, subject_of, with_params
from userpool.federation.oidc import s256

FACEBOOK_VERSION = "v19.0"


class _OAuth2Provider:
    default_scopes: tuple[str, ...] = ()
    scope_separator = " "
    subject_claim = "sub"

    def __init__(self, settings: UpstreamSettings) -> None:
        self.settings = settings

    def urls(self) -> tuple[str, str, str]:  # authorization, token, profile
        raise NotImplementedError

    async def authorization_url(self, http: httpx.AsyncClient, back: Return, *, prompt: str) -> str:
        del http, prompt  # neither provider takes OIDC's prompt
        authorization, _, _ = self.urls()
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": back.redirect_uri,
            "scope": self.scope_separator.join(self.settings.scopes or self.default_scopes),
            "state": back.state,
            "code_challenge": s256(back.code_verifier),
            "code_challenge_method": "S256",
        }
        return with_params(authorization, params)

    def profile_params(self, access_token: str) -> dict[str, str]:
        return {}

    async def identity(self, http: httpx.AsyncClient, code: str, back: Return) -> UpstreamIdentity:
        _, token_url, profile_url = self.urls()
        tokens = await exchange_code(
            http,
            token_url,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": back.redirect_uri,
                "code_verifier": back.code_verifier,
            },
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            basic=False,
        )
        access = tokens["access_token"]
        profile = await get_json(http, profile_url, "profile", bearer=access, params=self.profile_params(access))
        return UpstreamIdentity(self.settings.name, subject_of(profile, self.subject_claim), profile)


class AmazonProvider(_OAuth2Provider):
    """Login with Amazon: the profile API answers `user_id`, `name`, `email` (scope `profile`)."""

    default_scopes = ("profile",)
    subject_claim = "user_id"

    def urls(self) -> tuple[str, str, str]:
        s = self.settings
        return (
            s.authorization_endpoint or "https://www.amazon.com/ap/oa",
            s.token_endpoint or "https://api.amazon.com/auth/o2/token",
            s.userinfo_endpoint or "https://api.amazon.com/user/profile",
        )


class FacebookProvider(_OAuth2Provider):
    """Facebook Login: the Graph API's /me with the fields the mapping needs, and `appsecret_proof` (an
    HMAC of the token under the app secret) as Facebook recommends for server calls."""

    default_scopes = ("public_profile", "email")
    scope_separator = ","
    subject_claim = "id"

    def urls(self) -> tuple[str, str, str]:
        s = self.settings
        version = s.api_version or FACEBOOK_VERSION
        return (
            s.authorization_endpoint or f"https://www.facebook.com/{version}/dialog/oauth",
            s.token_endpoint or f"https://graph.facebook.com/{version}/oauth/access_token",
            s.userinfo_endpoint or f"https://graph.facebook.com/{version}/me",
        )

    def profile_params(self, access_token: str) -> dict[str, str]:
        fields = dict.fromkeys(["id", "email", "name", *self.settings.attribute_mapping.values()])
        proof = hmac.new(self.settings.client_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
        return {"fields": ",".join(f for f in fields if f.replace("_", "").isalnum()), "appsecret_proof": proof}


def missing_secret(settings: UpstreamSettings) -> UpstreamError | None:
    if not settings.client_id or (settings.kind != "apple" and not settings.client_secret):
        return UpstreamError(
            "server_error", f"{settings.name}: its client id or secret is not set (userpool sandbox secret set ...)."
        )
    return None
