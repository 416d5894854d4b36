"""Fuzzing the hosted pages and the OAuth endpoints: never a 5xx, never a traceback, never a logged
internal error; a form posted without its CSRF token, or with a wrong one, changes nothing; an OAuth request
refused changes nothing but what a refusal is meant to spend (an authorization code is spent by its first
use, good or bad; a reused rotating refresh token revokes its family).

The first test sends a fixed list of odd requests to a real sandbox process; the others draw forms and
parameters with hypothesis against serve mode's app in-process (quick runs derandomized, `--deep` longer).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.requests_model import nasty_text
from tests.security.support import Change, deep, diff, record, scale, snapshot
from tests.security.world import CALLBACK, InProcess, World, in_process, in_process_world
from tests.support.sandbox import PASSWORD, Sandbox
from tests.web.browser import Browser, Pkce
from userpool.web.authenticator.urls import routes

ENDPOINTS = [
    ("GET", "/oauth2/authorize"),
    ("POST", "/oauth2/token"),
    ("GET", "/oauth2/userInfo"),
    ("POST", "/oauth2/userInfo"),
    ("POST", "/oauth2/revoke"),
    ("GET", "/logout"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/signup"),
    ("POST", "/signup"),
    ("GET", "/confirm"),
    ("POST", "/confirm"),
    ("GET", "/forgotPassword"),
    ("POST", "/forgotPassword"),
    ("GET", "/confirmForgotPassword"),
    ("POST", "/confirmForgotPassword"),
]
QUERIES = [
    "",
    "client_id=",
    "client_id=%00",
    "client_id=x&client_id=y",
    "redirect_uri=%ff%fe&client_id=%E2%82",
    "client_id={cid}&redirect_uri=http://[::1&response_type=code",
    "client_id={cid}&redirect_uri=http://localhost:99999999/&response_type=code",
    "client_id={cid}&redirect_uri=http://localhost:3000/&state=" + "s" * 5000,
    "client_id={cid}&redirect_uri=http://localhost:3000/&response_type=code&code_challenge=%00&code_challenge_method=S256",
    "client_id={cid}&notice=../../etc&username=%3Cscript%3E",
    "logout_uri=http://localhost:3000/&client_id=nope",
    "a" * 9000,
]
BODIES: list[tuple[str, bytes]] = [
    ("application/x-www-form-urlencoded", b""),
    ("application/x-www-form-urlencoded", b"\xff\xfe\x00garbage"),
    ("application/x-www-form-urlencoded", b"username=a&username=b&csrf_token=x"),
    ("application/x-www-form-urlencoded", b"grant_type=authorization_code&code=%00&client_id=%00"),
    ("application/x-www-form-urlencoded", b"grant_type=refresh_token&refresh_token=" + b"r" * 5000),
    ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % i for i in range(200))),
    ("application/x-www-form-urlencoded", b"x=" + b"y" * 70_000),
    ("application/json", b'{"grant_type": "authorization_code"}'),
    ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--zz--"),
    ("text/plain", b"\x00\x01\x02"),
]
HEADERS = [
    {},
    {"Authorization": "Basic !!!notbase64"},
    {"Authorization": "Basic Og=="},  # ":"
    {"Authorization": "Bearer a.b.c"},
    {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
    {"Cookie": "userpool-session=" + "A" * 43 + "; userpool-browser=%%%"},
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_500_on_garbage(sandbox: Sandbox, method: str, path: str) -> None:
    """Each query string with odd headers (and, on POST, a garbage body); on POST each body once more with a
    good query, so the body reaches the form parsing and CSRF checks."""
    good = f"client_id={sandbox.client_id}&redirect_uri=http://localhost:3000/&response_type=code"
    cases = [(q.replace("{cid}", sandbox.client_id), i) for i, q in enumerate(QUERIES)]
    if method == "POST":
        cases += [(good, i) for i in range(len(BODIES))]
    with Browser(sandbox) as b:
        b.get("/login", client_id=sandbox.client_id)  # a browser cookie, as a real visitor would have
        for query, i in cases:
            url = f"{path}?{query}"
            headers = HEADERS[i % len(HEADERS)]
            if method == "GET":
                response = b.http.get(url, headers=headers)
            else:
                ctype, body = BODIES[i % len(BODIES)]
                response = b.http.post(url, content=body, headers={**headers, "Content-Type": ctype})
            assert response.status_code < 500, (method, url[:200], response.status_code, response.text[:300])
            assert "Traceback" not in response.text


# -- in-process, with hypothesis ----------------------------------------------------------------------

PAGES = sorted(r.path for r in routes() if getattr(r, "methods", None) and "POST" in r.methods)  # type: ignore[attr-defined]
_INPUT = re.compile(r'<(?:input|select|textarea)[^>]*name="([^"]+)"')
STATS: dict[str, int] = {
    "requests": 0,
    "bad_csrf": 0,
    "changes_on_refusal": 0,
    "server_errors": 0,
    "tracebacks": 0,
    "logged_errors": 0,
}


class _Errors(logging.Handler):
    """Internal errors the pages caught and logged: a fuzzer must see none, whatever the status."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    errors = _Errors()
    logging.getLogger("userpool").addHandler(errors)
    try:
        with in_process(Path(tmp_path_factory.mktemp("fuzz-web"))) as running:
            running.http.app.state.errors = errors  # type: ignore[attr-defined]
            yield running
    finally:
        logging.getLogger("userpool").removeHandler(errors)
    record("fuzz", "hosted_pages_and_oauth", **STATS)


@pytest.fixture(scope="module")
def world(app: InProcess) -> World:
    return in_process_world(app)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not deep(),
        suppress_health_check=list(HealthCheck),
    )


def _fine(app: InProcess, response: httpx.Response, what: str) -> None:
    STATS["requests"] += 1
    STATS["server_errors"] += response.status_code >= 500
    STATS["tracebacks"] += "Traceback" in response.text or 'File "' in response.text
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    assert "Traceback" not in response.text and 'File "' not in response.text, what
    logged = app.http.app.state.errors.records  # type: ignore[attr-defined]
    found = [r.getMessage() for r in logged]
    STATS["logged_errors"] += len(found)
    logged.clear()  # each example answers for its own errors only
    assert not found, (what, found)


FORM = "application/x-www-form-urlencoded"


def _encode(fields: dict[str, str]) -> str:
    """URL-encoded as a browser would, except that lone surrogates go through as the bytes they would be."""
    return urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()})


def _values(world: World) -> st.SearchStrategy[str]:
    known = [*world.known.get("Username"), *world.known.get("Password"), *world.known.get("Code"), PASSWORD, ""]
    return st.one_of(st.sampled_from(known), st.sampled_from(known), nasty_text.map(lambda v: v[:5000]))


@pytest.mark.parametrize("page", PAGES)
def test_every_form_with_junk(app: InProcess, world: World, page: str) -> None:
    """Each page's form, posted with junk in its own fields and more: with the right CSRF token (the checks
    behind it run), without one, and with a wrong one (nothing may change)."""
    browser = Browser(http=app.http, client_id=world.default_client)
    shown = browser.get(page, client_id=world.default_client, redirect_uri=CALLBACK, response_type="code")
    fields = sorted(set(_INPUT.findall(shown.text)) - {"csrf_token"}) or ["username", "password", "code"]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', shown.text))
    token = html.unescape(hidden.get("csrf_token", ""))
    values = _values(world)
    form = st.dictionaries(st.sampled_from([*fields, "client_id", "redirect_uri", "state", "x"]), values, max_size=8)

    @_settings(scale(15, 300))
    @given(data=form, csrf=st.sampled_from(["good", "missing", "wrong", "good"]))
    def run(data: dict[str, str], csrf: str) -> None:
        sent = dict(data)
        if csrf == "good":
            sent["csrf_token"] = token
        elif csrf == "wrong":
            sent["csrf_token"] = token[::-1] or "x"
        before = snapshot(app.engine)
        response = app.http.post(
            f"{page}?client_id={world.default_client}&redirect_uri={CALLBACK}",
            content=_encode(sent),
            headers={"Content-Type": FORM},
        )
        _fine(app, response, f"{page} {csrf} {sent}")
        if csrf != "good":
            STATS["bad_csrf"] += 1
            changes = diff(before, snapshot(app.engine))
            assert not changes, (page, csrf, [str(c) for c in changes])
            assert response.status_code in (400, 403), (page, csrf, response.status_code)

    run()


# What a refused OAuth request may write (RFC 6749 §4.1.2: a code is spent by its first use, good or bad;
# refresh-token reuse revokes the family).
OAUTH_REFUSALS_MAY = {("authorization_codes", "removed", ()), ("token_sessions", "changed", ("revoked_at",))}


def _allowed(change: Change) -> bool:
    return (change.table, change.kind, change.columns) in OAUTH_REFUSALS_MAY


def _oauth_values(world: World, codes: list[str]) -> st.SearchStrategy[str]:
    known = [
        *world.clients.values(),
        *world.known.get("RefreshToken"),
        *world.known.get("AccessToken"),
        *codes,
        CALLBACK,
        "http://localhost:3000/",
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "code",
        "token",
        "S256",
        "plain",
        "openid email profile",
        "aws.cognito.signin.user.admin",
    ]
    return st.one_of(st.sampled_from(known), st.sampled_from(known), nasty_text.map(lambda v: v[:3000]))


OAUTH_PARAMS = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "token",
    "client_secret",
    "logout_uri",
    "identity_provider",
    "prompt",
    "lang",
]


def test_oauth_endpoints_with_junk(app: InProcess, world: World) -> None:
    """authorize, token, userInfo, revoke and logout with parameters drawn from live values and junk."""
    codes: list[str] = []
    signed_in = Browser(http=app.http, client_id=world.clients["rotating"])
    for _ in range(3):  # live authorization codes for the token endpoint to chew on
        pkce = Pkce.new()
        email = world.confirmed_user("oauth")
        codes.append(signed_in.sign_in(signed_in.authorize_query(pkce), email)["code"])
        app.http.cookies.clear()
    values = _oauth_values(world, codes)
    params = st.dictionaries(st.sampled_from(OAUTH_PARAMS), values, max_size=8)
    endpoints = st.sampled_from(
        [
            ("GET", "/oauth2/authorize"),
            ("POST", "/oauth2/token"),
            ("GET", "/oauth2/userInfo"),
            ("POST", "/oauth2/userInfo"),
            ("POST", "/oauth2/revoke"),
            ("GET", "/logout"),
        ]
    )
    auth = st.one_of(
        st.none(),
        st.sampled_from(world.known.get("AccessToken")).map(lambda t: f"Bearer {t}"),
        st.sampled_from(["Basic Og==", "Basic !!!", "Bearer ", "Negotiate x"]),
        nasty_text.map(lambda v: "Basic " + v[:200]),
    )

    @_settings(scale(150, 3000))
    @given(endpoint=endpoints, query=params, auth=auth)
    def run(endpoint: tuple[str, str], query: dict[str, str], auth: str | None) -> None:
        method, path = endpoint
        headers: dict[str, Any] = {}
        if auth is not None:
            headers["Authorization"] = auth.encode("utf-8", "replace")  # bytes: any octets, as a raw client sends
        before = snapshot(app.engine)
        if method == "GET":
            response = app.http.get(f"{path}?{_encode(query)}", headers=headers)
        else:
            response = app.http.post(path, content=_encode(query), headers={**headers, "Content-Type": FORM})
        _fine(app, response, f"{method} {path} {query}")
        if response.status_code >= 400:
            changes = [c for c in diff(before, snapshot(app.engine)) if not _allowed(c)]
            if changes:
                STATS["changes_on_refusal"] += 1
            assert not changes, (path, query, [str(c) for c in changes])

    run()
