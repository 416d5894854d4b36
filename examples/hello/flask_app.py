"""The seed's guide in Python, with Flask: "Hello <email>" and a "Sign out" button, for signed-in users,
and a page only for the group ADMINS.

userpool sandbox                          # in this folder: writes amplify_outputs.json, serves the pool
flask --app flask_app run --port 5000     # in another terminal; open http://localhost:5000
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from flask import Flask
from markupsafe import Markup

from userpool.integrations.flask import Authenticator, SignOut, User

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


app = Flask(__name__)
auth = Authenticator(app, outputs=HERE / "amplify_outputs.json", secret_key=secret_key())


@app.get("/")
@auth.with_authenticator
def home(user: User, sign_out: SignOut) -> str:
    body = Markup('<h1>Hello {}</h1><p><a href="/admins">Admins</a></p>{}{}').format(
        user.login_id, sign_out.form(), sign_out.form(global_=True)
    )
    return PAGE.format("Hello", body)


@app.get("/admins")
@auth.require_group("ADMINS")  # abort(403) for a signed-in user outside the group
def admins(user: User, sign_out: SignOut) -> str:
    body = Markup('<h1>Admins</h1><p>Only the group ADMINS sees this, {}.</p><p><a href="/">Home</a></p>')
    return PAGE.format("Admins", body.format(user.login_id))
