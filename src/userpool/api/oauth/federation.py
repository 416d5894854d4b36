"""Sign-in upstream over HTTP: /oauth2/authorize?identity_provider=… sends the browser to the provider, and
the provider sends it back to /oauth2/idpresponse (Cognito's path, so a provider console set up for Cognito
needs only the host changed).

The browser carries a cookie for the trip (`userpool-federation`, 43 random characters, only its hash
stored), so a `state` stolen or planted in another browser is refused (login CSRF). Apple answers with a
cross-site POST (form_post), which carries no SameSite=Lax cookie: the code is exchanged on that POST, while
Apple's one-time `user` field (the name shared at the first sign-in) is at hand, and the verified identity
is handed to a GET of the same path, where the cookie shows it is the browser that left (as for SAML).
"""

from __future__ import annotations

from dataclasses import replace

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from userpool.api.oauth.context import loopback_allowed, pool_of, run_flow
from userpool.api.oauth.params import read_form, with_query
from userpool.core.config import UpstreamSettings
from userpool.core.flows import federation as flow
from userpool.core.flows.hosted import MAX_PARAM, AuthorizeRequest, OAuthError
from userpool.federation import Provider, Return, UpstreamError, apple, provider_for
from userpool.federation.base import TIMEOUT
from userpool.web.authenticator.render import error_page, html_guard
from userpool.web.authenticator.security import (
    clear_session_cookie,
    read_cookie,
    security_headers,
    session_token,
    set_session_cookie,
    write_cookie,
)

FEDERATION_COOKIE = "userpool-federation"
APPLE = "SignInWithApple"
MAX_SAML = 512 * 1024  # a signed response with a few attributes is a few KB
CALLBACK_PATH = "/oauth2/idpresponse"
# RFC 6749 §4.1.2.1's codes pass through; anything else a provider says (Apple's user_cancelled_authorize,
# Facebook's error_reason) is the user saying no, as far as the app is concerned.
_OAUTH_ERRORS = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "login_required",
        "consent_required",
        "interaction_required",
    }
)


def callback_uri(request: Request) -> str:
    return pool_of(request).config.endpoint + CALLBACK_PATH


def _provider(request: Request, settings: UpstreamSettings) -> Provider:
    config = pool_of(request).config
    return provider_for(settings, pool_id=config.pool_id, endpoint=config.endpoint)


def _redirect(uri: str) -> RedirectResponse:
    return RedirectResponse(uri, status_code=302, headers=security_headers())


def _back_to_app(req: AuthorizeRequest, error: str, description: str) -> RedirectResponse:
    return _redirect(with_query(req.redirect_uri, error=error, error_description=description, state=req.state))


def _refusal(request: Request, err: OAuthError) -> Response:
    if err.redirect_uri is None:
        return error_page(request, f"page_error.{err.error}", detail=err.message)
    return _redirect(with_query(err.redirect_uri, error=err.error, error_description=err.message, state=err.state))


async def start(request: Request, req: AuthorizeRequest, *, provider: str, identifier: str) -> Response:
    """Park the app's request and send the browser to the provider."""
    try:
        departure = await run_flow(
            request, flow.begin, req, provider=provider, identifier=identifier, loopback=loopback_allowed(request)
        )
    except OAuthError as err:
        return _refusal(request, err)
    back = Return(callback_uri(request), departure.state, departure.nonce, departure.code_verifier)
    try:
        upstream = _provider(request, departure.provider)
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            url = await upstream.authorization_url(http, back, prompt=_upstream_prompt(req))
    except UpstreamError as err:
        return _back_to_app(req, err.error, err.description)
    response = _redirect(url)
    write_cookie(request, response, FEDERATION_COOKIE, departure.browser_token)
    return response


def _upstream_prompt(req: AuthorizeRequest) -> str:
    """`prompt=login` asks the provider to ask again too; other values stay ours."""
    return "login" if "login" in req.prompts else ""


def _params(source: dict[str, str]) -> dict[str, str]:
    return {k: source.get(k, "")[:MAX_PARAM] for k in ("code", "state", "error", "error_description")}


async def _identity(request: Request, pending: flow.Pending, code: str, state: str) -> flow.UpstreamIdentity:
    """The provider's answer to `code`, verified (UpstreamError if it is not)."""
    settings = pool_of(request).config.upstreams.get(pending.provider)
    if settings is None:
        raise UpstreamError("access_denied", "This identity provider is no longer offered.")
    back = Return(callback_uri(request), state, pending.nonce, pending.code_verifier)
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        return await _provider(request, settings).identity(http, code, back)


async def _form_post(request: Request) -> Response:
    form = await read_form(request)
    if form is None:
        return error_page(request, "page_error.invalid_request")
    params = _params(form)
    if params["error"] or not params["code"]:  # nothing to exchange: the GET answers it, with the cookie
        kept = {k: v for k, v in params.items() if v}
        return RedirectResponse(with_query(CALLBACK_PATH, **kept), status_code=303, headers=security_headers())
    try:
        pending = await run_flow(request, flow.take, params["state"], None, cross_site=True)
    except OAuthError as err:
        return _refusal(request, err)
    try:
        identity = await _identity(request, pending, params["code"], params["state"])
    except UpstreamError as err:
        return _back_to_app(pending.request, err.error, err.description)
    if pending.provider == APPLE:
        shared = apple.first_sign_in_profile(form.get("user", ""))
        identity = replace(identity, claims={**shared, **identity.claims})  # the ID token's claims win
    handover = await run_flow(request, flow.hand_over, pending, identity)
    return RedirectResponse(with_query(CALLBACK_PATH, state=handover), status_code=303, headers=security_headers())


@html_guard
async def idpresponse(request: Request) -> Response:
    if request.method == "POST":  # form_post (Apple)
        return await _form_post(request)
    params = _params(dict(request.query_params))
    try:
        pending = await run_flow(request, flow.take, params["state"], read_cookie(request, FEDERATION_COOKIE))
    except OAuthError as err:
        response = _refusal(request, err)
        clear_session_cookie(request, response, FEDERATION_COOKIE)
        return response
    req = pending.request
    if pending.identity is not None:  # verified on the SAML POST
        return await _finish(request, pending, pending.identity)
    if params["error"] or not params["code"]:
        error = params["error"] if params["error"] in _OAUTH_ERRORS else "access_denied"
        detail = params["error_description"] or "The sign-in with the identity provider was cancelled or refused."
        return _done(request, _back_to_app(req, error, detail[:200]))
    try:
        identity = await _identity(request, pending, params["code"], params["state"])
    except UpstreamError as err:
        return _done(request, _back_to_app(req, err.error, err.description))
    return await _finish(request, pending, identity)


async def _finish(request: Request, pending: flow.Pending, identity: flow.UpstreamIdentity) -> Response:
    try:
        signed_in = await run_flow(
            request,
            flow.complete,
            pending,
            identity,
            previous_session=session_token(request),
            loopback=loopback_allowed(request),
        )
    except OAuthError as err:
        return _done(request, _refusal(request, err))
    issued = signed_in.authorized
    response = _redirect(with_query(issued.redirect_uri, code=issued.code, state=issued.state))
    set_session_cookie(request, response, signed_in.web.token)
    return _done(request, response)


@html_guard
async def saml_response(request: Request) -> Response:
    """POST /saml2/idpresponse: the IdP's answer (HTTP-POST binding). It comes cross-site, without the
    browser's cookie: the response is verified here, the state spent, and the verified identity handed to
    the GET of /oauth2/idpresponse, where the cookie shows it is the browser that left."""
    form = await read_form(request)
    if form is None:
        return error_page(request, "page_error.invalid_request")
    relay_state = form.get("RelayState", "")[:MAX_PARAM]
    saml = form.get("SAMLResponse", "")
    if not relay_state:  # IdP-initiated sign-in: not accepted (it could sign a stranger's browser in)
        return error_page(request, "page_error.invalid_state", status=400)
    try:
        pending = await run_flow(request, flow.take, relay_state, None, cross_site=True)
    except OAuthError as err:
        return _refusal(request, err)
    settings = pool_of(request).config.upstreams.get(pending.provider)
    back = Return(callback_uri(request), relay_state, pending.nonce, pending.code_verifier)
    try:
        if settings is None or settings.kind != "saml":
            raise UpstreamError("access_denied", "This identity provider is no longer offered.")
        if not saml or len(saml) > MAX_SAML:
            raise UpstreamError("access_denied", "The SAML response is missing or too large.")
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            identity = await _provider(request, settings).identity(http, saml, back)
    except UpstreamError as err:
        return _back_to_app(pending.request, err.error, err.description)
    handover = await run_flow(request, flow.hand_over, pending, identity)
    return RedirectResponse(with_query(CALLBACK_PATH, state=handover), status_code=303, headers=security_headers())


def _done(request: Request, response: Response) -> Response:
    clear_session_cookie(request, response, FEDERATION_COOKIE)
    return response
