"""The seed's guide in Python, with FastAPI: "Hello <email>" and a "Sign out" button, for signed-in users,
and a page only for the group ADMINS.

userpool sandbox                      # in this folder: writes amplify_outputs.json, serves the pool
uvicorn fastapi_app:app --port 8001   # in another terminal; open http://localhost:8001
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from userpool.integrations.fastapi import CurrentSignOut, CurrentUser, User, require_group, with_authenticator

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


api = FastAPI()


@api.get("/", response_class=HTMLResponse)
def home(user: CurrentUser, sign_out: CurrentSignOut) -> str:
    body = Markup('<h1>Hello {}</h1><p><a href="/admins">Admins</a></p>{}{}').format(
        user.login_id, sign_out.form(), sign_out.form(global_=True)
    )
    return PAGE.format("Hello", body)


@api.get("/admins", response_class=HTMLResponse)
def admins(user: Annotated[User, Depends(require_group("ADMINS"))]) -> str:  # 403 outside the group
    body = Markup('<h1>Admins</h1><p>Only the group ADMINS sees this, {}.</p><p><a href="/">Home</a></p>')
    return PAGE.format("Admins", body.format(user.login_id))


app = with_authenticator(api, outputs=HERE / "amplify_outputs.json", secret_key=secret_key())
