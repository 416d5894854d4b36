"""The whole walking skeleton against a real sandbox: sign up on the pages, confirm, sign in, code + PKCE,
tokens that verify against the JWKS, userInfo, refresh, revoke."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.sandbox import PASSWORD, Sandbox, unique_email
from tests.web.browser import CALLBACK, Browser, Pkce, alert, create_user, link, query_of


def _claims(box: Sandbox, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(httpx.get(f"{box.endpoint}/{box.pool_id}/.well-known/jwks.json").json())
    return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_sign_up_confirm_sign_in_and_exchange_the_code(sandbox: Sandbox) -> None:
    email = unique_email("walk")
    pkce = Pkce.new()
    with Browser(sandbox) as b:
        params = b.authorize_query(pkce)
        to_login = b.authorize(params)
        assert to_login.status_code == 302
        assert to_login.headers["location"].startswith("/login?")
        login = b.follow(to_login)
        assert ">Sign In</h1>" in login.text
        signup_url = link(login, "Create Account")
        assert signup_url.startswith("/signup?")
        signup = b.get(signup_url)
        assert ">Create Account</h1>" in signup.text
        created = b.submit(signup, {"username": email, "password": PASSWORD, "confirm_password": PASSWORD})
        assert created.status_code == 303, alert(created)
        confirm = b.follow(created)
        assert ">We Emailed You</h1>" in confirm.text
        confirmed = b.submit(confirm, {"code": sandbox.last_code(email), "action": "confirm"})
        assert confirmed.status_code == 303, alert(confirmed)
        login = b.follow(confirmed)
        assert "Your account is confirmed." in login.text
        assert f'value="{email}"' in login.text  # the user name is kept
        signed_in = b.submit(login, {"username": email, "password": PASSWORD})
        assert signed_in.status_code == 303
        assert signed_in.headers["location"].startswith("/oauth2/authorize?")
        back = b.follow(signed_in)
        assert back.status_code == 302
        callback = query_of(back.headers["location"])
        assert back.headers["location"].startswith(CALLBACK + "?")
        assert callback["state"] == params["state"]

        response = b.exchange(callback["code"], pkce)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        tokens = response.json()
        assert tokens["token_type"] == "Bearer"
        assert tokens["expires_in"] == 3600
        assert tokens["refresh_token"]

        id_claims = _claims(sandbox, tokens["id_token"])
        assert id_claims["aud"] == sandbox.client_id
        assert id_claims["iss"] == f"{sandbox.endpoint}/{sandbox.pool_id}"
        assert id_claims["nonce"] == params["nonce"]
        assert id_claims["at_hash"] == _at_hash(tokens["access_token"])
        assert id_claims["email"] == email
        assert id_claims["token_use"] == "id"
        access = _claims(sandbox, tokens["access_token"])
        assert access["client_id"] == sandbox.client_id
        assert access["scope"] == "openid email profile"
        assert access["sub"] == id_claims["sub"]

        info = b.http.get("/oauth2/userInfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert info.status_code == 200, info.text
        assert info.json()["email"] == email
        assert info.json()["email_verified"] == "true"
        assert info.json()["sub"] == id_claims["sub"]
        assert info.json()["username"] == id_claims["cognito:username"]

        again = b.exchange(callback["code"], pkce)
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"

        refreshed = b.token(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=sandbox.client_id
        )
        assert refreshed.status_code == 200, refreshed.text
        new = refreshed.json()
        assert "refresh_token" not in new
        assert _claims(sandbox, new["id_token"])["at_hash"] == _at_hash(new["access_token"])
        assert _claims(sandbox, new["access_token"])["origin_jti"] == access["origin_jti"]


def test_a_signed_in_browser_gets_a_code_without_the_form(sandbox: Sandbox) -> None:
    email = unique_email("again")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        b.sign_in(b.authorize_query(Pkce.new()), email)
        pkce = Pkce.new()
        direct = b.authorize(b.authorize_query(pkce))
        assert direct.status_code == 302
        code = query_of(direct.headers["location"])["code"]
        assert b.exchange(code, pkce).status_code == 200


def test_global_sign_out_ends_the_hosted_session_too(sandbox: Sandbox) -> None:
    email = unique_email("global")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        pkce = Pkce.new()
        query = b.authorize_query(pkce, scope="openid aws.cognito.signin.user.admin")
        access = b.exchange(b.sign_in(query, email)["code"], pkce).json()["access_token"]
        assert sandbox.call("GlobalSignOut", {"AccessToken": access}).status_code == 200
        again = b.authorize(b.authorize_query(Pkce.new()))
        assert again.status_code == 302 and again.headers["location"].startswith("/login?")


def test_wrong_verifier_and_wrong_redirect_are_refused_and_burn_the_code(sandbox: Sandbox) -> None:
    email = unique_email("pkce")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        pkce = Pkce.new()
        code = b.sign_in(b.authorize_query(pkce), email)["code"]
        wrong = b.exchange(code, Pkce.new())
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "invalid_grant"
        assert b.exchange(code, pkce).json()["error"] == "invalid_grant"  # spent by the failed attempt

        pkce = Pkce.new()
        code = b.sign_in(b.authorize_query(pkce), email)["code"]
        moved = b.exchange(code, pkce, redirect_uri="http://localhost:3000/elsewhere")
        assert moved.json()["error"] == "invalid_grant"


def test_without_openid_there_is_no_id_token_and_no_userinfo(sandbox: Sandbox) -> None:
    email = unique_email("noid")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        pkce = Pkce.new()
        code = b.sign_in(b.authorize_query(pkce, scope="aws.cognito.signin.user.admin"), email)["code"]
        tokens = b.exchange(code, pkce).json()
        assert "id_token" not in tokens
        info = b.http.get("/oauth2/userInfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert info.status_code == 403
        assert 'error="insufficient_scope"' in info.headers["www-authenticate"]
        # the admin scope makes the token good for the JSON API, as in Cognito
        user = sandbox.call("GetUser", {"AccessToken": tokens["access_token"]})
        assert user.status_code == 200


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer", "Basic abc", ""])
def test_userinfo_refuses_bad_tokens(sandbox: Sandbox, header: str) -> None:
    response = httpx.get(f"{sandbox.endpoint}/oauth2/userInfo", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    if header == "Bearer not-a-token":
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_revoke_ends_the_refresh_token(sandbox: Sandbox) -> None:
    email = unique_email("revoke")
    create_user(sandbox, email)
    with Browser(sandbox) as b:
        pkce = Pkce.new()
        tokens = b.exchange(b.sign_in(b.authorize_query(pkce), email)["code"], pkce).json()
        wrong_kind = b.http.post(
            "/oauth2/revoke", data={"token": tokens["access_token"], "client_id": sandbox.client_id}
        )
        assert wrong_kind.status_code == 400 and wrong_kind.json()["error"] == "unsupported_token_type"
        revoked = b.http.post("/oauth2/revoke", data={"token": tokens["refresh_token"], "client_id": sandbox.client_id})
        assert revoked.status_code == 200
        assert (
            b.http.post("/oauth2/revoke", data={"token": "unknown", "client_id": sandbox.client_id}).status_code == 200
        )
        refreshed = b.token(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=sandbox.client_id
        )
        assert refreshed.status_code == 400
        assert refreshed.json()["error"] == "invalid_grant"
        info = b.http.get("/oauth2/userInfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert info.status_code == 401


def test_token_endpoint_errors(sandbox: Sandbox) -> None:
    with Browser(sandbox) as b:
        assert b.token(grant_type="password", client_id=sandbox.client_id).json()["error"] == ("unsupported_grant_type")
        assert b.token(client_id=sandbox.client_id).json()["error"] == "invalid_request"
        unknown = b.token(grant_type="authorization_code", code="x", redirect_uri=CALLBACK, client_id="nope")
        assert unknown.status_code == 401
        assert unknown.json()["error"] == "invalid_client"
        json_body = b.http.post("/oauth2/token", json={"grant_type": "authorization_code"})
        assert json_body.json()["error"] == "invalid_request"
