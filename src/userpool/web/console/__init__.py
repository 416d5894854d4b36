"""The web console at /console: operators (console accounts with a password and TOTP, not pool users)
manage the pool's users and groups and read the audit log. Server-rendered, no JavaScript, CSRF on every
form, a strict CSP. Every change runs an admin flow with its audit entry in one unit of work. See
docs/console.md; the route table is `urls.py`."""

from __future__ import annotations

from starlette.routing import BaseRoute


def console_routes() -> list[BaseRoute]:
    from userpool.web.console.urls import routes

    return routes()
