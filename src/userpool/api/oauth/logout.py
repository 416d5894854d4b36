"""GET /logout: end the hosted session, then go where the app asked if it may (Cognito's two forms).

- `?client_id&logout_uri`: to logout_uri when it is one of the client's sign-out URLs;
- `?client_id&redirect_uri&response_type=code...`: to the sign-in page with those parameters ("sign in
  again" — the sign-in page checks the redirect URI itself);
- otherwise the "You have signed out" page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from userpool.api.oauth.context import loopback_allowed, pool_of, run_flow
from userpool.api.oauth.params import oauth_params, oauth_query
from userpool.core.flows import hosted
from userpool.core.flows.hosted import MAX_PARAM, AuthorizeRequest
from userpool.web.authenticator.render import html_guard, page
from userpool.web.authenticator.security import clear_session_cookie, security_headers, session_token


@html_guard
async def logout(request: Request) -> Response:
    pool = pool_of(request)
    params = oauth_params(request.query_params, default_client_id=pool.default_client_id)
    req = params or AuthorizeRequest(client_id=pool.default_client_id, redirect_uri="")
    logout_uri = request.query_params.get("logout_uri", "")[: MAX_PARAM + 1]
    allowed = await run_flow(
        request,
        hosted.logout,
        session_token(request),
        client_id=req.client_id,
        logout_uri=logout_uri,
        loopback=loopback_allowed(request),
    )
    response: Response
    if allowed:
        response = RedirectResponse(logout_uri, status_code=302, headers=security_headers())
    elif params is not None and params.redirect_uri and params.response_type:
        response = RedirectResponse(f"/login?{oauth_query(params)}", status_code=302, headers=security_headers())
    else:
        query = oauth_query(AuthorizeRequest(client_id=req.client_id, redirect_uri=""))
        response = page(request, "signed_out.html", q=f"?{query}")
    clear_session_cookie(request, response)
    return response
