"""The OAuth 2.0 client behind `with_authenticator`, with no web framework in it.

An adapter (starlette.py, flask.py, django.py) turns its request into a `WebRequest`, asks `AuthClient` what
to do, and turns the answer back into its own response: a `Reply` to send as is, or `Granted` (the view runs
with the signed-in `User` and a `SignOut`, and the response gets `Granted.cookies`, set after a silent
refresh). Group checks (`User.in_group`) are the adapters' own, so each framework refuses in its own way
(HTTPException, `abort(403)`, `PermissionDenied`) and the app's own 403 page applies.

Sign-in is the authorization-code flow with PKCE (S256), a random `state` and `nonce` kept in a sealed
cookie for ten minutes. The tokens live in a session cookie sealed with AES-256-GCM under a key derived
from the app's `secret_key` by HKDF, so the browser can neither read nor alter them; the ID token was
verified (signature, issuer, audience, expiry, nonce) before it was sealed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from userpool.integrations._model import (
    CALLBACK_PATH,
    CHUNK,
    GLOBAL_FIELD,
    LOGIN_COOKIE,
    LOGIN_MAX_AGE,
    REFRESH_MARGIN,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    AuthConfig,
    AuthError,
    Cookie,
    Granted,
    Reply,
    Route,
    SignOut,
    Tokens,
    User,
    WebRequest,
    b64,
    jwt_claims,
    page,
    safe_next,
    unb64,
)
from userpool.integrations.verify import TokenError, TokenVerifier


class AuthClient:
    """One app's OAuth 2.0 client of one user pool. Thread-safe; holds no per-visitor state."""

    def __init__(
        self,
        outputs: str | os.PathLike[str] | Mapping[str, Any] | AuthConfig,
        secret_key: str | bytes,
        *,
        redirect_uri: str | None = None,
        scopes: Sequence[str] | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        config = outputs if isinstance(outputs, AuthConfig) else AuthConfig.from_outputs(outputs)
        self.config = replace(config, scopes=tuple(scopes)) if scopes else config
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if len(secret) < 16:
            raise ValueError("secret_key must be at least 16 bytes: use secrets.token_urlsafe(32)")
        self._aead = AESGCM(_derive(secret, b"userpool/integrations/session"))
        self._csrf_key = _derive(secret, b"userpool/integrations/csrf")
        self.redirect_uri = redirect_uri
        self.callback_path = urlsplit(redirect_uri).path if redirect_uri else CALLBACK_PATH
        self._http = http
        self._clock = clock
        self.verifier = TokenVerifier(
            self.config.issuer,
            [self.config.client_id],
            jwks_uri=self.config.jwks_uri,
            leeway=30,
            http=http,
            clock=clock,
        )

    # -- sealing and cookies ----------------------------------------------------------------------------

    def seal(self, data: Mapping[str, Any], purpose: str) -> str:
        nonce = secrets.token_bytes(12)
        payload = json.dumps(data, separators=(",", ":")).encode()
        return b64(nonce + self._aead.encrypt(nonce, payload, purpose.encode()))

    def unseal(self, value: str | None, purpose: str) -> dict[str, Any] | None:
        if not value:
            return None
        try:
            raw = unb64(value)
            data = json.loads(self._aead.decrypt(raw[:12], raw[12:], purpose.encode()))
        except Exception:  # tampered, truncated, or sealed under another key: all the same to us
            return None
        return data if isinstance(data, dict) else None

    def session_cookies(self, tokens: Tokens | None, request: WebRequest) -> list[Cookie]:
        """Cookies that store `tokens` (or clear the session when None), split in chunks when large."""
        value = "" if tokens is None else self.seal(_pack(tokens), SESSION_COOKIE)
        chunks = [value[i : i + CHUNK] for i in range(0, len(value), CHUNK)] or [""]
        max_age = 0 if tokens is None else SESSION_MAX_AGE
        names = [SESSION_COOKIE] + [f"{SESSION_COOKIE}.{i}" for i in range(1, len(chunks))]
        cookies = [Cookie(n, c, max_age, "/", request.secure) for n, c in zip(names, chunks, strict=True)]
        stale = len(chunks)
        while f"{SESSION_COOKIE}.{stale}" in request.cookies:
            cookies.append(Cookie(f"{SESSION_COOKIE}.{stale}", "", 0, "/", request.secure))
            stale += 1
        return cookies

    def read_session(self, cookies: Mapping[str, str]) -> Tokens | None:
        parts, i = [cookies.get(SESSION_COOKIE, "")], 1
        while f"{SESSION_COOKIE}.{i}" in cookies:
            parts.append(cookies[f"{SESSION_COOKIE}.{i}"])
            i += 1
        data = self.unseal("".join(parts), SESSION_COOKIE)
        if data is None:
            return None
        try:
            tokens = Tokens(data["id"], data["at"], data.get("rt"), int(data["exp"]), int(data["t"]), data["sid"])
        except (KeyError, TypeError, ValueError):
            return None
        return tokens if self._clock() - tokens.signed_in_at < SESSION_MAX_AGE else None

    def sign_out_for(self, tokens: Tokens) -> SignOut:
        mac = hmac.new(self._csrf_key, tokens.sid.encode(), hashlib.sha256).digest()
        return SignOut(SIGN_OUT_PATH, b64(mac))

    # -- what to do with a request ----------------------------------------------------------------------

    def route(self, path: str) -> Route | None:
        routes: dict[str, Route] = {
            self.callback_path: "callback",
            SIGN_IN_PATH: "sign-in",
            SIGN_OUT_PATH: "sign-out",
        }
        return routes.get(path)

    def needs_refresh(self, request: WebRequest) -> bool:
        """Would `guard` call the pool? (An async adapter then runs it in a thread.)"""
        tokens = self.read_session(request.cookies)
        return tokens is not None and tokens.expires_at - REFRESH_MARGIN <= self._clock()

    def guard(self, request: WebRequest, *, required: bool = True) -> Granted | Reply:
        """Granted for a signed-in visitor (refreshing expired tokens first); otherwise a redirect to sign
        in for a page load, 401 for anything else, or Granted to nobody when `required` is false."""
        tokens = self.read_session(request.cookies)
        cookies: list[Cookie] = []
        if tokens is not None and tokens.expires_at - REFRESH_MARGIN <= self._clock():
            try:
                tokens = self.refresh(tokens)
            except AuthError:
                tokens = None
            cookies = self.session_cookies(tokens, request)
        if tokens is not None:
            return Granted(User.from_tokens(tokens), self.sign_out_for(tokens), cookies)
        if not required:
            return Granted(None, None, cookies)
        reply = self.signed_out(request)
        reply.cookies += cookies
        return reply

    def signed_out(self, request: WebRequest) -> Reply:
        """The answer to a signed-out visitor where a user is required: a page load goes to the hosted
        Authenticator and comes back to the same page; anything else (fetch, a form post) gets 401."""
        if request.navigation:
            return self.begin(request, request.target)
        return Reply(401, [("Cache-Control", "no-store")], "Not signed in", "text/plain; charset=utf-8")

    def handle(self, request: WebRequest, form: Mapping[str, str] | None = None) -> Reply:
        """Answer one of the integration's own routes (see `route`); `form` is the POSTed sign-out form."""
        route = self.route(request.path)
        if route == "callback":
            return self.complete(request)
        if route == "sign-in":
            return self.begin(request, (parse_qs(request.query).get("next") or ["/"])[0])
        if route == "sign-out":
            form = form or {}
            everywhere = form.get(GLOBAL_FIELD, "").lower() in ("true", "1", "on", "yes")
            return self.sign_out(request, form.get("csrf_token"), everywhere=everywhere)
        return page(404, "Not Found", "No such page.")

    # -- sign-in ----------------------------------------------------------------------------------------

    def begin(self, request: WebRequest, next_target: str) -> Reply:
        """Send the browser to the hosted Authenticator, keeping state, nonce and PKCE verifier sealed."""
        next_path = safe_next(next_target)
        if self.route(urlsplit(next_path).path):
            next_path = "/"
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        redirect_uri = self.redirect_uri or request.origin + self.callback_path
        login = {"s": state, "n": nonce, "v": verifier, "r": redirect_uri, "next": next_path, "t": self._clock()}
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": nonce,
            "scope": " ".join(self.config.scopes),
            "code_challenge": b64(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
        cookie = Cookie(LOGIN_COOKIE, self.seal(login, LOGIN_COOKIE), LOGIN_MAX_AGE, self.callback_path, request.secure)
        location = f"{self.config.endpoint}/oauth2/authorize?{urlencode(query)}"
        return Reply(302, [("Location", location), ("Cache-Control", "no-store")], cookies=[cookie])

    def complete(self, request: WebRequest) -> Reply:
        """The callback: check state, exchange the code, verify the ID token and its nonce, start a session."""
        clear = Cookie(LOGIN_COOKIE, "", 0, self.callback_path, request.secure)
        if LOGIN_COOKIE not in request.cookies and self.read_session(request.cookies) is not None:
            return Reply(303, [("Location", "/"), ("Cache-Control", "no-store")])  # a replayed callback: back home
        try:
            tokens, next_path = self._complete(request)
        except AuthError as err:
            reply = page(400, "Sign-in failed", str(err), (SIGN_IN_PATH, "Try again"))
            reply.cookies.append(clear)
            return reply
        cookies = [clear, *self.session_cookies(tokens, request)]
        return Reply(303, [("Location", next_path), ("Cache-Control", "no-store")], cookies=cookies)

    def _complete(self, request: WebRequest) -> tuple[Tokens, str]:
        params = {k: v[0] for k, v in parse_qs(request.query).items()}
        login = self.unseal(request.cookies.get(LOGIN_COOKIE), LOGIN_COOKIE)
        if login is None or self._clock() - float(login.get("t", 0)) > LOGIN_MAX_AGE:
            raise AuthError("This sign-in attempt expired or was started in another browser.")
        if "error" in params:
            raise AuthError(f"The user pool refused the sign-in: {params['error'][:100]}.")
        if not _same(params.get("state", ""), str(login["s"])):
            raise AuthError("The sign-in response does not match this sign-in attempt (state).")
        if not params.get("code"):
            raise AuthError("The sign-in response carries no code.")
        answer = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": str(login["r"]),
                "client_id": self.config.client_id,
                "code_verifier": str(login["v"]),
            }
        )
        claims = self._verify(answer)
        if not _same(str(claims.get("nonce", "")), str(login["n"])):
            raise AuthError("The ID token does not belong to this sign-in attempt (nonce).")
        return self._tokens(answer, None, int(self._clock()), secrets.token_urlsafe(16)), str(login["next"])

    def refresh(self, tokens: Tokens) -> Tokens:
        """New ID and access tokens from the refresh token (AuthError when the pool says no)."""
        if not tokens.refresh_token:
            raise AuthError("no refresh token")
        answer = self._token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
                "client_id": self.config.client_id,
            }
        )
        claims = self._verify(answer)
        if claims.get("sub") != jwt_claims(tokens.id_token).get("sub"):
            raise AuthError("refreshed tokens are for another user")
        return self._tokens(answer, tokens.refresh_token, tokens.signed_in_at, tokens.sid)

    # -- sign-out ---------------------------------------------------------------------------------------

    def sign_out(self, request: WebRequest, csrf_token: str | None, *, everywhere: bool = False) -> Reply:
        """Sign out of this browser: revoke the refresh token, clear the session, end the hosted session.
        With `everywhere`, GlobalSignOut instead of the revocation: every token of the user, in every
        browser and app, stops refreshing, and the pool's hosted sessions end."""
        tokens = self.read_session(request.cookies)
        if tokens is not None:
            expected = self.sign_out_for(tokens).csrf_token
            if not csrf_token or not _same(csrf_token, expected):
                return page(403, "Forbidden", "The sign-out form is stale or forged (CSRF token).")
            if everywhere:
                if not self.global_sign_out(tokens):
                    reply = page(
                        502,
                        "Not signed out everywhere",
                        "You are signed out here, but the user pool could not be reached to end your other "
                        "sessions. Sign in and try again.",
                        (SIGN_IN_PATH, "Sign in"),
                    )
                    reply.cookies += self.session_cookies(None, request)
                    return reply
            elif tokens.refresh_token:
                self.revoke(tokens.refresh_token)
        query = urlencode({"client_id": self.config.client_id, "logout_uri": request.origin + "/"})
        headers = [("Location", f"{self.config.endpoint}/logout?{query}"), ("Cache-Control", "no-store")]
        return Reply(303, headers, cookies=self.session_cookies(None, request))

    def revoke(self, refresh_token: str) -> bool:
        """RFC 7009 revocation at the pool; False (never an exception) when the pool cannot be reached."""
        form = {"token": refresh_token, "client_id": self.config.client_id}
        try:
            return self._post(f"{self.config.endpoint}/oauth2/revoke", form).status_code == 200
        except httpx.HTTPError:
            return False

    def global_sign_out(self, tokens: Tokens) -> bool:
        """GlobalSignOut with the session's access token (refreshed first when it has expired): True once
        every session of the user has ended, also when the pool says this one already had (a revoked or
        expired token); False, never an exception, when the pool cannot be reached or fails."""
        if tokens.expires_at - REFRESH_MARGIN <= self._clock():
            with contextlib.suppress(AuthError):  # refused or unreachable: the answer below tells which
                tokens = self.refresh(tokens)
        body = json.dumps({"AccessToken": tokens.access_token})
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.GlobalSignOut",
        }
        try:
            if self._http is not None:
                response = self._http.post(self.config.api_url, content=body, headers=headers, timeout=10)
            else:
                response = httpx.post(self.config.api_url, content=body, headers=headers, timeout=10)
        except httpx.HTTPError:
            return False
        if response.status_code == 200:
            return True
        try:
            error = str(response.json().get("__type", ""))
        except (ValueError, AttributeError):
            error = ""
        return response.status_code == 400 and error.rsplit("#", 1)[-1] == "NotAuthorizedException"

    # -- the pool's token endpoint ----------------------------------------------------------------------

    def _post(self, url: str, form: Mapping[str, str]) -> httpx.Response:
        if self._http is not None:
            return self._http.post(url, data=form, timeout=10)
        return httpx.post(url, data=form, timeout=10)

    def _token_request(self, form: Mapping[str, str]) -> dict[str, Any]:
        try:
            response = self._post(f"{self.config.endpoint}/oauth2/token", form)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AuthError(f"The user pool could not be reached: {exc}") from exc
        if response.status_code != 200 or not isinstance(answer, dict):
            error = answer.get("error", response.status_code) if isinstance(answer, dict) else response.status_code
            raise AuthError(f"The user pool refused the tokens: {error}.")
        return answer

    def _verify(self, answer: Mapping[str, Any]) -> dict[str, Any]:
        try:
            self.verifier.verify(str(answer.get("access_token", "")), "access")
            return self.verifier.verify(str(answer.get("id_token", "")), "id")
        except TokenError as err:
            raise AuthError(f"The tokens from the user pool are not valid: {err}.") from err

    @staticmethod
    def _tokens(answer: Mapping[str, Any], refresh_token: str | None, signed_in_at: int, sid: str) -> Tokens:
        id_token, access_token = str(answer["id_token"]), str(answer["access_token"])
        expires_at = min(int(jwt_claims(id_token)["exp"]), int(jwt_claims(access_token)["exp"]))
        refresh = answer.get("refresh_token") or refresh_token
        return Tokens(id_token, access_token, str(refresh) if refresh else None, expires_at, signed_in_at, sid)


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII input (str compare_digest raises on it)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(secret)


def _pack(tokens: Tokens) -> dict[str, Any]:
    return {
        "id": tokens.id_token,
        "at": tokens.access_token,
        "rt": tokens.refresh_token,
        "exp": tokens.expires_at,
        "t": tokens.signed_in_at,
        "sid": tokens.sid,
    }
