"""Cookies, CSRF protection and security headers for the hosted pages.

Cookies (HttpOnly, SameSite=Lax, path /; Secure and the `__Host-` prefix when the issuer is https):

- `userpool-browser`: 256 random bits naming this browser, for CSRF only; lives as long as the browser.
- `userpool-session`: the hosted web session (256 random bits; the server keeps only its SHA-256).
- `userpool-challenge`: a sign-in waiting on a challenge page (MFA, a new password): its opaque Session,
  which the server keeps only hashed and which stops working after the challenge's few minutes.
- `userpool-lang`: the language picked with `?lang=` (one of the pages' language codes).

Headers on every page: a strict CSP (`default-src 'none'`; scripts and styles only from this origin, no
inline code or style; images from this origin, data: URIs and the theme logo's origin; forms post only here
and to the validated redirect URI's origin; `frame-ancestors 'none'`, `base-uri 'none'`), X-Frame-Options
DENY, nosniff, no referrer, no-store.

CSRF: every form carries `HMAC(server key, browser id)` (the pool's keyed hashing, so every server process
sharing the master key agrees without shared memory). A POST whose token does not match its browser cookie
is refused with 403 before anything runs. A cross-site page can neither read the cookie nor compute the HMAC.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from userpool.service import UserPool

BROWSER_COOKIE = "userpool-browser"
SESSION_COOKIE = "userpool-session"
CHALLENGE_COOKIE = "userpool-challenge"
LANG_COOKIE = "userpool-lang"
_LANG_VALUE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}")
CSRF_FIELD = "csrf_token"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
_CSP_SOURCE = re.compile(r"[a-z][a-z0-9+.-]*://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
_CSP_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


def _pool(request: Request) -> UserPool:
    pool: UserPool = request.app.state.pool
    return pool


def is_secure(request: Request) -> bool:
    return _pool(request).config.issuer.startswith("https://")


def cookie_name(request: Request, base: str) -> str:
    return f"__Host-{base}" if is_secure(request) else base


def _cookie(request: Request, base: str) -> str | None:
    value = request.cookies.get(cookie_name(request, base))
    return value if value is not None and _COOKIE_VALUE.fullmatch(value) else None


def session_token(request: Request) -> str | None:
    return _cookie(request, SESSION_COOKIE)


def _set(request: Request, response: Response, base: str, value: str) -> None:
    response.set_cookie(
        cookie_name(request, base),
        value,
        path="/",
        secure=is_secure(request),
        httponly=True,
        samesite="lax",
    )


def read_cookie(request: Request, base: str) -> str | None:
    """One of our 43-character random cookies (the prefixed name over https), or None."""
    return _cookie(request, base)


def write_cookie(request: Request, response: Response, base: str, value: str) -> None:
    """Host-only, HttpOnly, SameSite=Lax, Secure over https; ends with the browser session."""
    _set(request, response, base, value)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """A browser-session cookie: the server ends the session sooner (1 h idle, 12 h at most)."""
    _set(request, response, SESSION_COOKIE, token)


def clear_session_cookie(request: Request, response: Response, base: str = SESSION_COOKIE) -> None:
    response.delete_cookie(
        cookie_name(request, base),
        path="/",
        secure=is_secure(request),
        httponly=True,
        samesite="lax",
    )


def challenge_session(request: Request) -> str | None:
    return _cookie(request, CHALLENGE_COOKIE)


def set_challenge_cookie(request: Request, response: Response, session: str) -> None:
    _set(request, response, CHALLENGE_COOKIE, session)


def language_cookie(request: Request) -> str | None:
    value = request.cookies.get(cookie_name(request, LANG_COOKIE))
    return value if value is not None and _LANG_VALUE.fullmatch(value) else None


def set_language_cookie(request: Request, response: Response, lang: str) -> None:
    if _LANG_VALUE.fullmatch(lang):
        _set(request, response, LANG_COOKIE, lang)


class Browser:
    """This browser's CSRF identity: read from its cookie, or new (then set on the response)."""

    def __init__(self, request: Request) -> None:
        self._request = request
        existing = _cookie(request, BROWSER_COOKIE)
        self.is_new = existing is None
        self.id = existing or secrets.token_urlsafe(32)

    @property
    def csrf_token(self) -> str:
        return csrf_token(self._request, self.id)

    def remember(self, response: Response) -> None:
        if self.is_new:
            _set(self._request, response, BROWSER_COOKIE, self.id)


def csrf_token(request: Request, browser_id: str) -> str:
    return _pool(request).keyed.digest("hosted-ui-csrf", browser_id)


def csrf_ok(request: Request, form: Mapping[str, str]) -> bool:
    browser_id = _cookie(request, BROWSER_COOKIE)
    sent = form.get(CSRF_FIELD, "")
    if browser_id is None or not sent:
        return False
    return hmac.compare_digest(csrf_token(request, browser_id).encode(), sent.encode("utf-8", "replace"))


def form_target(uri: str) -> str | None:
    """The CSP source for where a sign-in form ends up after its redirects (Chrome applies form-action to
    each redirect of a submission). Only validated redirect URIs come here; odd shapes give no source."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        origin = f"{parts.scheme}://{parts.netloc}"
        return origin if _CSP_SOURCE.fullmatch(origin) else None
    return f"{parts.scheme}:" if _CSP_SCHEME.fullmatch(parts.scheme) else None


def image_source(logo: str) -> str | None:
    """The CSP source for a theme logo given as a URL (checked when the definition loaded)."""
    return form_target(logo) if logo.startswith(("https://", "http://")) else None


def security_headers(
    *, form_targets: Iterable[str] = (), image_sources: Iterable[str] = (), no_store: bool = True
) -> dict[str, str]:
    form_action = " ".join(("'self'", *form_targets))
    img_src = " ".join(("'self'", "data:", *image_sources))
    headers = {
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {img_src}; "
            f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if no_store:
        headers["Cache-Control"] = "no-store"
    return headers
