"""Password reset: /forgotPassword (forgotPassword) sends a code, /confirmForgotPassword
(confirmResetPassword) takes it with the new password, or sends another."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import pool_of
from userpool.core.errors import CognitoError
from userpool.core.flows import hosted
from userpool.core.flows.hosted import AuthorizeRequest
from userpool.web.authenticator import fields as f
from userpool.web.authenticator._pages import (
    attempt,
    begin,
    error_for,
    notice,
    password_rules,
    read_checked_form,
    render,
    see_other,
    username_of,
)
from userpool.web.authenticator.messages import t


def _forgot_page(
    request: Request, oauth: AuthorizeRequest, username: str, *, status: int = 200, **context: object
) -> Response:
    config = pool_of(request).config
    fields = [field.with_value(username) for field in f.customise(config, "forgot_password", [f.username(config)])]
    return render(request, "forgot_password.html", oauth, status=status, fields=fields, **context)


async def forgot_password(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    if request.method == "GET":
        return _forgot_page(request, oauth, username_of(request), notice=notice(request))
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    username = username_of(form)
    sent = await attempt(request, hosted.forgot_password, client_id=oauth.client_id, username=username)
    if isinstance(sent, CognitoError):
        return _forgot_page(request, oauth, username, status=400, error=error_for("forgot", sent, request))
    return see_other("/confirmForgotPassword", oauth, username=username)


def _reset_page(
    request: Request, oauth: AuthorizeRequest, username: str, *, status: int = 200, **context: object
) -> Response:
    config = pool_of(request).config
    defaults = [] if username else [f.username(config)]
    defaults += [
        f.code(),
        f.password(new=True, label_id="field.new_password"),
        f.password("confirm_password"),
    ]
    return render(
        request,
        "confirm_forgot_password.html",
        oauth,
        status=status,
        username=username,
        fields=f.customise(config, "confirm_reset_password", defaults),
        rules=password_rules(request),
        **context,
    )


async def confirm_forgot_password(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    if request.method == "GET":
        return _reset_page(request, oauth, username_of(request), notice=notice(request))
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    username = username_of(form)
    if form.get("action") == "resend":
        sent = await attempt(request, hosted.forgot_password, client_id=oauth.client_id, username=username)
        if isinstance(sent, CognitoError):
            return _reset_page(request, oauth, username, status=400, error=error_for("reset", sent, request))
        return _reset_page(request, oauth, username, notice=t("notice.code_resent"))
    password = form.get("password", "")
    if password != form.get("confirm_password", ""):
        return _reset_page(request, oauth, username, status=400, error=t("error.passwords_must_match"))
    done = await attempt(
        request,
        hosted.confirm_forgot_password,
        client_id=oauth.client_id,
        username=username,
        code=form.get("code", "").strip()[:64],
        password=password,
    )
    if isinstance(done, CognitoError):
        error = error_for("reset", done, request, password=password)
        return _reset_page(request, oauth, username, status=400, error=error)
    return see_other("/login", oauth, username=username, notice="password_reset")
