"""Signing operators in and out: /console/sign-in (name and password), /console/sign-in/code (the TOTP
code), /console/sign-out. The rules — throttle, MFA, session ids — are `core/flows/console_sign_in.py`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import run_flow
from userpool.core.errors import CognitoError, NotAuthorizedException
from userpool.core.flows import console_sign_in
from userpool.web.console._http import (
    attempt,
    checked_form,
    clear_session,
    guarded,
    page,
    see_other,
    session_token,
    set_session,
)


@guarded
async def sign_in(request: Request) -> Response:
    if request.method == "GET":
        if await run_flow(request, console_sign_in.current, session_token(request)) is not None:
            return see_other("/console/users")
        notice = "You are signed out." if request.query_params.get("signed_out") else ""
        return page(request, "sign_in.html", name="", notice=notice)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    name = form.get("name", "").strip()[:64]
    result = await attempt(request, console_sign_in.begin, name=name, password=form.get("password", ""))
    if isinstance(result, CognitoError):
        return page(request, "sign_in.html", status=400 if isinstance(result, NotAuthorizedException) else 429,
                    name=name, error=result.message)  # fmt: skip
    response = see_other("/console/sign-in/code")
    set_session(request, response, result)
    return response


@guarded
async def sign_in_code(request: Request) -> Response:
    token = session_token(request)
    if token is None:
        return see_other("/console/sign-in")
    if request.method == "GET":
        return page(request, "sign_in_code.html")
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    result = await attempt(request, console_sign_in.finish, token=token, code=form.get("code", ""))
    if isinstance(result, CognitoError):
        if result.message == console_sign_in.EXPIRED:
            return page(request, "sign_in.html", status=400, name="", error=result.message)
        status = 400 if isinstance(result, NotAuthorizedException) else 429
        return page(request, "sign_in_code.html", status=status, error=result.message)
    response = see_other("/console/users")
    set_session(request, response, result)
    return response


@guarded
async def sign_out(request: Request) -> Response:
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    await run_flow(request, console_sign_in.sign_out, token=session_token(request))
    response = see_other("/console/sign-in?signed_out=1")
    clear_session(request, response)
    return response
