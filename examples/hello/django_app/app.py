"""The seed's guide in Python, with Django (a whole project in one file): "Hello <email>" and a "Sign out"
button, for signed-in users, and a page only for the group ADMINS.

userpool sandbox                              # in examples/hello: writes amplify_outputs.json, serves the pool
python django_app/app.py runserver 8002       # in another terminal, same folder; open http://localhost:8002

Any other `manage.py` command works the same way (`python django_app/app.py check`), and a WSGI server
takes `application` (`gunicorn --chdir django_app app:application`).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.html import format_html

from userpool.integrations.django import SignOut, User, require_group, with_authenticator

HERE = Path(__file__).resolve().parent
PAGE = "<!doctype html><html><head><title>{}</title></head><body><main>{}</main></body></html>"


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


if not settings.configured:
    settings.configure(
        DEBUG=os.environ.get("DJANGO_DEBUG", "") == "1",
        SECRET_KEY=secret_key(),  # also seals userpool's session cookie (or set USERPOOL_SECRET_KEY)
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "[::1]"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "userpool.integrations.django.AuthenticatorMiddleware",
        ],
        USERPOOL_OUTPUTS=HERE.parent / "amplify_outputs.json",
    )


@with_authenticator
def home(request: HttpRequest, user: User, sign_out: SignOut) -> HttpResponse:
    body = format_html(
        '<h1>Hello {}</h1><p><a href="/admins">Admins</a></p>{}{}',
        user.login_id,
        sign_out.form(),
        sign_out.form(global_=True),
    )
    return HttpResponse(format_html(PAGE, "Hello", body))


@require_group("ADMINS")  # PermissionDenied (403) for a signed-in user outside the group
def admins(request: HttpRequest, user: User, sign_out: SignOut) -> HttpResponse:
    body = format_html(
        '<h1>Admins</h1><p>Only the group ADMINS sees this, {}.</p><p><a href="/">Home</a></p>', user.login_id
    )
    return HttpResponse(format_html(PAGE, "Admins", body))


urlpatterns = [path("", home), path("admins", admins)]
application = get_wsgi_application()

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
