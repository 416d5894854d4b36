"""The hosted pages of the challenges after the password, and the recovery-code page.

/confirmSignIn (an SMS, email or authenticator-app code, or a recovery code), /selectMfaType, /setupTotp
(the secret as text, an otpauth:// link and a QR code), /forceNewPassword: each reads the sign-in its
browser's challenge cookie names, and posts the answer to `core/flows/hosted_sign_in.py`. A sign-in that
ended (expired, too many wrong codes) sends the browser back to /login. /recoveryCodes shows a signed-in
browser how many codes are left and generates new ones, shown once.
"""

from __future__ import annotations

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import pool_of, run_flow
from userpool.core.errors import CognitoError, NotAuthorizedException
from userpool.core.flows import hosted_sign_in
from userpool.core.flows.hosted import AuthorizeRequest, WebSignIn
from userpool.core.flows.hosted_sign_in import PageState, PendingPage
from userpool.core.flows.mfa import CODE_FIELD, RECOVERY_CODE
from userpool.web.authenticator.fields import AttributeField, sign_up_fields
from userpool.web.authenticator.messages import EN, t
from userpool.web.authenticator.routes import (
    CHALLENGE_PAGES,
    _begin,
    _error,
    _form,
    _render,
    _rules,
    _see_other,
    _try,
    next_page,
)
from userpool.web.authenticator.security import challenge_session, session_token

_CODE_CHALLENGES = tuple(CODE_FIELD)


async def _state(request: Request, oauth: AuthorizeRequest, expected: tuple[str, ...]) -> PageState | Response:
    """The sign-in this browser is in the middle of; elsewhere if it waits on another page or on nothing."""
    try:
        state = await run_flow(request, hosted_sign_in.page_state, session=challenge_session(request))
    except NotAuthorizedException:
        return _see_other("/login", oauth, notice="sign_in_again")
    if state.challenge not in expected:
        return _see_other(CHALLENGE_PAGES.get(state.challenge, "/login"), oauth)
    return state


def _after(
    request: Request, oauth: AuthorizeRequest, result: WebSignIn | PendingPage | CognitoError, again: Response
) -> Response:
    if isinstance(result, NotAuthorizedException):  # the sign-in is over: start again
        return _see_other("/login", oauth, notice="sign_in_again")
    if isinstance(result, CognitoError):
        return again
    return next_page(request, oauth, result)


# -- /confirmSignIn ----------------------------------------------------------------------------------------


def _code_page(
    request: Request, oauth: AuthorizeRequest, state: PageState, *, status: int = 200, **context: object
) -> Response:
    factor = state.factor or "TOTP"
    return _render(
        request,
        "confirm_sign_in.html",
        oauth,
        status=status,
        title_id=f"confirm_sign_in.title_{factor}",
        body_id=f"confirm_sign_in.body_{factor}",
        destination=state.destination,
        **context,
    )


async def confirm_sign_in(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, _CODE_CHALLENGES)
    if isinstance(state, Response):
        return state
    if request.method == "GET":
        return _code_page(request, oauth, state)
    form = await _form(request)
    if isinstance(form, Response):
        return form
    recovery = form.get("recovery_code", "").strip()[:64]
    use_recovery = form.get("action") == "recovery" or (recovery and not form.get("code", "").strip())
    answer = {RECOVERY_CODE: recovery} if use_recovery else {CODE_FIELD[state.challenge]: form.get("code", "")[:64]}
    result = await _try(
        request,
        hosted_sign_in.answer,
        client_id=oauth.client_id,
        session=challenge_session(request),
        responses={k: v.strip() for k, v in answer.items()},
        previous_token=session_token(request),
    )
    error = _error("challenge", result, request) if isinstance(result, CognitoError) else ""
    return _after(request, oauth, result, _code_page(request, oauth, state, status=400, error=error))


# -- /selectMfaType ----------------------------------------------------------------------------------------


async def select_mfa_type(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, ("SELECT_MFA_TYPE",))
    if isinstance(state, Response):
        return state
    choices = [(c, f"mfa.{c}") for c in state.choices if f"mfa.{c}" in EN]
    if request.method == "GET":
        return _render(request, "select_mfa_type.html", oauth, choices=choices)
    form = await _form(request)
    if isinstance(form, Response):
        return form
    wire = {"SMS": "SMS_MFA", "TOTP": "SOFTWARE_TOKEN_MFA", "EMAIL": "EMAIL_OTP"}
    result = await _try(
        request,
        hosted_sign_in.answer,
        client_id=oauth.client_id,
        session=challenge_session(request),
        responses={"ANSWER": wire.get(form.get("mfa", ""), "")},
        previous_token=session_token(request),
    )
    error = _error("challenge", result, request) if isinstance(result, CognitoError) else ""
    again = _render(request, "select_mfa_type.html", oauth, status=400, choices=choices, error=error)
    return _after(request, oauth, result, again)


# -- /setupTotp --------------------------------------------------------------------------------------------


def _setup_page(
    request: Request, oauth: AuthorizeRequest, state: PageState, *, status: int = 200, **context: object
) -> Response:
    issuer = pool_of(request).config.pool_id
    uri = hosted_sign_in.setup_uri(state, issuer)
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#0d1a26")) if uri else ""  # noqa: S704
    return _render(request, "setup_totp.html", oauth, status=status, secret=state.secret, uri=uri, qr=qr, **context)


async def setup_totp(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, ("MFA_SETUP",))
    if isinstance(state, Response):
        return state
    if "TOTP" not in state.can_setup:
        return _see_other("/login", oauth, notice="mfa_setup_elsewhere")
    if request.method == "GET":
        if not state.secret:  # the first visit makes the secret (AssociateSoftwareToken): a new Session
            session = await run_flow(request, hosted_sign_in.associate_totp, session=challenge_session(request))
            return next_page(request, oauth, PendingPage("MFA_SETUP", session))
        return _setup_page(request, oauth, state)
    form = await _form(request)
    if isinstance(form, Response):
        return form
    result = await _try(
        request,
        hosted_sign_in.verify_totp,
        client_id=oauth.client_id,
        session=challenge_session(request),
        code=form.get("code", "").strip()[:64],
        previous_token=session_token(request),
    )
    error = _error("challenge", result, request) if isinstance(result, CognitoError) else ""
    return _after(request, oauth, result, _setup_page(request, oauth, state, status=400, error=error))


# -- /forceNewPassword -------------------------------------------------------------------------------------


def _required_fields(request: Request, state: PageState, form: dict[str, str] | None = None) -> list[AttributeField]:
    known = {f.field: f for f in sign_up_fields(pool_of(request).config)}
    fields = [known.get(name) or AttributeField(name, f"attribute.{name}") for name in state.required]
    fields = [f for f in fields if f.label_id in EN]
    return [f.with_value(form.get(f.field, "")[:2048]) for f in fields] if form else fields


async def force_new_password(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, ("NEW_PASSWORD_REQUIRED",))
    if isinstance(state, Response):
        return state

    def page(status: int = 200, error: str = "", form: dict[str, str] | None = None) -> Response:
        fields = _required_fields(request, state, form)
        return _render(request, "force_new_password.html", oauth, status=status, error=error, rules=_rules(request),
                       attributes=fields)  # fmt: skip

    if request.method == "GET":
        return page()
    form = await _form(request)
    if isinstance(form, Response):
        return form
    password = form.get("password", "")
    if password != form.get("confirm_password", ""):
        return page(400, t("error.passwords_must_match"), form)
    responses = {"NEW_PASSWORD": password, **hosted_sign_in.new_password_fields(state.required, form)}
    result = await _try(
        request,
        hosted_sign_in.answer,
        client_id=oauth.client_id,
        session=challenge_session(request),
        responses=responses,
        previous_token=session_token(request),
    )
    error = _error("challenge", result, request) if isinstance(result, CognitoError) else ""
    return _after(request, oauth, result, page(400, error, form))


# -- /recoveryCodes ----------------------------------------------------------------------------------------


async def recovery_codes(request: Request) -> Response:
    oauth = await _begin(request)
    if isinstance(oauth, Response):
        return oauth
    generate = False
    if request.method == "POST":
        form = await _form(request)
        if isinstance(form, Response):
            return form
        generate = True
    view = await run_flow(
        request, hosted_sign_in.recovery_codes_page, session_token=session_token(request), generate=generate
    )
    if view is None:
        return _see_other("/login", oauth)
    home = AuthorizeRequest(client_id=oauth.client_id, redirect_uri="")
    return _render(request, "recovery_codes.html", home, view=view)
