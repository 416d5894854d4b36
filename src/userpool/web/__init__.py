"""Server-rendered pages: the hosted Authenticator (and, later, the admin console)."""

from __future__ import annotations

from starlette.routing import BaseRoute


def hosted_routes() -> list[BaseRoute]:
    """Routes of the hosted Authenticator and the OAuth 2.0 endpoints behind it."""
    from userpool.api.oauth import oauth_routes
    from userpool.web.authenticator import authenticator_routes

    return [*oauth_routes(), *authenticator_routes()]
