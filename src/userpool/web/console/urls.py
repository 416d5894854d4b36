"""The console's routes, in one place, all under /console."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from userpool.web.authenticator.urls import _Static
from userpool.web.console import audit_routes, group_routes, sign_in_routes, user_routes
from userpool.web.console._http import STATIC_DIR, see_other

BOTH = ["GET", "POST"]


async def home(request: Request) -> Response:
    return see_other("/console/users")


def routes() -> list[BaseRoute]:
    return [
        Route("/console", home, methods=["GET"]),
        Route("/console/sign-in", sign_in_routes.sign_in, methods=BOTH),
        Route("/console/sign-in/code", sign_in_routes.sign_in_code, methods=BOTH),
        Route("/console/sign-out", sign_in_routes.sign_out, methods=["POST"]),
        Route("/console/users", user_routes.users, methods=["GET"]),
        Route("/console/users/new", user_routes.new_user, methods=BOTH),
        Route("/console/user", user_routes.user, methods=["GET"]),
        Route("/console/user/delete", user_routes.delete_user, methods=BOTH),
        Route("/console/user/{action}", user_routes.user_action, methods=["POST"]),
        Route("/console/groups", group_routes.groups_page, methods=BOTH),
        Route("/console/group", group_routes.group, methods=["GET"]),
        Route("/console/group/delete", group_routes.delete_group, methods=BOTH),
        Route("/console/group/{action}", group_routes.group_action, methods=["POST"]),
        Route("/console/audit", audit_routes.audit, methods=["GET"]),
        Mount("/console/static", app=_Static(STATIC_DIR), name="console-static"),
    ]
