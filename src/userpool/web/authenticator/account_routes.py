"""The pages of a signed-in browser: /verifyUser and /confirmVerifyUser (Amplify's verifyUser and
confirmVerifyUser, right after a sign-in: `core/flows/hosted_verify.py`), and /recoveryCodes (how many are
left, and new ones, shown once)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from userpool.api.oauth.context import pool_of, run_flow
from userpool.api.oauth.params import oauth_query
from userpool.core.errors import CognitoError, NotAuthorizedException
from userpool.core.flows import hosted_sign_in, hosted_verify
from userpool.core.flows.hosted import AuthorizeRequest
from userpool.web.authenticator import fields as f
from userpool.web.authenticator._pages import (
    attempt,
    begin,
    continue_signed_in,
    error_for,
    read_checked_form,
    render,
    see_other,
)
from userpool.web.authenticator.messages import t
from userpool.web.authenticator.security import session_token


async def _choices(request: Request) -> list[tuple[str, str]] | None:
    try:
        return await run_flow(request, hosted_verify.choices, session_token=session_token(request))
    except NotAuthorizedException:
        return None


def _labelled(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, t("verify_user.choice", attribute=t(f"attribute.{name}"), destination=to)) for name, to in choices]


async def verify_user(request: Request) -> Response:
    """Offer to verify an email or phone now (a code is sent), or to skip."""
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    choices = await _choices(request)
    if choices is None:
        return see_other("/login", oauth, notice="sign_in_again")
    if not choices:
        return continue_signed_in(oauth)
    if request.method == "GET":
        return render(request, "verify_user.html", oauth, choices=_labelled(choices))
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    if form.get("action") == "skip":
        return continue_signed_in(oauth)
    attribute = form.get("attribute", "")
    sent = await attempt(request, hosted_verify.send, session_token=session_token(request), attribute=attribute)
    if isinstance(sent, CognitoError):
        error = error_for("verify", sent, request)
        return render(request, "verify_user.html", oauth, status=400, choices=_labelled(choices), error=error)
    return see_other("/confirmVerifyUser", oauth, attribute=attribute)


async def confirm_verify_user(request: Request) -> Response:
    """The code sent to the chosen address; or skip."""
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    choices = await _choices(request)
    if choices is None:
        return see_other("/login", oauth, notice="sign_in_again")
    attribute = request.query_params.get("attribute", "")
    destination = dict(choices).get(attribute)
    if destination is None:
        return continue_signed_in(oauth)
    fields = f.customise(pool_of(request).config, "confirm_verify_user", [f.code()])
    action = f"/confirmVerifyUser?{oauth_query(oauth, attribute=attribute)}"

    def again(status: int = 200, error: str = "") -> Response:
        return render(
            request,
            "confirm_verify_user.html",
            oauth,
            status=status,
            fields=fields,
            attribute=attribute,
            destination=destination,
            error=error,
            action=action,
        )

    if request.method == "GET":
        return again()
    form = await read_checked_form(request)
    if isinstance(form, Response):
        return form
    if form.get("action") == "skip":
        return continue_signed_in(oauth)
    done = await attempt(
        request,
        hosted_verify.confirm,
        session_token=session_token(request),
        attribute=attribute,
        code=form.get("code", "").strip()[:64],
    )
    if isinstance(done, CognitoError):
        return again(400, error_for("verify", done, request))
    if oauth.redirect_uri:
        return continue_signed_in(oauth)
    return see_other("/login", AuthorizeRequest(client_id=oauth.client_id, redirect_uri=""), notice="verified")


async def recovery_codes(request: Request) -> Response:
    oauth = await begin(request)
    if isinstance(oauth, Response):
        return oauth
    generate = False
    if request.method == "POST":
        form = await read_checked_form(request)
        if isinstance(form, Response):
            return form
        generate = True
    view = await run_flow(
        request, hosted_sign_in.recovery_codes_page, session_token=session_token(request), generate=generate
    )
    if view is None:
        return see_other("/login", oauth)
    home = AuthorizeRequest(client_id=oauth.client_id, redirect_uri="")
    return render(request, "recovery_codes.html", home, view=view)
