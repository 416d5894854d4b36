"""Rendering a hosted page: one Jinja2 environment, the message catalogue, CSRF and security headers."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from userpool.web.authenticator import messages
from userpool.web.authenticator.security import CSRF_FIELD, Browser, security_headers

TEMPLATES = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static/authenticator"
Endpoint = Callable[[Request], Awaitable[Response]]
log = logging.getLogger("userpool.web")

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(t=messages.t, static=STATIC_PATH, csrf_field=CSRF_FIELD)


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    form_targets: Iterable[str] = (),
    **context: Any,
) -> HTMLResponse:
    """A page with a CSRF token for this browser (setting its cookie on first visit) and strict headers."""
    browser = Browser(request)
    context.setdefault("error", "")
    context.setdefault("notice", "")
    html = _env.get_template(template).render(lang="en", csrf_token=browser.csrf_token, **context)
    response = HTMLResponse(html, status_code=status, headers=security_headers(form_targets=form_targets))
    browser.remember(response)
    return response


def error_page(
    request: Request,
    message_id: str,
    *,
    status: int = 400,
    title_id: str = "page_error.title",
    detail: str = "",
) -> HTMLResponse:
    """A whole-page refusal: an unknown client or redirect URI, a bad form, a CSRF failure."""
    return page(request, "error.html", status=status, title_id=title_id, message_id=message_id, detail=detail)


def html_guard(endpoint: Endpoint) -> Endpoint:
    """An unexpected failure is logged and shown as a plain error page: never a traceback."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception:
            log.exception("internal error in %s %s", request.method, request.url.path)
            return error_page(request, "page_error.server", status=500)

    return guarded
