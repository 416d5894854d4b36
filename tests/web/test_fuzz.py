"""Garbage to every hosted endpoint: never a 500, never a traceback."""

from __future__ import annotations

import pytest

from tests.support.sandbox import Sandbox
from tests.web.browser import Browser

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
