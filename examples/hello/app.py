"""The seed's guide in Python, with Starlette: "Hello <email>" and a "Sign out" button, for signed-in users,
and a page only for the group ADMINS.

userpool sandbox            # in this folder: writes amplify_outputs.json, serves the pool
uvicorn app:app --port 8000 # in another terminal; open http://localhost:8000
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from userpool.integrations.starlette import require_group, with_authenticator

HERE = Path(__file__).resolve().parent
PAGE = Markup("<!doctype html><html><head><title>{}</title></head><body><main>{}</main></body></html>")


def secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if not key:
        key = secrets.token_urlsafe(32)
        print(
            "WARNING: SECRET_KEY is not set, so a random one is used: fine with the sandbox, but sessions end "
            "when the app restarts. In production set SECRET_KEY (e.g. `python -c "
            '"import secrets; print(secrets.token_urlsafe(32))"`).',
            file=sys.stderr,
        )
    return key


async def home(request: Request) -> HTMLResponse:
    user, sign_out = request.state.user, request.state.sign_out
    body = Markup('<h1>Hello {}</h1><p><a href="/admins">Admins</a></p>{}{}').format(
        user.login_id, sign_out.form(), sign_out.form(global_=True)
    )
    return HTMLResponse(PAGE.format("Hello", body))


@require_group("ADMINS")  # 403 for a signed-in user outside the group
async def admins(request: Request) -> HTMLResponse:
    body = Markup('<h1>Admins</h1><p>Only the group ADMINS sees this, {}.</p><p><a href="/">Home</a></p>')
    return HTMLResponse(PAGE.format("Admins", body.format(request.state.user.login_id)))


app = with_authenticator(
    Starlette(routes=[Route("/", home), Route("/admins", admins)]),
    outputs=HERE / "amplify_outputs.json",
    secret_key=secret_key(),
)
