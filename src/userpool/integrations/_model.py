"""The plain values `with_authenticator` works with: configuration, tokens, the user, cookies, requests and
replies in a framework-neutral shape. No I/O here beyond reading amplify_outputs.json."""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from markupsafe import Markup

CALLBACK_PATH = "/auth/callback"
SIGN_IN_PATH = "/auth/sign-in"
SIGN_OUT_PATH = "/auth/sign-out"
GLOBAL_FIELD = "global"  # the sign-out form's field that asks for GlobalSignOut (Amplify's `signOut({ global: true })`)
SESSION_COOKIE = "userpool_app_session"
LOGIN_COOKIE = "userpool_app_login"
LOGIN_MAX_AGE = 600
SESSION_MAX_AGE = 30 * 86400  # Cognito's default refresh-token validity
REFRESH_MARGIN = 30  # refresh this many seconds before the tokens expire
CHUNK = 3800  # browsers keep cookies up to 4096 bytes, name and attributes included
DEFAULT_SCOPES = ("openid", "email", "profile", "aws.cognito.signin.user.admin")
_PROTOCOL_CLAIMS = frozenset(
    {"iss", "aud", "exp", "iat", "nbf", "auth_time", "token_use", "jti", "origin_jti", "event_id", "nonce"}
    | {"at_hash", "sub", "cognito:username", "cognito:groups", "cognito:roles", "cognito:preferred_role"}
)

_PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))

Route = Literal["callback", "sign-in", "sign-out"]


class AuthError(Exception):
    """A sign-in that cannot finish (bad state, expired attempt, refused code); the message is for people."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT we verified earlier (it reaches us only inside our own sealed cookie)."""
    claims = json.loads(unb64(token.split(".")[1]))
    return claims if isinstance(claims, dict) else {}


@dataclass(frozen=True)
class AuthConfig:
    """Where the pool is, from `amplify_outputs.json`."""

    endpoint: str  # base of /oauth2/* and /logout
    issuer: str
    jwks_uri: str
    pool_id: str
    client_id: str
    region: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    api_endpoint: str = ""  # the Cognito JSON API (GlobalSignOut); "" means `endpoint`

    @property
    def api_url(self) -> str:
        return (self.api_endpoint or self.endpoint).rstrip("/") + "/"

    @classmethod
    def from_outputs(cls, outputs: str | os.PathLike[str] | Mapping[str, Any]) -> AuthConfig:
        """From the file (path) or its parsed content. `custom.userpool` names a userpool server; without it
        the `auth.oauth.domain` of a real Cognito pool is used."""
        data: Mapping[str, Any]
        if isinstance(outputs, Mapping):
            data = outputs
        else:
            path = Path(outputs)
            if not path.exists():
                raise FileNotFoundError(f"{path} not found: run `userpool sandbox` in the app folder first")
            data = json.loads(path.read_text())
        auth = data.get("auth") or {}
        if "user_pool_id" not in auth or "user_pool_client_id" not in auth:
            raise ValueError("amplify_outputs.json has no auth.user_pool_id / auth.user_pool_client_id")
        pool_id, region = str(auth["user_pool_id"]), str(auth.get("aws_region", ""))
        oauth = auth.get("oauth") or {}
        custom = (data.get("custom") or {}).get("userpool") or {}
        if custom.get("endpoint"):
            endpoint = str(custom["endpoint"]).rstrip("/")
            issuer = str(custom.get("issuer") or f"{endpoint}/{pool_id}")
            api_endpoint = endpoint  # a userpool server answers both
        elif oauth.get("domain"):
            endpoint = f"https://{oauth['domain']}"
            issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
            api_endpoint = f"https://cognito-idp.{region}.amazonaws.com"
        else:
            raise ValueError("amplify_outputs.json names no endpoint (custom.userpool or auth.oauth.domain)")
        return cls(
            endpoint=endpoint,
            issuer=issuer,
            jwks_uri=str(custom.get("jwks_uri") or f"{issuer}/.well-known/jwks.json"),
            pool_id=pool_id,
            client_id=str(auth["user_pool_client_id"]),
            region=region,
            scopes=tuple(oauth.get("scopes") or DEFAULT_SCOPES),
            api_endpoint=api_endpoint,
        )


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_at: int  # the earlier `exp` of the two tokens
    signed_in_at: int
    sid: str = field(repr=False)  # random per sign-in; the CSRF token of the sign-out form is bound to it


@dataclass(frozen=True)
class User:
    """The signed-in user. `login_id` is what they signed in with (Amplify's `signInDetails.loginId`):
    their email (or phone number) in a pool that signs in with it, else the username. `groups` are the
    user's groups as the tokens say (`cognito:groups` of the ID token, then any more the access token names),
    so a pre token generation trigger's `groupOverrideDetails` counts."""

    username: str
    sub: str
    login_id: str
    attributes: Mapping[str, Any]
    groups: tuple[str, ...]
    tokens: Tokens = field(repr=False)

    @classmethod
    def from_tokens(cls, tokens: Tokens) -> User:
        claims = jwt_claims(tokens.id_token)
        username = str(claims.get("cognito:username") or claims.get("sub", ""))
        groups = _groups(claims) + _groups(jwt_claims(tokens.access_token))
        return cls(
            username=username,
            sub=str(claims.get("sub", "")),
            login_id=str(claims.get("email") or claims.get("phone_number") or username),
            attributes={k: v for k, v in claims.items() if k not in _PROTOCOL_CLAIMS},
            groups=tuple(dict.fromkeys(groups)),
            tokens=tokens,
        )

    def in_group(self, group: str) -> bool:
        """Is the user a member of `group` (exact, case-sensitive, as Cognito's group names are)?"""
        return group in self.groups


def _groups(claims: Mapping[str, Any]) -> tuple[str, ...]:
    groups = claims.get("cognito:groups")
    return tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else ()


@dataclass(frozen=True)
class SignOut:
    """The sign-out button: a POST form to `url` carrying `csrf_token`. In Jinja, `{{ sign_out }}` renders it.

    `form()` signs out of this browser: the refresh token is revoked, the app's session cookie cleared and
    the hosted session ended. `form(global_=True)` ("Sign out everywhere") also calls GlobalSignOut with the
    access token, so every session of the user ends: other browsers keep their page until their tokens
    next need refreshing (within the access token's validity, an hour by default), then they are signed out.
    A script posts the same fields: `csrf_token` and, for the global variant, `global=true`."""

    url: str
    csrf_token: str

    def form(self, label: str | None = None, *, global_: bool = False) -> Markup:
        if label is None:
            label = "Sign out everywhere" if global_ else "Sign out"
        everywhere = Markup('<input type="hidden" name="{}" value="true">').format(GLOBAL_FIELD) if global_ else ""
        return Markup(
            '<form method="post" action="{}"><input type="hidden" name="csrf_token" value="{}">{}'
            '<button type="submit">{}</button></form>'
        ).format(self.url, self.csrf_token, everywhere, label)

    def __html__(self) -> str:
        return str(self.form())


@dataclass(frozen=True)
class Cookie:
    name: str
    value: str
    max_age: int
    path: str = "/"
    secure: bool = False

    def header(self) -> str:
        parts = [f"{self.name}={self.value}", f"Path={self.path}", f"Max-Age={self.max_age}"]
        if self.max_age == 0:
            parts.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
        parts += ["HttpOnly", "SameSite=Lax"] + (["Secure"] if self.secure else [])
        return "; ".join(parts)


@dataclass(frozen=True)
class WebRequest:
    method: str
    origin: str  # scheme://host[:port] as the browser sees the app
    path: str
    query: str  # raw query string, without "?"
    target: str  # the raw path and query, for coming back after sign-in
    cookies: Mapping[str, str]
    accept: str = ""
    fetch_mode: str = ""  # Sec-Fetch-Mode

    @property
    def navigation(self) -> bool:
        """A browser loading a page (answered with a redirect to sign in), not a script (answered 401)."""
        if self.method not in ("GET", "HEAD"):
            return False
        if self.fetch_mode:
            return self.fetch_mode == "navigate"
        return "text/html" in self.accept

    @property
    def secure(self) -> bool:
        return self.origin.startswith("https://")


@dataclass
class Reply:
    """A response to send as is. Cookies are kept apart from the other headers for frameworks (Django) that
    set them through their own cookie jar; `all_headers()` has them as Set-Cookie headers."""

    status: int
    headers: list[tuple[str, str]]
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    cookies: list[Cookie] = field(default_factory=list)

    def all_headers(self) -> list[tuple[str, str]]:
        return self.headers + [("Set-Cookie", c.header()) for c in self.cookies]


@dataclass(frozen=True)
class Granted:
    """Let the request through: with the signed-in user, or (on a public path) with nobody."""

    user: User | None
    sign_out: SignOut | None
    cookies: Sequence[Cookie] = ()


def safe_next(target: str | None) -> str:
    """A path on this site to return to; anything else (another origin, `//host`, `/\\host`) becomes "/"."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c == "\\" or ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return quote(target, safe=_PRINTABLE_ASCII)  # non-ASCII (from a decoded ?next=) cannot go in a header


def page(status: int, title: str, text: str, link: tuple[str, str] | None = None) -> Reply:
    body = f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
    body += f"<p>{html.escape(text)}</p>"
    if link:
        body += f'<p><a href="{html.escape(link[0])}">{html.escape(link[1])}</a></p>'
    return Reply(status, [("Cache-Control", "no-store")], body)
