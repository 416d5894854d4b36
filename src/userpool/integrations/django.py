"""`with_authenticator` for Django: a middleware for the sign-in routes and the user, decorators for views.

settings.py:

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        # ... Django's own, in any order relative to this one ...
        "userpool.integrations.django.AuthenticatorMiddleware",
    ]
    USERPOOL_OUTPUTS = BASE_DIR / "amplify_outputs.json"  # written by `userpool sandbox`
    # USERPOOL_SECRET_KEY defaults to SECRET_KEY (a key for the session cookie is derived from it)

views.py:

    from django.http import HttpResponse
    from django.utils.html import format_html

    from userpool.integrations.django import require_group, with_authenticator


    @with_authenticator
    def home(request, user, sign_out):
        return HttpResponse(format_html("<h1>Hello {}</h1>{}{}", user.login_id, sign_out, sign_out.form(global_=True)))


    @require_group("ADMINS")
    def admins(request, user, sign_out):
        return HttpResponse(format_html("<h1>Admins</h1><p>{}</p>", user.login_id))

`AuthenticatorMiddleware` answers `GET /auth/callback` (the code exchange), `GET /auth/sign-in?next=/path` and
`POST /auth/sign-out` itself, before any view (so Django's CSRF middleware does not see them: the sign-out
form carries its own CSRF token, bound to the session). Sign-out revokes the refresh token, clears the
session cookie and ends the hosted session; with the form field `global=true`, from
`sign_out.form(global_=True)`, it calls GlobalSignOut instead, ending every session of the user. For every
other request it sets `request.userpool_user` (a `User`, or None when nobody is signed in) and
`request.userpool_sign_out` (a `SignOut`, or None), refreshing expired tokens on the way (the new session
cookie goes out with the view's response).

`@with_authenticator` (sync or async views; `method_decorator(with_authenticator)` for class-based views)
runs the view only for a signed-in visitor, with the keyword arguments `user` and `sign_out`: a signed-out
page load (GET/HEAD navigation) is redirected to the hosted Authenticator and comes back to the same URL, any
other signed-out request gets 401. `@require_group("ADMINS")` does the same (use it instead of, or under,
`@with_authenticator`) and raises `PermissionDenied` (Django's 403, your `403.html`) for a signed-in user
outside the group (`user.groups`: the tokens' `cognito:groups`). `current_user(request)` is
`request.userpool_user`.

Settings: `USERPOOL_OUTPUTS` (a path or the parsed JSON; default `BASE_DIR / "amplify_outputs.json"`),
`USERPOOL_SECRET_KEY` (default `SECRET_KEY`), `USERPOOL_REDIRECT_URI` (default: the request's origin +
`/auth/callback`), `USERPOOL_SCOPES`, `USERPOOL_REQUIRE_SIGN_IN` (True: every page needs a signed-in user,
as `with_authenticator` on every view, except paths under `USERPOOL_PUBLIC_PATHS`), `USERPOOL_HTTP_CLIENT`
(an `httpx.Client` to reach the pool with).

With or without `django.contrib.auth`: the middleware needs no database, no session app and no user model,
and it leaves `request.user` alone, so Django's own users (the admin site, `login_required`) keep working
side by side. To tie the two together, key your own model on `request.userpool_user.sub` (the pool's
stable user id).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase

from userpool.integrations._client import AuthClient
from userpool.integrations._model import GLOBAL_FIELD, Cookie, Reply, SignOut, User, WebRequest

__all__ = ["AuthenticatorMiddleware", "SignOut", "User", "current_user", "require_group", "with_authenticator"]

View = TypeVar("View", bound=Callable[..., Any])
_CLIENT = "_userpool_client"


class AuthenticatorMiddleware:
    """Django middleware: see the module docstring."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        secret_key = getattr(settings, "USERPOOL_SECRET_KEY", None) or getattr(settings, "SECRET_KEY", None)
        if not secret_key:
            raise ImproperlyConfigured("userpool needs USERPOOL_SECRET_KEY or SECRET_KEY in the settings")
        outputs = getattr(settings, "USERPOOL_OUTPUTS", None)
        if outputs is None:
            outputs = Path(getattr(settings, "BASE_DIR", ".")) / "amplify_outputs.json"
        self.client = AuthClient(
            outputs,
            secret_key,
            redirect_uri=getattr(settings, "USERPOOL_REDIRECT_URI", None),
            scopes=getattr(settings, "USERPOOL_SCOPES", None),
            http=getattr(settings, "USERPOOL_HTTP_CLIENT", None),
        )
        self.require_sign_in = bool(getattr(settings, "USERPOOL_REQUIRE_SIGN_IN", False))
        self.public_paths = tuple(getattr(settings, "USERPOOL_PUBLIC_PATHS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        web = _web_request(request)
        route = self.client.route(web.path)
        if route is not None:
            allowed = "POST" if route == "sign-out" else "GET"
            if request.method != allowed:
                return HttpResponseNotAllowed([allowed])
            fields = None
            if route == "sign-out":
                fields = {k: v for k in ("csrf_token", GLOBAL_FIELD) if isinstance(v := request.POST.get(k), str)}
            return _response(self.client.handle(web, fields))
        public = bool(self.public_paths) and web.path.startswith(self.public_paths)
        result = self.client.guard(web, required=self.require_sign_in and not public)
        if isinstance(result, Reply):
            return _response(result)
        request.userpool_user = result.user  # type: ignore[attr-defined]
        request.userpool_sign_out = result.sign_out  # type: ignore[attr-defined]
        request._userpool_client = self.client  # type: ignore[attr-defined]
        response = self.get_response(request)
        _set_cookies(response, result.cookies)
        return response


def current_user(request: HttpRequest) -> User | None:
    """The signed-in user of `request`, or None."""
    _client(request)
    user: User | None = getattr(request, "userpool_user", None)
    return user


def with_authenticator(view: View) -> View:
    """Run the view only for a signed-in visitor, with `user=` and `sign_out=` keyword arguments."""
    return _guarded(view, None)


def require_group(group: str) -> Callable[[View], View]:
    """As `with_authenticator`, and `PermissionDenied` (403) for a signed-in user outside `group`."""
    return lambda view: _guarded(view, group)


def _guarded(view: View, group: str | None) -> View:
    def check(request: HttpRequest, kwargs: Mapping[str, Any]) -> HttpResponseBase | dict[str, Any]:
        extra: dict[str, Any] = {}
        user = kwargs.get("user")
        if not isinstance(user, User):  # (a User there: under another of these decorators, checked already)
            user = current_user(request)
            if user is None:
                return _response(_client(request).signed_out(_web_request(request)))
            extra = {"user": user, "sign_out": getattr(request, "userpool_sign_out", None)}
        if group is not None and not user.in_group(group):
            raise PermissionDenied(f"This page is only for members of the group {group}.")
        return extra

    if iscoroutinefunction(view):

        async def wrapped_async(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            checked = check(request, kwargs)
            if isinstance(checked, HttpResponseBase):
                return checked
            return await view(request, *args, **kwargs, **checked)

        return cast(View, markcoroutinefunction(functools.wraps(view)(wrapped_async)))

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        checked = check(request, kwargs)
        if isinstance(checked, HttpResponseBase):
            return checked
        return view(request, *args, **kwargs, **checked)

    return cast(View, functools.wraps(view)(wrapped))


def _client(request: HttpRequest) -> AuthClient:
    client = getattr(request, _CLIENT, None)
    if not isinstance(client, AuthClient):
        raise ImproperlyConfigured(
            'userpool: add "userpool.integrations.django.AuthenticatorMiddleware" to MIDDLEWARE '
            "(it finds the signed-in user for with_authenticator, require_group and current_user)"
        )
    return client


def _web_request(request: HttpRequest) -> WebRequest:
    return WebRequest(
        method=request.method or "GET",
        origin=f"{request.scheme}://{request.get_host()}",
        path=request.path,
        query=request.META.get("QUERY_STRING", ""),
        target=request.get_full_path(),
        cookies=request.COOKIES,
        accept=request.headers.get("Accept", ""),
        fetch_mode=request.headers.get("Sec-Fetch-Mode", ""),
    )


def _response(reply: Reply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers:
        response[name] = value
    _set_cookies(response, reply.cookies)
    return response


def _set_cookies(response: HttpResponseBase, cookies: Sequence[Cookie]) -> None:
    for cookie in cookies:
        response.set_cookie(
            cookie.name,
            cookie.value,
            max_age=cookie.max_age,
            path=cookie.path,
            secure=cookie.secure,
            httponly=True,
            samesite="Lax",
        )
