"""The seed's guide in Python, with Starlette: "Hello <email>" and a "Sign out" button, for signed-in users.

userpool sandbox            # in this folder: writes amplify_outputs.json, serves the pool
uvicorn app:app --port 8000 # in another terminal; open http://localhost:8000
"""

from __future__ import annotations

import os
import secrets
import sys
from html import escape
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from userpool.integrations.starlette import with_authenticator

HERE = Path(__file__).resolve().parent


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
    return HTMLResponse(
        "<!doctype html><html><head><title>Hello</title></head><body><main>"
        f"<h1>Hello {escape(user.login_id)}</h1>{sign_out.form()}"
        "</main></body></html>"
    )


app = with_authenticator(
    Starlette(routes=[Route("/", home)]),
    outputs=HERE / "amplify_outputs.json",
    secret_key=secret_key(),
)
