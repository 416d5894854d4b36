"""What every hosted page handler shares: the carried OAuth request, the CSRF-checked form, running a flow,
rendering, the POST → 303 → GET redirects, and where a sign-in goes after each step."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from userpool.api import equal_time
from userpool.api.client_address import client_address
from userpool.api.oauth.context import loopback_allowed, pool_of, run_flow
from userpool.api.oauth.params import oauth_params, oauth_query, read_form
from userpool.core import lockout, rate_limits
from userpool.core.context import Ctx
from userpool.core.errors import CognitoError
from userpool.core.flows import hosted, hosted_sign_in, hosted_verify
from userpool.core.flows.hosted import AuthorizeRequest, OAuthError, WebSignIn
from userpool.core.flows.hosted_sign_in import PendingPage
from userpool.web.authenticator.fields import login_field
from userpool.web.authenticator.messages import EN, error_text, t
from userpool.web.authenticator.password import Rule, broken_rules_text, rules
from userpool.web.authenticator.render import error_page, page
from userpool.web.authenticator.security import (
    CHALLENGE_COOKIE,
    clear_session_cookie,
    csrf_ok,
    form_target,
    security_headers,
    set_challenge_cookie,
    set_session_cookie,
)

P = ParamSpec("P")
R = TypeVar("R")

# Where a sign-in waiting on a challenge is sent (challenge_routes.py). MFA_SETUP goes to /selectMfaType,
# which sends it on to /setupTotp or /setupEmail when only one can be set up here.
CHALLENGE_PAGES = {
    "NEW_PASSWORD_REQUIRED": "/forceNewPassword",
    "SMS_MFA": "/confirmSignIn",
    "EMAIL_OTP": "/confirmSignIn",
    "SOFTWARE_TOKEN_MFA": "/confirmSignIn",
    "SELECT_MFA_TYPE": "/selectMfaType",
    "MFA_SETUP": "/selectMfaType",
}
# Cognito's provider names → the name on the button (Amplify's "Sign In with Amazon", …)
PROVIDER_LABELS = {"LoginWithAmazon": "Amazon", "SignInWithApple": "Apple"}
# Amplify's initialState → the page /oauth2/authorize sends a signed-out browser to
START_PAGES = {"sign_in": "/login", "sign_up": "/signup", "forgot_password": "/forgotPassword"}


async def begin(request: Request) -> AuthorizeRequest | Response:
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


async def read_checked_form(request: Request) -> dict[str, str] | Response:
    """The posted form, once its CSRF token matches this browser; nothing has run before this check."""
    form = await read_form(request)
    if form is None:
        return error_page(request, "page_error.bad_form")
    if not csrf_ok(request, form):
        return error_page(request, "page_error.csrf", status=403, title_id="page_error.csrf_title")
    return form


# The per-address rate limit each form's flow counts against (core/rate_limits.py).
RATE_LIMITED: dict[Callable[..., object], str] = {
    hosted_sign_in.sign_in: rate_limits.SIGN_IN,
    hosted_sign_in.answer: rate_limits.SIGN_IN,
    hosted_sign_in.verify_totp: rate_limits.SIGN_IN,  # a TOTP code being set up is a guess like any other
    hosted.sign_up: rate_limits.SIGN_UP,
    hosted.confirm_sign_up: rate_limits.SIGN_UP,
    hosted.resend_code: rate_limits.CODE_SEND,
    hosted_verify.send: rate_limits.CODE_SEND,
    hosted_verify.confirm: rate_limits.CODE_SEND,
    hosted.forgot_password: rate_limits.PASSWORD_RESET,
    hosted.confirm_forgot_password: rate_limits.PASSWORD_RESET,
}
# The forms that name a user answer no sooner than a known user's would (api/equal_time.py), by floor name.
EQUAL_TIME: dict[Callable[..., object], str] = {
    hosted_sign_in.sign_in: "web:sign_in",
    hosted.confirm_sign_up: "web:confirm_sign_up",
    hosted.resend_code: "web:resend_code",
    hosted.forgot_password: "web:forgot_password",
    hosted.confirm_forgot_password: "web:confirm_forgot_password",
}


async def attempt(
    request: Request, flow: Callable[Concatenate[Ctx, P], R], *args: P.args, **kwargs: P.kwargs
) -> R | CognitoError:
    try:
        limited = RATE_LIMITED.get(flow)
        if limited is not None:
            await run_in_threadpool(pool_of(request).limit, limited, client_address(request))
        hold = EQUAL_TIME.get(flow)
        if hold is not None:
            pool = pool_of(request)
            client_id = str(kwargs["client_id"])
            return await equal_time.run(pool, hold, client_id, pool.run, flow, *args, **kwargs)
        return await run_flow(request, flow, *args, **kwargs)
    except CognitoError as err:
        return err


def see_other(path: str, oauth: AuthorizeRequest, **extra: str) -> RedirectResponse:
    query = oauth_query(oauth, **extra)
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303, headers=security_headers())


def render(
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


def error_for(page_name: str, err: CognitoError, request: Request, *, password: str = "") -> str:
    """The text a page shows for a core error, in the page's language; a refused password names the pool's
    rules it breaks."""
    if err.code == "InvalidPasswordException" and password:
        broken = broken_rules_text(pool_of(request).config.password_policy, password)
        if broken:
            return broken
    if err.code == "NotAuthorizedException" and err.message == lockout.LOCKED_MESSAGE:
        return t("error.limit_exceeded")  # locked (core/lockout.py): say so, not "incorrect password"
    login = t(login_field(pool_of(request).config).label_id).lower()
    return error_text(page_name, err.code, err.message, login=login)


def notice(request: Request) -> str:
    key = f"notice.{request.query_params.get('notice', '')}"
    return t(key) if key in EN else ""


def username_of(source: dict[str, str] | Request) -> str:
    value = source.query_params.get("username", "") if isinstance(source, Request) else source.get("username", "")
    return value.strip()[:256]


def password_rules(request: Request) -> list[Rule]:
    return rules(pool_of(request).config.password_policy)


def next_page(request: Request, oauth: AuthorizeRequest, result: WebSignIn | PendingPage) -> Response:
    """After a sign-in step: the page of the next challenge (its Session in a cookie), or signed in — then
    /verifyUser first when the user has no verified contact the pool verifies (Amplify's verifyUser)."""
    if isinstance(result, PendingPage):
        response = see_other(CHALLENGE_PAGES.get(result.challenge, "/login"), oauth)
        set_challenge_cookie(request, response, result.session)
        return response
    if hosted_verify.needs_verification(pool_of(request).config, result.user):
        response = see_other("/verifyUser", oauth)
    else:
        response = continue_signed_in(oauth)
    set_session_cookie(request, response, result.token)
    clear_session_cookie(request, response, CHALLENGE_COOKIE)
    return response


def continue_signed_in(oauth: AuthorizeRequest) -> RedirectResponse:
    """A signed-in browser goes back to the app (a code, through /oauth2/authorize), or to the signed-in page."""
    if oauth.redirect_uri:  # signed in just now: prompt=login is answered
        return see_other("/oauth2/authorize", dataclasses.replace(oauth, prompt=""))
    return see_other("/login", AuthorizeRequest(client_id=oauth.client_id, redirect_uri=""))
