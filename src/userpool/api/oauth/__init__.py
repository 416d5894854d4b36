"""OAuth 2.0 / OpenID Connect at Cognito's hosted-UI paths. The routes, in one place."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from userpool.api.oauth.authorize import authorize
from userpool.api.oauth.logout import logout
from userpool.api.oauth.token import revoke, token
from userpool.api.oauth.userinfo import userinfo

# Sign-in through external providers (api/oauth/federation.py) is imported on its first request: with httpx,
# SAML's XML and the providers' JOSE library it is megabytes in every server process, and most pools have
# no external provider.


async def idpresponse(request: Request) -> Response:
    from userpool.api.oauth import federation

    return await federation.idpresponse(request)


async def saml_response(request: Request) -> Response:
    from userpool.api.oauth import federation

    return await federation.saml_response(request)


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
