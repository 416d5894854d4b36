"""The protections of every hosted page, in process: CSRF before anything runs, the headers, the cookies'
flags over https (the `__Host-` prefix, Secure), and no page failing on odd input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.hosted_app import hosted

ENTRY = ["/login", "/signup", "/confirm", "/forgotPassword", "/confirmForgotPassword"]
SIGNED_IN_OR_PENDING = [
    "/confirmSignIn",
    "/selectMfaType",
    "/setupTotp",
    "/setupEmail",
    "/forceNewPassword",
    "/verifyUser",
    "/confirmVerifyUser",
    "/recoveryCodes",
]


@pytest.mark.parametrize("path", ENTRY)
def test_a_post_without_the_csrf_token_is_refused(tmp_path: Path, path: str) -> None:
    with hosted(tmp_path) as app:
        app.get(path)  # the browser cookie
        refused = app.http.post(f"{path}?client_id={app.pool.default_client_id}", data={"username": "a@example.com"})
        assert refused.status_code == 403 and "This form has expired" in refused.text


@pytest.mark.parametrize("path", SIGNED_IN_OR_PENDING)
def test_pages_of_a_sign_in_in_progress_send_a_stranger_to_sign_in(tmp_path: Path, path: str) -> None:
    with hosted(tmp_path) as app:
        for method in ("GET", "POST"):
            answer = app.http.request(method, f"{path}?client_id={app.pool.default_client_id}", data={"x": "1"})
            assert answer.status_code in (303, 403), (method, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/login?")


@pytest.mark.parametrize("path", ENTRY + SIGNED_IN_OR_PENDING)
def test_headers_on_every_page(tmp_path: Path, path: str) -> None:
    with hosted(tmp_path) as app:
        page = app.get(path)
        if page.status_code == 303:
            page = app.http.get(page.headers["location"])
        csp = page.headers["content-security-policy"]
        for directive in (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ):
            assert directive in csp
        assert "unsafe" not in csp
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_cookies_over_https_are_secure_and_host_only(tmp_path: Path) -> None:
    with hosted(tmp_path, endpoint="https://auth.example.com") as app:
        page = app.get("/login", lang="de")
        cookies = page.headers.get_list("set-cookie")
        assert {c.split("=", 1)[0] for c in cookies} == {"__Host-userpool-browser", "__Host-userpool-lang"}
        for cookie in cookies:
            flags = cookie.lower()
            assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
            assert "domain=" not in flags


@pytest.mark.parametrize(
    "query",
    [
        {"lang": "../../etc"},
        {"lang": "x" * 5000},
        {"notice": "<script>"},
        {"username": "<b>x</b>"},
        {"identity_provider": "<script>"},
        {"redirect_uri": "javascript:alert(1)"},
    ],
)
def test_odd_input_is_answered_not_failed(tmp_path: Path, query: dict[str, str]) -> None:
    with hosted(tmp_path) as app:
        for path in ("/login", "/oauth2/authorize", "/signup"):
            answer = app.get(path, **query)
            assert answer.status_code < 500 and "<script>" not in answer.text and "<b>x</b>" not in answer.text
