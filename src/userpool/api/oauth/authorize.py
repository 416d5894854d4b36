"""GET /oauth2/authorize (RFC 6749 §4.1.1, RFC 7636): a code for a signed-in browser, else the sign-in page
(or the page the definition's `authenticator.initial_state` names).

The client and redirect URI are checked first: if either is wrong the user sees an error page and is never
redirected (RFC 6749 §4.1.2.1). Every later refusal goes back to the app as `?error=...&state=...`.
`identity_provider=<name>` (the hosted page's social buttons, Amplify's signInWithRedirect({provider})) or
`idp_identifier=<identifier>` goes straight to that external provider (api/oauth/federation.py); a name
the definition does not declare gets an error page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from userpool.api.oauth.context import loopback_allowed, pool_of, run_flow
from userpool.api.oauth.params import oauth_params, oauth_query, with_query
from userpool.core.flows import hosted
from userpool.core.flows.hosted import MAX_PARAM, OAuthError
from userpool.web.authenticator._pages import START_PAGES
from userpool.web.authenticator.render import error_page, html_guard
from userpool.web.authenticator.security import security_headers, session_token


def _redirect(uri: str) -> Response:
    return RedirectResponse(uri, status_code=302, headers=security_headers())


@html_guard
async def authorize(request: Request) -> Response:
    req = oauth_params(request.query_params)
    if req is None:
        return error_page(request, "page_error.invalid_request")
    provider = request.query_params.get("identity_provider", "")[:MAX_PARAM]
    identifier = request.query_params.get("idp_identifier", "")[:MAX_PARAM]
    if provider == "COGNITO":  # Cognito's name for the pool's own sign-in page
        provider = ""
    if provider or identifier:
        from userpool.api.oauth import federation  # only now: see api/oauth/__init__.py

        return await federation.start(request, req, provider=provider, identifier=identifier)
    try:
        issued = await run_flow(
            request, hosted.authorize, req, session_token=session_token(request), loopback=loopback_allowed(request)
        )
    except OAuthError as err:
        if err.redirect_uri is None:
            return error_page(request, f"page_error.{err.error}", detail=err.message)
        return _redirect(with_query(err.redirect_uri, error=err.error, error_description=err.message, state=err.state))
    if issued is None:
        start = START_PAGES[pool_of(request).config.authenticator.initial_state]
        return _redirect(f"{start}?{oauth_query(req)}")
    return _redirect(with_query(issued.redirect_uri, code=issued.code, state=issued.state))
