"""The hosted pages of the challenges after the password.

/confirmSignIn (an SMS, email or authenticator-app code, or a recovery code), /selectMfaType (a factor to
answer with, or — for MFA_SETUP — which factor to set up), /setupTotp (the secret as text, an otpauth://
link and a QR code), /setupEmail (an address for email codes: MFA_SETUP's EMAIL answer, then its code on
/confirmSignIn), /forceNewPassword: each reads the sign-in its browser's challenge cookie names, and posts
the answer to `core/flows/hosted_sign_in.py`. A sign-in that ended (expired, too many wrong codes) sends
the browser back to /login.
"""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import pool_of, run_flow
from userpool.core.errors import CognitoError, NotAuthorizedException
from userpool.core.flows import hosted_sign_in
from userpool.core.flows.hosted import AuthorizeRequest, WebSignIn
from userpool.core.flows.hosted_sign_in import PageState, PendingPage
from userpool.core.flows.mfa import CODE_FIELD, RECOVERY_CODE
from userpool.web.authenticator import fields as f
from userpool.web.authenticator._pages import (
    CHALLENGE_PAGES,
    attempt,
    begin,
    error_for,
    next_page,
    password_rules,
    read_checked_form,
    render,
    see_other,
)
from userpool.web.authenticator.messages import EN, t
from userpool.web.authenticator.security import challenge_session, session_token

_CODE_CHALLENGES = tuple(CODE_FIELD)
SETUP_PAGES = {"TOTP": "/setupTotp", "EMAIL": "/setupEmail"}  # the factors a page can set up
_WIRE = {"SMS": "SMS_MFA", "TOTP": "SOFTWARE_TOKEN_MFA", "EMAIL": "EMAIL_OTP"}


async def _state(request: Request, oauth: AuthorizeRequest, expected: tuple[str, ...]) -> PageState | Response:
    """The sign-in this browser is in the middle of; elsewhere if it waits on another page or on nothing."""
    try:
        state = await run_flow(request, hosted_sign_in.page_state, session=challenge_session(request))
    except NotAuthorizedException:
        return see_other("/login", oauth, notice="sign_in_again")
    if state.challenge not in expected:
        return see_other(CHALLENGE_PAGES.get(state.challenge, "/login"), oauth)
    return state


def _after(
    request: Request, oauth: AuthorizeRequest, result: WebSignIn | PendingPage | CognitoError, again: Response
) -> Response:
    if isinstance(result, NotAuthorizedException):  # the sign-in is over: start again
        return see_other("/login", oauth, notice="sign_in_again")
    if isinstance(result, CognitoError):
        return again
    return next_page(request, oauth, result)


def _settable(state: PageState) -> list[str]:
    return [factor for factor in state.can_setup if factor in SETUP_PAGES]


# -- /confirmSignIn ----------------------------------------------------------------------------------------


def _code_page(
    request: Request, oauth: AuthorizeRequest, state: PageState, *, status: int = 200, **context: object
) -> Response:
    factor = state.factor or "TOTP"
    config = pool_of(request).config
    fields = f.customise(config, "confirm_sign_in", [f.code(required=False)])
    recovery = f.Field(
        "recovery_code",
        t("field.recovery_code"),
        autocomplete="off",
        placeholder=t("placeholder.recovery_code"),
        required=False,
    )
    return render(
        request,
        "confirm_sign_in.html",
        oauth,
        status=status,
        title_id=f"confirm_sign_in.title_{factor}",
        body_id=f"confirm_sign_in.body_{factor}",
        destination=state.destination,
        fields=fields,
        recovery=f.customise(config, "confirm_sign_in", [recovery]),
        **context,
    )


async def confirm_sign_in(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, _CODE_CHALLENGES)
    if isinstance(state, Response):
        return state
    if request.method == "GET":
        return _code_page(request, oauth, state)
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    recovery = form.get("recovery_code", "").strip()[:64]
    use_recovery = form.get("action") == "recovery" or (recovery and not form.get("code", "").strip())
    answer = {RECOVERY_CODE: recovery} if use_recovery else {CODE_FIELD[state.challenge]: form.get("code", "")[:64]}
    result = await attempt(
        request,
        hosted_sign_in.answer,
        client_id=oauth.client_id,
        session=challenge_session(request),
        responses={k: v.strip() for k, v in answer.items()},
        previous_token=session_token(request),
    )
    error = error_for("challenge", result, request) if isinstance(result, CognitoError) else ""
    return _after(request, oauth, result, _code_page(request, oauth, state, status=400, error=error))


# -- /selectMfaType ----------------------------------------------------------------------------------------


async def select_mfa_type(request: Request) -> Response:
    """SELECT_MFA_TYPE: which factor answers this sign-in. MFA_SETUP: which factor to set up (a page of its
    own only when there are two this page can set up)."""
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, ("SELECT_MFA_TYPE", "MFA_SETUP"))
    if isinstance(state, Response):
        return state
    setup = state.challenge == "MFA_SETUP"
    if setup:
        settable = _settable(state)
        if state.secret or len(settable) == 1:  # an app already being set up, or one choice only
            return see_other(SETUP_PAGES["TOTP" if state.secret else settable[0]], oauth)
        if not settable:
            return see_other("/login", oauth, notice="mfa_setup_elsewhere")
    options = _settable(state) if setup else list(state.choices)
    choices = [(c, f"mfa.{c}") for c in options if f"mfa.{c}" in EN]
    titles = ("select_mfa.setup_title", "select_mfa.setup_body") if setup else ("select_mfa.title", "select_mfa.body")

    def again(status: int = 200, error: str = "") -> Response:
        return render(
            request,
            "select_mfa_type.html",
            oauth,
            status=status,
            choices=choices,
            title_id=titles[0],
            body_id=titles[1],
            error=error,
        )

    if request.method == "GET":
        return again()
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    chosen = form.get("mfa", "")
    if setup:
        return see_other(SETUP_PAGES[chosen], oauth) if chosen in options else again(400, t("error.unknown"))
    result = await attempt(
        request,
        hosted_sign_in.answer,
        client_id=oauth.client_id,
        session=challenge_session(request),
        responses={"ANSWER": _WIRE.get(chosen, "")},
        previous_token=session_token(request),
    )
    error = error_for("challenge", result, request) if isinstance(result, CognitoError) else ""
    return _after(request, oauth, result, again(400, error))


# -- /setupTotp and /setupEmail ----------------------------------------------------------------------------


def _setup_page(
    request: Request, oauth: AuthorizeRequest, state: PageState, *, status: int = 200, **context: object
) -> Response:
    config = pool_of(request).config
    qr_options = config.authenticator.form_fields.get("setup_totp", {}).get("QR")
    issuer = (qr_options.totp_issuer if qr_options else None) or config.pool_id
    account = qr_options.totp_username if qr_options and qr_options.totp_username else state.account
    uri = hosted_sign_in.setup_uri(PageState(state.challenge, secret=state.secret, account=account), issuer)
    import segno  # here: only the TOTP set-up page draws a QR code, and most servers never show it

    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#0d1a26")) if uri else ""  # noqa: S704
    fields = f.customise(config, "setup_totp", [f.code()])
    return render(
        request, "setup_totp.html", oauth, status=status, secret=state.secret, uri=uri, qr=qr, fields=fields, **context
    )


async def setup_totp(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, ("MFA_SETUP",))
    if isinstance(state, Response):
        return state
    if "TOTP" not in state.can_setup:
        return see_other("/selectMfaType", oauth)
    if request.method == "GET":
        if not state.secret:  # the first visit makes the secret (AssociateSoftwareToken): a new Session
            session = await run_flow(request, hosted_sign_in.associate_totp, session=challenge_session(request))
            return next_page(request, oauth, PendingPage("MFA_SETUP", session))  # → /selectMfaType → here
        return _setup_page(request, oauth, state)
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    result = await attempt(
        request,
        hosted_sign_in.verify_totp,
        client_id=oauth.client_id,
        session=challenge_session(request),
        code=form.get("code", "").strip()[:64],
        previous_token=session_token(request),
    )
    error = error_for("challenge", result, request) if isinstance(result, CognitoError) else ""
    return _after(request, oauth, result, _setup_page(request, oauth, state, status=400, error=error))


async def setup_email(request: Request) -> Response:
    """MFA_SETUP by email: the address is the answer (a code goes there), then /confirmSignIn takes the code,
    which makes it the user's verified email with email MFA on."""
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, ("MFA_SETUP",))
    if isinstance(state, Response):
        return state
    if "EMAIL" not in state.can_setup or state.secret:
        return see_other("/selectMfaType", oauth)
    config = pool_of(request).config
    fields = f.customise(config, "setup_email", [f.attribute("email")])
    fields = [field.with_value(state.account if "@" in state.account else "") for field in fields]

    def again(status: int = 200, error: str = "", value: str | None = None) -> Response:
        shown = fields if value is None else [field.with_value(value) for field in fields]
        return render(request, "setup_email.html", oauth, status=status, fields=shown, error=error)

    if request.method == "GET":
        return again()
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    email = form.get("email", "").strip()[:256]
    result = await attempt(
        request,
        hosted_sign_in.answer,
        client_id=oauth.client_id,
        session=challenge_session(request),
        responses={"EMAIL": email},
        previous_token=session_token(request),
    )
    error = error_for("challenge", result, request) if isinstance(result, CognitoError) else ""
    return _after(request, oauth, result, again(400, error, email))


# -- /forceNewPassword -------------------------------------------------------------------------------------


async def force_new_password(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    state = await _state(request, oauth, ("NEW_PASSWORD_REQUIRED",))
    if isinstance(state, Response):
        return state
    config = pool_of(request).config
    attributes = [f.attribute(name) for name in state.required if f"attribute.{name}" in EN]
    defaults = [f.password(new=True), f.password("confirm_password"), *attributes]
    fields = f.customise(config, "force_new_password", defaults)

    def page(status: int = 200, error: str = "", form: dict[str, str] | None = None) -> Response:
        shown = [
            field.with_value(form.get(field.key, "")[:2048]) if form and field.type != "password" else field
            for field in fields
        ]
        return render(
            request,
            "force_new_password.html",
            oauth,
            status=status,
            error=error,
            rules=password_rules(request),
            fields=shown,
        )

    if request.method == "GET":
        return page()
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    password = form.get("password", "")
    empty = f.missing(fields, form)
    if empty is not None:
        return page(400, t("error.field_required", field=empty.label), form)
    if password != form.get("confirm_password", ""):
        return page(400, t("error.passwords_must_match"), form)
    responses = {"NEW_PASSWORD": password, **hosted_sign_in.new_password_fields(state.required, form)}
    result = await attempt(
        request,
        hosted_sign_in.answer,
        client_id=oauth.client_id,
        session=challenge_session(request),
        responses=responses,
        previous_token=session_token(request),
    )
    error = error_for("challenge", result, request, password=password) if isinstance(result, CognitoError) else ""
    return _after(request, oauth, result, page(400, error, form))
