"""A cookie-keeping HTTP "browser" for the hosted pages, and the OAuth client side of a code + PKCE flow."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support.sandbox import PASSWORD, Sandbox

CALLBACK = "http://localhost:3000/callback"
_FORM = re.compile(r'<form[^>]*action="([^"]*)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)"')
_ALERT = re.compile(r'role="alert"[^>]*>([^<]*)<')


def alert(page: httpx.Response) -> str:
    found = _ALERT.search(page.text)
    return html.unescape(found.group(1)) if found else ""


def link(page: httpx.Response, text: str) -> str:
    """The href of the link with this text (as a user would find it by its name)."""
    found = re.search(r'<a [^>]*href="([^"]*)"[^>]*>' + re.escape(text) + "</a>", page.text)
    assert found, f"no link {text!r}"
    return html.unescape(found.group(1))


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


class Browser:
    """A sandbox's browser, or (with `http` and `client_id`) one over any client such as TestClient."""

    def __init__(self, box: Sandbox | None = None, *, http: httpx.Client | None = None, client_id: str = "") -> None:
        if box is not None:
            http = httpx.Client(base_url=box.endpoint, follow_redirects=False, timeout=30)
            client_id = box.client_id
        assert http is not None
        self.http = http
        self.client_id = client_id

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def get(self, url: str, **params: str) -> httpx.Response:
        return self.http.get(url, params=params or None)

    def submit(self, page: httpx.Response, fields: dict[str, str], *, csrf: bool = True) -> httpx.Response:
        """Post the page's form as a browser would: to its action, with its hidden fields (the CSRF token)."""
        action = html.unescape(_FORM.search(page.text).group(1))  # type: ignore[union-attr]
        hidden = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
        if not csrf:
            hidden.pop("csrf_token")
        return self.http.post(action, data={**hidden, **fields})

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        return self.http.get(response.headers["location"])

    def follow_all(self, response: httpx.Response, *, until: str = "") -> httpx.Response:
        """Follow redirects between the hosted pages (at most 5), stopping early at a location starting `until`."""
        for _ in range(5):
            if response.status_code not in (302, 303):
                return response
            if until and response.headers["location"].startswith(until):
                return response
            response = self.follow(response)
        raise AssertionError("too many redirects")

    # -- OAuth ----------------------------------------------------------------------------------------

    def authorize_query(self, pkce: Pkce, **extra: str) -> dict[str, str]:
        params = {
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid email profile",
            "state": "st-" + secrets.token_hex(4),
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
            "nonce": "n-" + secrets.token_hex(4),
        }
        params.update(extra)
        return {k: v for k, v in params.items() if v}

    def authorize(self, params: dict[str, str]) -> httpx.Response:
        return self.http.get("/oauth2/authorize?" + urlencode(params))

    def sign_in(self, params: dict[str, str], email: str, password: str = PASSWORD) -> dict[str, str]:
        """authorize (→ login form, unless already signed in) → the callback's query (code, state)."""
        first = self.authorize(params)
        if first.headers.get("location", "").startswith(params["redirect_uri"] + "?"):
            return query_of(first.headers["location"])
        login = self.follow(first)
        assert login.status_code == 200, login.text
        done = self.submit(login, {"username": email, "password": password})
        assert done.status_code == 303, alert(done) or done.text[:300]
        back = self.follow(done)
        assert back.status_code == 302
        assert back.headers["location"].startswith(params["redirect_uri"] + "?")
        return query_of(back.headers["location"])

    def token(self, **form: str) -> httpx.Response:
        return self.http.post("/oauth2/token", data=form)

    def exchange(self, code: str, pkce: Pkce, redirect_uri: str = CALLBACK) -> httpx.Response:
        return self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            client_id=self.client_id,
            code_verifier=pkce.verifier,
        )


def create_user(box: Sandbox, email: str, password: str = PASSWORD) -> None:
    """A confirmed user, made through the JSON API (the pages are tested elsewhere)."""
    attrs = [{"Name": "email", "Value": email}]
    body: dict[str, Any] = {"ClientId": box.client_id, "Username": email, "Password": password}
    assert box.call("SignUp", {**body, "UserAttributes": attrs}).status_code == 200
    confirm = {"ClientId": box.client_id, "Username": email, "ConfirmationCode": box.last_code(email)}
    assert box.call("ConfirmSignUp", confirm).status_code == 200
