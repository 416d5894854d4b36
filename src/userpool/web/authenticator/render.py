"""Rendering a hosted page: one Jinja2 environment, the request's language, the theme, CSRF and headers."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from userpool.core.config import AuthenticatorSettings
from userpool.web.authenticator import i18n, messages, theme
from userpool.web.authenticator.security import (
    CSRF_FIELD,
    Browser,
    image_source,
    language_cookie,
    security_headers,
    set_language_cookie,
)

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
# The static files' own version, for cache busting after an upgrade.
_ASSETS = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(STATIC_DIR.iterdir()) if p.is_file())).hexdigest()
_env.globals.update(t=messages.t, static=STATIC_PATH, csrf_field=CSRF_FIELD, assets=_ASSETS[:12])


def settings(request: Request) -> AuthenticatorSettings:
    found: AuthenticatorSettings = request.app.state.pool.config.authenticator
    return found


def request_language(request: Request) -> str:
    """The page's language (i18n.choose), remembered on the request."""
    chosen = getattr(request.state, "lang", None)
    if isinstance(chosen, str):
        return chosen
    options = settings(request)
    lang = i18n.choose(
        query=request.query_params.get("lang"),
        cookie=language_cookie(request),
        header=request.headers.get("accept-language", ""),
        default=options.language,
        overrides=options.translations,
    )
    request.state.lang = lang
    return lang


def _language_links(request: Request, lang: str) -> list[tuple[str, str, str]]:
    """(code, name, href) for each language: this page again, its query kept, with ?lang=."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    links = []
    for code in i18n.available(settings(request).translations):
        href = f"{request.url.path}?{urlencode([*query, ('lang', code)])}"
        links.append((code, i18n.NAMES.get(code, code), href))
    return links


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
    options = settings(request)
    lang = request_language(request)
    context.setdefault("error", "")
    context.setdefault("notice", "")
    html = _env.get_template(template).render(
        lang=lang,
        csrf_token=browser.csrf_token,
        theme=options.theme,
        theme_version=theme.version(options.theme),
        modal=options.variation == "modal",
        languages=_language_links(request, lang),
        **context,
    )
    logo_source = image_source(options.theme.logo)
    headers = security_headers(form_targets=form_targets, image_sources=[logo_source] if logo_source else [])
    response = HTMLResponse(html, status_code=status, headers=headers)
    browser.remember(response)
    asked = request.query_params.get("lang")
    if asked and i18n.match(asked, i18n.available(options.translations)) == lang:
        set_language_cookie(request, response, lang)
    return response


def error_page(
    request: Request,
    message_id: str,
    *,
    status: int = 400,
    title_id: str = "page_error.title",
    detail: str = "",
    **values: str,
) -> HTMLResponse:
    """A whole-page refusal: an unknown client or redirect URI, a bad form, a CSRF failure."""
    return page(
        request, "error.html", status=status, title_id=title_id, message_id=message_id, detail=detail, values=values
    )


def html_guard(endpoint: Endpoint) -> Endpoint:
    """Every page in its language; an unexpected failure is logged and shown as a plain error page, never a
    traceback."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            options = settings(request)
            texts = i18n.texts(request_language(request), options.translations)
        except Exception:
            log.exception("internal error in %s %s", request.method, request.url.path)
            texts = messages.EN
        with messages.use_catalogue(texts):
            try:
                return await endpoint(request)
            except Exception:
                log.exception("internal error in %s %s", request.method, request.url.path)
                return error_page(request, "page_error.server", status=500)

    return guarded
