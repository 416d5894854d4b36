"""The hosted Authenticator's pages: /login, /signup, /confirm, /forgotPassword, /confirmForgotPassword
(and, in `challenge_routes.py`, the pages of the challenges after the password).

Each handler is thin: check the app client (and redirect URI) the query names, check CSRF on a POST, run one
flow, then render the page again with a message or redirect (POST → 303 → GET). The OAuth query rides along
in every link and form action, so a user who signs up, confirms and signs in still lands at the app's
redirect_uri with a code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from userpool.api.oauth.context import loopback_allowed, pool_of, run_flow
from userpool.api.oauth.params import oauth_params, oauth_query, read_form
from userpool.core.attributes import mask
from userpool.core.context import Ctx
from userpool.core.errors import CognitoError, PasswordResetRequiredException, UserNotConfirmedException
from userpool.core.flows import hosted, hosted_sign_in
from userpool.core.flows.hosted import AuthorizeRequest, OAuthError, WebSignIn
from userpool.core.flows.hosted_sign_in import PendingPage
from userpool.core.model import User
from userpool.core.policy import describe
from userpool.web.authenticator.fields import login_field, sign_up_fields
from userpool.web.authenticator.messages import EN, error_text, t
from userpool.web.authenticator.render import error_page, page
from userpool.web.authenticator.security import (
    CHALLENGE_COOKIE,
    clear_session_cookie,
    csrf_ok,
    form_target,
    security_headers,
    session_token,
    set_challenge_cookie,
    set_session_cookie,
)

P = ParamSpec("P")
R = TypeVar("R")

# Where a sign-in waiting on a challenge is sent (challenge_routes.py)
CHALLENGE_PAGES = {
    "NEW_PASSWORD_REQUIRED": "/forceNewPassword",
    "SMS_MFA": "/confirmSignIn",
    "EMAIL_OTP": "/confirmSignIn",
    "SOFTWARE_TOKEN_MFA": "/confirmSignIn",
    "SELECT_MFA_TYPE": "/selectMfaType",
    "MFA_SETUP": "/setupTotp",
}


# -- shared steps ------------------------------------------------------------------------------------------


async def _begin(request: Request) -> AuthorizeRequest | Response:
    """The carried OAuth request, once its client (and redirect URI) check out; else an error page."""
    oauth = oauth_params(request.query_params, default_client_id=pool_of(request).default_client_id)
    if oauth is None:
        return error_page(request, "page_error.invalid_request")
    try:
        await run_flow(
            request,
            hosted.check_page_client,
            oauth.client_id,
            oauth.redirect_uri,
            loopback=loopback_allowed(request),
        )
    except OAuthError as err:
        return error_page(request, f"page_error.{err.error}", detail=err.message)
    return oauth


async def _form(request: Request) -> dict[str, str] | Response:
    """The posted form, once its CSRF token matches this browser; nothing has run before this check."""
    form = await read_form(request)
    if form is None:
        return error_page(request, "page_error.bad_form")
    if not csrf_ok(request, form):
        return error_page(request, "page_error.csrf", status=403, title_id="page_error.csrf_title")
    return form


async def _try(
    request: Request, flow: Callable[Concatenate[Ctx, P], R], *args: P.args, **kwargs: P.kwargs
) -> R | CognitoError:
    try:
        return await run_flow(request, flow, *args, **kwargs)
    except CognitoError as err:
        return err


def _see_other(path: str, oauth: AuthorizeRequest, **extra: str) -> RedirectResponse:
    query = oauth_query(oauth, **extra)
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303, headers=security_headers())


def _render(
    request: Request, template: str, oauth: AuthorizeRequest, *, status: int = 200, **context: object
) -> Response:
    query = oauth_query(oauth)
    target = form_target(oauth.redirect_uri) if oauth.redirect_uri else None
    context.setdefault("username", "")
    return page(
        request,
        template,
        status=status,
        q=f"?{query}" if query else "",
        login=login_field(pool_of(request).config),
        form_targets=[target] if target else [],
        **context,
    )


def _error(page_name: str, err: CognitoError, request: Request) -> str:
    login = t(login_field(pool_of(request).config).label_id).lower()
    return error_text(page_name, err.code, err.message, login=login)


def _notice(request: Request) -> str:
    key = f"notice.{request.query_params.get('notice', '')}"
    return t(key) if key in EN else ""


def _username(source: dict[str, str] | Request) -> str:
    value = source.query_params.get("username", "") if isinstance(source, Request) else source.get("username", "")
    return value.strip()[:256]


def _rules(request: Request) -> list[str]:
    return describe(pool_of(request).config.password_policy)


# -- sign in ---------------------------------------------------------------------------------------------


def _display_name(user: User) -> str:
    a = user.attributes
    return a.get("email") or a.get("phone_number") or a.get("preferred_username") or user.username


async def sign_in(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    if request.method == "POST":
        return await _sign_in_post(request, oauth)
    user = await run_flow(request, hosted.signed_in_user, session_token(request))
    if user is not None and oauth.redirect_uri and "login" not in oauth.prompts:
        return RedirectResponse(f"/oauth2/authorize?{oauth_query(oauth)}", status_code=302)
    if user is not None and not oauth.redirect_uri:
        q = oauth_query(AuthorizeRequest(client_id=oauth.client_id, redirect_uri=""))
        return page(request, "signed_in.html", q=f"?{q}", name=_display_name(user))
    return _render(request, "sign_in.html", oauth, username=_username(request), notice=_notice(request))


async def _sign_in_post(request: Request, oauth: AuthorizeRequest) -> Response:
    form = await _form(request)
    if isinstance(form, Response):
        return form
    username = _username(form)
    result = await _try(
        request,
        hosted_sign_in.sign_in,
        client_id=oauth.client_id,
        username=username,
        password=form.get("password", ""),
        previous_token=session_token(request),
    )
    if isinstance(result, UserNotConfirmedException):  # as Amplify's Authenticator: a new code, then confirm
        await _try(request, hosted.resend_code, client_id=oauth.client_id, username=username)
        return _see_other("/confirm", oauth, username=username)
    if isinstance(result, PasswordResetRequiredException):
        return _see_other("/forgotPassword", oauth, username=username, notice="reset_required")
    if isinstance(result, CognitoError):
        error = _error("sign_in", result, request)
        return _render(request, "sign_in.html", oauth, status=400, username=username, error=error)
    return next_page(request, oauth, result)


def next_page(request: Request, oauth: AuthorizeRequest, result: WebSignIn | PendingPage) -> Response:
    """After a sign-in step: the page of the next challenge (its Session in a cookie), or signed in."""
    if isinstance(result, PendingPage):
        response = _see_other(CHALLENGE_PAGES.get(result.challenge, "/login"), oauth)
        set_challenge_cookie(request, response, result.session)
        return response
    if oauth.redirect_uri:  # signed in just now: prompt=login is answered
        response = _see_other("/oauth2/authorize", dataclasses.replace(oauth, prompt=""))
    else:
        response = _see_other("/login", AuthorizeRequest(client_id=oauth.client_id, redirect_uri=""))
    set_session_cookie(request, response, result.token)
    clear_session_cookie(request, response, CHALLENGE_COOKIE)
    return response


# -- sign up and its confirmation ------------------------------------------------------------------------


async def sign_up(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    fields = sign_up_fields(pool_of(request).config)
    if request.method == "GET":
        return _render(request, "sign_up.html", oauth, rules=_rules(request), attributes=fields)
    form = await _form(request)
    if isinstance(form, Response):
        return form
    username = _username(form)
    values = {f.field: form.get(f.field, "").strip()[:2048] for f in fields}
    password = form.get("password", "")
    error = ""
    if password != form.get("confirm_password", ""):
        error = t("error.passwords_must_match")
    else:
        result = await _try(
            request,
            hosted.sign_up,
            client_id=oauth.client_id,
            username=username,
            password=password,
            attributes={name: value for name, value in values.items() if value},
        )
        if isinstance(result, CognitoError):
            error = _error("sign_up", result, request)
        elif result.confirmed:  # confirmed already (a pre-sign-up trigger, later): straight to sign-in
            return _see_other("/login", oauth, username=username, notice="confirmed")
    if error:
        filled = [f.with_value(values[f.field]) for f in fields]
        return _render(
            request,
            "sign_up.html",
            oauth,
            status=400,
            username=username,
            rules=_rules(request),
            attributes=filled,
            error=error,
        )
    return _see_other("/confirm", oauth, username=username)


def _confirm_page(
    request: Request, oauth: AuthorizeRequest, username: str, *, status: int = 200, **context: object
) -> Response:
    config = pool_of(request).config
    sms = config.auto_verified_attributes[:1] == ("phone_number",)
    looks_right = username.startswith("+") if sms else "@" in username
    destination = mask(username) if username and looks_right else ""
    body_id = ("confirm.body_sms" if sms else "confirm.body_email") if destination else "confirm.body"
    return _render(
        request,
        "confirm_sign_up.html",
        oauth,
        status=status,
        username=username,
        username_known=bool(username),
        title_id="confirm.title_sms" if sms else "confirm.title_email",
        body_id=body_id,
        destination=destination,
        **context,
    )


async def confirm_sign_up(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    if request.method == "GET":
        return _confirm_page(request, oauth, _username(request), notice=_notice(request))
    form = await _form(request)
    if isinstance(form, Response):
        return form
    username = _username(form)
    if form.get("action") == "resend":
        sent = await _try(request, hosted.resend_code, client_id=oauth.client_id, username=username)
        if isinstance(sent, CognitoError):
            return _confirm_page(request, oauth, username, status=400, error=_error("confirm", sent, request))
        return _confirm_page(request, oauth, username, notice=t("notice.code_resent"))
    code = form.get("code", "").strip()[:64]
    done = await _try(request, hosted.confirm_sign_up, client_id=oauth.client_id, username=username, code=code)
    if isinstance(done, CognitoError):
        return _confirm_page(request, oauth, username, status=400, error=_error("confirm", done, request))
    return _see_other("/login", oauth, username=username, notice="confirmed")


async def confirm_link(request: Request) -> Response:
    """GET /confirmUser?client_id&user_name&confirmation_code: the LINK verification style's email link.

    A GET that changes state, as Cognito's is: the 128-bit code in the link is the proof, and it works once."""
    params = request.query_params
    client_id, username = params.get("client_id", "")[:128], params.get("user_name", "")[:256]
    code = params.get("confirmation_code", "")[:64]
    if not (client_id and username and code):
        return error_page(request, "page_error.invalid_request")
    try:
        await run_flow(request, hosted.check_page_client, client_id, "", loopback=loopback_allowed(request))
    except OAuthError as err:
        return error_page(request, f"page_error.{err.error}", detail=err.message)
    done = await _try(request, hosted.confirm_sign_up, client_id=client_id, username=username, code=code)
    if isinstance(done, CognitoError):
        return error_page(request, "page_error.link", detail=_error("confirm", done, request))
    return _see_other("/login", AuthorizeRequest(client_id=client_id, redirect_uri=""), notice="confirmed")


# -- forgot password -------------------------------------------------------------------------------------


async def forgot_password(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    if request.method == "GET":
        return _render(request, "forgot_password.html", oauth, username=_username(request), notice=_notice(request))
    form = await _form(request)
    if isinstance(form, Response):
        return form
    username = _username(form)
    sent = await _try(request, hosted.forgot_password, client_id=oauth.client_id, username=username)
    if isinstance(sent, CognitoError):
        error = _error("forgot", sent, request)
        return _render(request, "forgot_password.html", oauth, status=400, username=username, error=error)
    return _see_other("/confirmForgotPassword", oauth, username=username)


def _reset_page(
    request: Request, oauth: AuthorizeRequest, username: str, *, status: int = 200, **context: object
) -> Response:
    return _render(
        request,
        "confirm_forgot_password.html",
        oauth,
        status=status,
        username=username,
        username_known=bool(username),
        rules=_rules(request),
        **context,
    )


async def confirm_forgot_password(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    if request.method == "GET":
        return _reset_page(request, oauth, _username(request), notice=_notice(request))
    form = await _form(request)
    if isinstance(form, Response):
        return form
    username = _username(form)
    if form.get("action") == "resend":
        sent = await _try(request, hosted.forgot_password, client_id=oauth.client_id, username=username)
        if isinstance(sent, CognitoError):
            return _reset_page(request, oauth, username, status=400, error=_error("reset", sent, request))
        return _reset_page(request, oauth, username, notice=t("notice.code_resent"))
    password = form.get("password", "")
    if password != form.get("confirm_password", ""):
        return _reset_page(request, oauth, username, status=400, error=t("error.passwords_must_match"))
    done = await _try(
        request,
        hosted.confirm_forgot_password,
        client_id=oauth.client_id,
        username=username,
        code=form.get("code", "").strip()[:64],
        password=password,
    )
    if isinstance(done, CognitoError):
        return _reset_page(request, oauth, username, status=400, error=_error("reset", done, request))
    return _see_other("/login", oauth, username=username, notice="password_reset")
