"""The hosted Authenticator's entry pages: /login (signIn, with the definition's social providers), /signup
(signUp), /confirm (confirmSignUp, with resend) and /confirmUser (the LINK style's email link). Password
reset is `recovery_routes.py`; the pages after the password are `challenge_routes.py`; verifyUser and the
recovery codes are `account_routes.py`.

Each handler is thin: check the app client (and redirect URI) the query names, check CSRF on a POST, run one
flow, then render the page again with a message or redirect (POST → 303 → GET). The OAuth query rides along
in every link and form action, so a user who signs up, confirms and signs in still lands at the app's
redirect_uri with a code.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from userpool.api.oauth.context import loopback_allowed, pool_of, run_flow
from userpool.api.oauth.params import oauth_query
from userpool.core.attributes import mask
from userpool.core.errors import CognitoError, PasswordResetRequiredException, UserNotConfirmedException
from userpool.core.flows import hosted, hosted_sign_in
from userpool.core.flows.hosted import AuthorizeRequest, OAuthError
from userpool.core.model import User
from userpool.web.authenticator import fields as f
from userpool.web.authenticator._pages import (
    PROVIDER_LABELS,
    attempt,
    begin,
    error_for,
    next_page,
    notice,
    password_rules,
    read_checked_form,
    render,
    see_other,
    username_of,
)
from userpool.web.authenticator.messages import t
from userpool.web.authenticator.render import error_page, page
from userpool.web.authenticator.security import session_token

# -- sign in ---------------------------------------------------------------------------------------------


def _display_name(user: User) -> str:
    a = user.attributes
    return a.get("email") or a.get("phone_number") or a.get("preferred_username") or user.username


def providers(request: Request, oauth: AuthorizeRequest) -> list[tuple[str, str, str]]:
    """(provider, button text, href) for each external provider the definition declares."""
    query = oauth_query(oauth)
    found = []
    for name in pool_of(request).config.identity_providers:
        href = "/oauth2/authorize?" + urlencode({"identity_provider": name}) + (f"&{query}" if query else "")
        found.append((name, t("sign_in.with_provider", provider=PROVIDER_LABELS.get(name, name)), href))
    return found


def _sign_in_page(request: Request, oauth: AuthorizeRequest, *, status: int = 200, **context: object) -> Response:
    config = pool_of(request).config
    fields = f.customise(config, "sign_in", [f.username(config), f.password()])
    username = str(context.pop("username", ""))
    fields = [field.with_value(username) if field.key == "username" else field for field in fields]
    return render(
        request,
        "sign_in.html",
        oauth,
        status=status,
        fields=fields,
        providers=providers(request, oauth),
        show_sign_up=not config.authenticator.hide_sign_up,
        **context,
    )


async def sign_in(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    if request.method == "POST":
        return await _sign_in_post(request, oauth)
    user = await run_flow(request, hosted.signed_in_user, session_token(request))
    if user is not None and oauth.redirect_uri and "login" not in oauth.prompts:
        return RedirectResponse(f"/oauth2/authorize?{oauth_query(oauth)}", status_code=302)
    if user is not None and not oauth.redirect_uri:
        q = oauth_query(AuthorizeRequest(client_id=oauth.client_id, redirect_uri=""))
        # The page a user lands on after setting up TOTP or email MFA here: it offers recovery codes.
        codes = await run_flow(request, hosted_sign_in.recovery_codes_page, session_token=session_token(request))
        return page(
            request, "signed_in.html", q=f"?{q}", name=_display_name(user), notice=notice(request), recovery=codes
        )
    return _sign_in_page(request, oauth, username=username_of(request), notice=notice(request))


async def _sign_in_post(request: Request, oauth: AuthorizeRequest) -> Response:
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    username = username_of(form)
    result = await attempt(
        request,
        hosted_sign_in.sign_in,
        client_id=oauth.client_id,
        username=username,
        password=form.get("password", ""),
        previous_token=session_token(request),
    )
    if isinstance(result, UserNotConfirmedException):  # as Amplify's Authenticator: a new code, then confirm
        await attempt(request, hosted.resend_code, client_id=oauth.client_id, username=username)
        return see_other("/confirm", oauth, username=username)
    if isinstance(result, PasswordResetRequiredException):
        return see_other("/forgotPassword", oauth, username=username, notice="reset_required")
    if isinstance(result, CognitoError):
        error = error_for("sign_in", result, request)
        return _sign_in_page(request, oauth, status=400, username=username, error=error)
    return next_page(request, oauth, result)


# -- sign up and its confirmation ------------------------------------------------------------------------


def _sign_up_fields(request: Request) -> list[f.Field]:
    config = pool_of(request).config
    defaults = [f.username(config), f.password(new=True), f.password("confirm_password"), *f.sign_up_fields(config)]
    return f.customise(config, "sign_up", defaults, extra=True)


async def sign_up(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    if pool_of(request).config.authenticator.hide_sign_up:
        return error_page(request, "page_error.sign_up_hidden", status=403)
    fields = _sign_up_fields(request)
    rules = password_rules(request)
    if request.method == "GET":
        return render(request, "sign_up.html", oauth, rules=rules, fields=fields)
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    username = username_of(form)
    attributes = [field for field in fields if field.key not in ("username", "password", "confirm_password")]
    values = {field.key: form.get(field.key, "").strip()[:2048] for field in attributes}
    password = form.get("password", "")
    error = ""
    empty = f.missing(fields, form)
    if empty is not None:
        error = t("error.field_required", field=empty.label)
    elif password != form.get("confirm_password", ""):
        error = t("error.passwords_must_match")
    else:
        result = await attempt(
            request,
            hosted.sign_up,
            client_id=oauth.client_id,
            username=username,
            password=password,
            attributes={name: value for name, value in values.items() if value},
        )
        if isinstance(result, CognitoError):
            error = error_for("sign_up", result, request, password=password)
        elif result.confirmed:  # confirmed already (a pre-sign-up trigger): straight to sign-in
            return see_other("/login", oauth, username=username, notice="confirmed")
    if error:
        kept = {"username": username, **values}
        filled = [field.with_value(kept[field.key]) if field.key in kept else field for field in fields]
        return render(request, "sign_up.html", oauth, status=400, rules=rules, fields=filled, error=error)
    return see_other("/confirm", oauth, username=username)


def _confirm_page(
    request: Request, oauth: AuthorizeRequest, username: str, *, status: int = 200, **context: object
) -> Response:
    config = pool_of(request).config
    sms = config.auto_verified_attributes[:1] == ("phone_number",)
    looks_right = username.startswith("+") if sms else "@" in username
    destination = mask(username) if username and looks_right else ""
    body_id = ("confirm.body_sms" if sms else "confirm.body_email") if destination else "confirm.body"
    defaults = (
        [f.code("field.confirmation_code")] if username else [f.username(config), f.code("field.confirmation_code")]
    )
    return render(
        request,
        "confirm_sign_up.html",
        oauth,
        status=status,
        username=username,
        fields=f.customise(config, "confirm_sign_up", defaults),
        title_id="confirm.title_sms" if sms else "confirm.title_email",
        body_id=body_id,
        destination=destination,
        **context,
    )


async def confirm_sign_up(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    if request.method == "GET":
        return _confirm_page(request, oauth, username_of(request), notice=notice(request))
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    username = username_of(form)
    if form.get("action") == "resend":
        sent = await attempt(request, hosted.resend_code, client_id=oauth.client_id, username=username)
        if isinstance(sent, CognitoError):
            return _confirm_page(request, oauth, username, status=400, error=error_for("confirm", sent, request))
        return _confirm_page(request, oauth, username, notice=t("notice.code_resent"))
    code = form.get("code", "").strip()[:64]
    done = await attempt(request, hosted.confirm_sign_up, client_id=oauth.client_id, username=username, code=code)
    if isinstance(done, CognitoError):
        return _confirm_page(request, oauth, username, status=400, error=error_for("confirm", done, request))
    return see_other("/login", oauth, username=username, notice="confirmed")


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
    done = await attempt(request, hosted.confirm_sign_up, client_id=client_id, username=username, code=code)
    if isinstance(done, CognitoError):
        return error_page(request, "page_error.link", detail=error_for("confirm", done, request))
    return see_other("/login", AuthorizeRequest(client_id=client_id, redirect_uri=""), notice="confirmed")
