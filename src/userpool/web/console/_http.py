"""What every console page shares: its cookies, CSRF, rendering with strict headers, the signed-in
operator, running a flow, and turning refusals into pages.

Cookies (HttpOnly, SameSite=Strict, path /; Secure and the `__Host-` prefix when the issuer is https):

- `userpool-console`: the operator's session id (256 random bits; the store keeps its SHA-256).
- `userpool-console-browser`: 256 random bits naming this browser, for CSRF only.

CSRF: every form carries `HMAC(server key, browser id)` under its own purpose; a POST whose token does
not match is refused (403) before anything runs. Every page: a strict CSP (no script at all, styles only
from this origin, forms post only here, `frame-ancestors 'none'`), X-Frame-Options DENY, no-store.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from userpool.api.oauth.context import pool_of, run_flow
from userpool.api.oauth.params import read_form
from userpool.core.audit import Audit, audited
from userpool.core.context import Ctx
from userpool.core.errors import CognitoError
from userpool.core.flows import console_sign_in
from userpool.core.flows.console_sign_in import Operator
from userpool.web.authenticator.security import security_headers

P = ParamSpec("P")
R = TypeVar("R")
Handler = Callable[[Request], Awaitable[Response]]
OperatorHandler = Callable[[Request, Operator], Awaitable[Response]]
AuditSpec = tuple[str, str, dict[str, object]]  # action, target, details

TEMPLATES = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "userpool-console"
BROWSER_COOKIE = "userpool-console-browser"
CSRF_FIELD = "csrf_token"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
log = logging.getLogger("userpool.console")


def _when(at: float | None) -> str:
    return "—" if at is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ASSETS = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(STATIC_DIR.iterdir()) if p.is_file())).hexdigest()
_env.filters["when"] = _when
_env.globals.update(csrf_field=CSRF_FIELD, assets=_ASSETS[:12])


# -- cookies and CSRF ------------------------------------------------------------------------------------


def _secure(request: Request) -> bool:
    return pool_of(request).config.issuer.startswith("https://")


def _name(request: Request, base: str) -> str:
    return f"__Host-{base}" if _secure(request) else base


def _cookie(request: Request, base: str) -> str | None:
    value = request.cookies.get(_name(request, base))
    return value if value is not None and _COOKIE_VALUE.fullmatch(value) else None


def _set(request: Request, response: Response, base: str, value: str) -> None:
    response.set_cookie(
        _name(request, base), value, path="/", secure=_secure(request), httponly=True, samesite="strict"
    )


def session_token(request: Request) -> str | None:
    return _cookie(request, SESSION_COOKIE)


def set_session(request: Request, response: Response, token: str) -> None:
    _set(request, response, SESSION_COOKIE, token)


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        _name(request, SESSION_COOKIE), path="/", secure=_secure(request), httponly=True, samesite="strict"
    )


def _browser(request: Request) -> tuple[str, bool]:
    existing = _cookie(request, BROWSER_COOKIE)
    return (existing, False) if existing else (secrets.token_urlsafe(32), True)


def _csrf(request: Request, browser_id: str) -> str:
    return pool_of(request).keyed.digest("console-csrf", browser_id)


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    browser_id = _cookie(request, BROWSER_COOKIE)
    sent = form.get(CSRF_FIELD, "")
    if browser_id is None or not sent:
        return False
    return hmac.compare_digest(_csrf(request, browser_id).encode(), sent.encode("utf-8", "replace"))


# -- pages -----------------------------------------------------------------------------------------------


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page with this browser's CSRF token (its cookie set on the first visit) and strict headers."""
    browser_id, new = _browser(request)
    context.setdefault("operator", None)
    context.setdefault("error", "")
    context.setdefault("notice", "")
    html = _env.get_template(template).render(
        csrf_token=_csrf(request, browser_id), pool_id=pool_of(request).config.pool_id, **context
    )
    response = HTMLResponse(html, status_code=status, headers=security_headers())
    if new:
        _set(request, response, BROWSER_COOKIE, browser_id)
    return response


def error_page(
    request: Request, title: str, message: str, *, status: int, operator: Operator | None = None
) -> Response:
    return page(request, "error.html", status=status, title=title, message=message, operator=operator)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=security_headers())


async def checked_form(request: Request) -> dict[str, str] | Response:
    """The posted form, once its CSRF token matches this browser; nothing has run before this check."""
    form = await read_form(request)
    if form is None:
        return error_page(request, "Bad request", "The form could not be read. Go back and send it again.", status=400)
    if not csrf_ok(request, form):
        return error_page(
            request,
            "Form expired",
            "This form did not come from this console in this browser (CSRF check). Reload the page and try again.",
            status=403,
        )
    return form


def guarded(handler: Handler) -> Handler:
    """An unexpected failure is logged and shown as a plain page, never a traceback."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception:
            log.exception("internal error in %s %s", request.method, request.url.path)
            return error_page(request, "Something went wrong", "The console hit an internal error.", status=500)

    return run


def signed_in(handler: OperatorHandler) -> Handler:
    """Pages for a signed-in operator; anyone else is sent to the sign-in page."""

    @guarded
    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        operator = await run_flow(request, console_sign_in.current, session_token(request))
        if operator is None:
            response = see_other("/console/sign-in")
            if session_token(request):
                clear_session(request, response)
            return response
        return await handler(request, operator)

    return run


async def attempt(
    request: Request, flow: Callable[Concatenate[Ctx, P], R], *args: P.args, **kwargs: P.kwargs
) -> R | CognitoError:
    try:
        return await run_flow(request, flow, *args, **kwargs)
    except CognitoError as err:
        return err


async def change(
    request: Request,
    operator: Operator,
    audit: AuditSpec,
    flow: Callable[Concatenate[Ctx, P], R],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> R | CognitoError:
    """Run an admin flow and its audit entry in one unit of work; a refusal is returned, not raised."""
    action, target, details = audit
    entry = Audit(actor=operator.name, action=action, target=target, details=details)
    try:
        return await run_flow(request, audited, entry, flow, *args, **kwargs)
    except CognitoError as err:
        return err


def refusal(err: CognitoError) -> str:
    return f"{err.message} ({err.code})"
