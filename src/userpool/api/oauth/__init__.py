"""OAuth 2.0 / OpenID Connect at Cognito's hosted-UI paths. The routes, in one place."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from userpool.api.oauth.authorize import authorize
from userpool.api.oauth.federation import idpresponse, saml_response
from userpool.api.oauth.logout import logout
from userpool.api.oauth.token import revoke, token
from userpool.api.oauth.userinfo import userinfo


def oauth_routes() -> list[BaseRoute]:
    return [
        Route("/oauth2/authorize", authorize, methods=["GET"]),
        Route("/oauth2/token", token, methods=["POST"]),
        Route("/oauth2/userInfo", userinfo, methods=["GET", "POST"]),
        Route("/oauth2/revoke", revoke, methods=["POST"]),
        Route("/oauth2/idpresponse", idpresponse, methods=["GET", "POST"]),
        Route("/saml2/idpresponse", saml_response, methods=["POST"]),
        Route("/logout", logout, methods=["GET"]),
    ]
