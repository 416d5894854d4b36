"""Server-rendered pages: the hosted Authenticator and the web console."""

from __future__ import annotations

from starlette.routing import BaseRoute


def hosted_routes() -> list[BaseRoute]:
    """Routes of the hosted Authenticator and the OAuth 2.0 endpoints behind it, and the web console."""
    from userpool.api.oauth import oauth_routes
    from userpool.web.authenticator import authenticator_routes
    from userpool.web.console import console_routes

    return [*oauth_routes(), *authenticator_routes(), *console_routes()]
