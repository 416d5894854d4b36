"""One small app behind with_authenticator in each framework, driven in-process through a common `App`.

Every app has the same pages:

- `/`             signed-in only: "Hello <login>" and both sign-out forms
- `/api`          signed-in only: {"sub": ...} (a script's request)
- `/admins`       members of ADMINS only
- `/public/me`    everybody: {"user": <login> | null}
- `/public/fastapi`  signed-in only, through the framework's `current_user` (Starlette/FastAPI: on a public
                  path, so the dependency itself refuses; Flask/Django: the decorator)
- `/public/admins`   members of ADMINS only, through the dependency/decorator on a public path
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Annotated, Any
from urllib.parse import urljoin

import boto3
import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client as DjangoClient
from django.test.utils import override_settings
from django.urls import path
from django.utils.html import format_html
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse as FastHTML
from flask import Flask
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.support.sandbox import PASSWORD, Sandbox, free_port
from userpool.integrations import django as dj
from userpool.integrations import fastapi as fa
from userpool.integrations import starlette as st
from userpool.integrations._client import AuthClient
from userpool.integrations._model import SignOut, User
from userpool.integrations.flask import Authenticator

with warnings.catch_warnings():
    # Starlette 1.x would rather drive its TestClient with httpx2; httpx (what the project installs) still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SECRET = "test-secret-key-0123456789abcdef"
PAGE = {"accept": "text/html,application/xhtml+xml", "sec-fetch-mode": "navigate"}
JSON = {"accept": "application/json"}
FRAMEWORKS = ["starlette", "fastapi", "flask", "django"]


@dataclass
class Reply:
    status: int
    location: str
    set_cookies: list[str]
    text: str


@dataclass
class App:
    """One app behind with_authenticator, whichever the framework; `origin` is where it 'runs'."""

    kind: str
    origin: str
    auth: AuthClient
    _get: Any
    _post: Any
    _set_cookie: Any
    _cookies: Any

    def get(self, target: str, headers: dict[str, str] | None = None) -> Reply:
        return self._get(target if target.startswith("http") else self.origin + target, headers or PAGE)

    def post(self, target: str, data: dict[str, str]) -> Reply:
        return self._post(self.origin + target, data)

    def set_cookie(self, name: str, value: str) -> None:
        self._set_cookie(name, value)

    def cookies(self) -> dict[str, str]:
        return dict(self._cookies())


def _hello(user: User, sign_out: SignOut) -> str:
    return str(Markup("<h1>Hello {}</h1>{}{}").format(user.login_id, sign_out.form(), sign_out.form(global_=True)))


def _admins(user: User) -> str:
    return str(Markup("<h1>Admins</h1><p>{}</p>").format(user.login_id))


# -- Starlette ------------------------------------------------------------------------------------------


async def _st_home(request: Request) -> Response:
    return HTMLResponse(_hello(request.state.user, request.state.sign_out))


async def _st_api(request: Request) -> Response:
    return JSONResponse({"sub": request.state.user.sub})


async def _st_public(request: Request) -> Response:
    user = request.state.user
    return JSONResponse({"user": user.login_id if user else None})


def _st_me(request: Request) -> Response:  # sync on purpose: current_user works in the thread pool too
    return JSONResponse({"username": st.current_user(request).username})


@st.require_group("ADMINS")
async def _st_admins(request: Request) -> Response:
    return HTMLResponse(_admins(request.state.user))


@st.require_group("ADMINS")
def _st_admins_sync(request: Request) -> Response:
    return HTMLResponse(_admins(st.current_user(request)))


def _testclient_app(kind: str, asgi: Any, auth: AuthClient, origin: str) -> Iterator[App]:
    with TestClient(asgi, base_url=origin, follow_redirects=False) as client:

        def reply(r: httpx.Response) -> Reply:
            return Reply(r.status_code, r.headers.get("location", ""), r.headers.get_list("set-cookie"), r.text)

        def set_cookie(name: str, value: str) -> None:
            client.cookies.set(name, value, domain="127.0.0.1", path="/")

        yield App(
            kind,
            origin,
            auth,
            lambda url, headers: reply(client.get(url, headers=headers)),
            lambda url, data: reply(client.post(url, data=data)),
            set_cookie,
            lambda: {c.name: c.value for c in client.cookies.jar},
        )


@contextmanager
def starlette_app(outputs: Mapping[str, Any], http: httpx.Client | None = None) -> Iterator[App]:
    routes = [
        Route("/", _st_home),
        Route("/api", _st_api),
        Route("/admins", _st_admins),
        Route("/public/me", _st_public),
        Route("/public/fastapi", _st_me),
        Route("/public/admins", _st_admins_sync),
    ]
    app = st.with_authenticator(
        Starlette(routes=routes), outputs=outputs, secret_key=SECRET, public_paths=["/public/"], http=http
    )
    yield from _testclient_app("starlette", app, app.client, f"http://127.0.0.1:{free_port()}")


# -- FastAPI --------------------------------------------------------------------------------------------


def _fastapi() -> FastAPI:
    api = FastAPI()

    @api.get("/", response_class=FastHTML)
    def home(user: fa.CurrentUser, sign_out: fa.CurrentSignOut) -> str:
        return _hello(user, sign_out)

    @api.get("/api")
    async def me(user: Annotated[User, Depends(fa.current_user)]) -> dict[str, str]:
        return {"sub": user.sub}

    @api.get("/admins", response_class=FastHTML)
    def admins(user: Annotated[User, Depends(fa.require_group("ADMINS"))]) -> str:
        return _admins(user)

    @api.get("/public/me")
    def public(request: Request) -> dict[str, str | None]:
        user = request.state.user
        return {"user": user.login_id if user else None}

    @api.get("/public/fastapi")
    def public_me(user: fa.CurrentUser) -> dict[str, str]:
        return {"username": user.username}

    @api.get("/public/admins", dependencies=[Depends(fa.require_group("ADMINS"))], response_class=FastHTML)
    def public_admins(user: fa.CurrentUser) -> str:
        return _admins(user)

    return api


@contextmanager
def fastapi_app(outputs: Mapping[str, Any], http: httpx.Client | None = None) -> Iterator[App]:
    api = _fastapi()
    # In place, as a FastAPI developer adds middleware (built lazily, so the test reads cookies with a client
    # of its own under the same secret).
    api.add_middleware(
        fa.AuthenticatorMiddleware, outputs=outputs, secret_key=SECRET, public_paths=["/public/"], http=http
    )
    client = AuthClient(outputs, SECRET, http=http)
    yield from _testclient_app("fastapi", api, client, f"http://127.0.0.1:{free_port()}")


# -- Flask ----------------------------------------------------------------------------------------------


@contextmanager
def flask_app(outputs: Mapping[str, Any], http: httpx.Client | None = None) -> Iterator[App]:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    auth = Authenticator(app, outputs=outputs, http=http)

    @app.get("/")
    @auth.with_authenticator
    def home(user: User, sign_out: SignOut) -> str:
        return _hello(user, sign_out)

    @app.get("/api")
    @auth.with_authenticator
    def api(user: User, sign_out: SignOut) -> dict[str, str]:
        return {"sub": user.sub}

    @app.get("/admins")
    @auth.require_group("ADMINS")
    def admins(user: User, sign_out: SignOut) -> str:
        return _admins(user)

    @app.get("/public/me")
    def public() -> dict[str, str | None]:
        user = auth.current_user()
        return {"user": user.login_id if user else None}

    @app.get("/public/fastapi")
    @auth.with_authenticator
    def public_me(user: User, sign_out: SignOut) -> dict[str, str]:
        return {"username": user.username}

    @app.get("/public/admins")
    @auth.with_authenticator
    @auth.require_group("ADMINS")
    async def public_admins(user: User, sign_out: SignOut) -> str:  # stacked, and async
        return _admins(user)

    @app.get("/stacked")
    @auth.require_group("ADMINS")
    @auth.with_authenticator
    def stacked(user: User, sign_out: SignOut) -> str:  # the other order
        return _admins(user)

    @app.get("/public/optional-then-required")
    def optional_then_required() -> Any:
        auth.current_user()
        return home()

    origin = f"http://127.0.0.1:{free_port()}"
    client = app.test_client()

    def reply(r: Any) -> Reply:
        return Reply(r.status_code, r.headers.get("Location", ""), r.headers.getlist("Set-Cookie"), r.text)

    def set_cookie(name: str, value: str) -> None:
        client.set_cookie(name, value, domain="127.0.0.1")

    def cookies() -> dict[str, str]:
        return {c.key: c.value for c in client._cookies.values()}

    with app.app_context():
        auth_client = auth.client()
    yield App(
        "flask",
        origin,
        auth_client,
        lambda url, headers: reply(client.get(url, headers=headers)),
        lambda url, data: reply(client.post(url, data=data)),
        set_cookie,
        cookies,
    )


# -- Django ---------------------------------------------------------------------------------------------


def configure_django() -> None:
    """Django's settings, once per process (tests change them with override_settings)."""
    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        ROOT_URLCONF=DJANGO_URLS,
        MIDDLEWARE=["userpool.integrations.django.AuthenticatorMiddleware"],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    import django

    django.setup()


@dj.with_authenticator
def _dj_home(request: HttpRequest, user: User, sign_out: SignOut) -> HttpResponse:
    return HttpResponse(_hello(user, sign_out))


@dj.with_authenticator
def _dj_api(request: HttpRequest, user: User, sign_out: SignOut) -> HttpResponse:
    return JsonResponse({"sub": user.sub})


@dj.require_group("ADMINS")
def _dj_admins(request: HttpRequest, user: User, sign_out: SignOut) -> HttpResponse:
    return HttpResponse(_admins(user))


def _dj_public(request: HttpRequest) -> HttpResponse:
    user = dj.current_user(request)
    return JsonResponse({"user": user.login_id if user else None})


@dj.with_authenticator
async def _dj_public_me(request: HttpRequest, user: User, sign_out: SignOut) -> HttpResponse:  # async view
    return JsonResponse({"username": user.username})


@dj.with_authenticator
@dj.require_group("ADMINS")
def _dj_public_admins(request: HttpRequest, user: User, sign_out: SignOut) -> HttpResponse:
    return HttpResponse(format_html("<h1>Admins</h1><p>{}</p>", user.login_id))


@dj.require_group("ADMINS")
@dj.with_authenticator
async def _dj_stacked(request: HttpRequest, user: User, sign_out: SignOut) -> HttpResponse:
    return HttpResponse(_admins(user))


DJANGO_URLS = types.ModuleType("django_test_urls")
DJANGO_URLS.urlpatterns = [  # type: ignore[attr-defined]
    path("", _dj_home),
    path("api", _dj_api),
    path("admins", _dj_admins),
    path("public/me", _dj_public),
    path("public/fastapi", _dj_public_me),
    path("public/admins", _dj_public_admins),
    path("stacked", _dj_stacked),
]


@contextmanager
def django_app(outputs: Mapping[str, Any], http: httpx.Client | None = None, **more: Any) -> Iterator[App]:
    configure_django()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with override_settings(USERPOOL_OUTPUTS=outputs, USERPOOL_HTTP_CLIENT=http, **more):
        client = DjangoClient(HTTP_HOST=f"127.0.0.1:{port}")

        def reply(r: Any) -> Reply:
            set_cookies = [m.OutputString() for m in r.cookies.values()]
            for name, morsel in r.cookies.items():  # a browser drops what expires now; Django's client does not
                if morsel["max-age"] == 0 or str(morsel["max-age"]) == "0":
                    client.cookies.pop(name, None)
            body = r.content.decode() if hasattr(r, "content") else ""
            return Reply(r.status_code, r.headers.get("Location", ""), set_cookies, body)

        def set_cookie(name: str, value: str) -> None:
            client.cookies[name] = value

        yield App(
            "django",
            origin,
            AuthClient(outputs, SECRET, http=http),
            lambda url, headers: reply(client.get(url, headers=headers)),
            lambda url, data: reply(client.post(url, data=data)),
            set_cookie,
            lambda: {k: m.value for k, m in client.cookies.items()},
        )


BUILDERS = {"starlette": starlette_app, "fastapi": fastapi_app, "flask": flask_app, "django": django_app}


@contextmanager
def framework_app(kind: str, outputs: Mapping[str, Any], http: httpx.Client | None = None) -> Iterator[App]:
    with BUILDERS[kind](outputs, http) as app:
        yield app


# -- the hosted pages, driven with httpx ---------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # input id -> name
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (text, name, value)


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.labels: dict[str, str] = {}  # label text -> input id
        self.links: dict[str, str] = {}
        self.headings: list[str] = []
        self._text: list[str] | None = None
        self._open: tuple[str, dict[str, str]] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            if a.get("type") not in ("submit", "button"):
                self.forms[-1].fields[a["name"]] = a.get("value", "")
            self.forms[-1].ids[a.get("id", "")] = a["name"]
        elif tag in ("label", "a", "button", "h1"):
            self._text, self._open = [], (tag, a)

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is None or self._text is None or tag != self._open[0]:
            return
        text, a = " ".join("".join(self._text).split()), self._open[1]
        if tag == "label":
            self.labels[text] = a.get("for", "")
        elif tag == "a":
            self.links[text] = a.get("href", "")
        elif tag == "h1":
            self.headings.append(text)
        elif tag == "button" and self.forms:
            self.forms[-1].buttons.append((text, a.get("name", ""), a.get("value", "")))
        self._text = self._open = None

    def submit(self, button: str, values: dict[str, str]) -> tuple[str, dict[str, str]]:
        """(action, form data) of the form holding `button`, filled in by label."""
        form = next(f for f in self.forms if any(b[0] == button for b in f.buttons))
        data = dict(form.fields)
        for label, value in values.items():
            data[form.ids[self.labels[label]]] = value
        _, name, value = next(b for b in form.buttons if b[0] == button)
        if name:
            data[name] = value
        return form.action, data


def hosted_sign_in(browser: httpx.Client, authorize_url: str, email: str) -> str:
    """Follow the authorize URL through the hosted sign-in; returns the app callback URL (with ?code=)."""
    pool = str(browser.base_url).rstrip("/") + "/"
    response = browser.get(authorize_url)
    for _ in range(10):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if not location.startswith(pool):
                return location  # leaving the pool: back to the app
            response = browser.get(location)
            continue
        page = Page(response.text)  # no hosted session yet: sign in on the page
        assert page.headings == ["Sign In"], response.text
        action, data = page.submit("Sign in", {"Email": email, "Password": PASSWORD})
        response = browser.post(urljoin(str(response.url), action), data=data)
    raise AssertionError("the hosted sign-in did not come back to the app")


def confirm_user(sandbox: Sandbox, email: str) -> str:
    """Sign `email` up with PASSWORD and confirm it with the code from the outbox (the Cognito API)."""
    client = boto3.client(
        "cognito-idp",
        endpoint_url=sandbox.endpoint,
        region_name=sandbox.region,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    try:
        attrs = [{"Name": "email", "Value": email}]
        client.sign_up(ClientId=sandbox.client_id, Username=email, Password=PASSWORD, UserAttributes=attrs)
        client.confirm_sign_up(ClientId=sandbox.client_id, Username=email, ConfirmationCode=sandbox.last_code(email))
    finally:
        client.close()
    return email
