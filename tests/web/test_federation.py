"""Sign-in through external identity providers against real local OpenID Connect providers: each provider
kind, first and later sign-ins, several OIDC issuers, idp_identifier, cancel and error paths, state bound to
the browser and single use, tokens that do not verify."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.web.browser import CALLBACK, Pkce, query_of
from tests.web.federation_support import (
    ENDPOINT,
    SECRETS,
    FedPool,
    Upstream,
    apple_key_pem,
    fed_pool,
    providers,
    upstreams,
)
from userpool.core.errors import CognitoError
from userpool.core.flows import account, admin, recovery, sign_up
from userpool.core.model import UserStatus
from userpool.federation import UpstreamError, jwks
from userpool.federation.apple import client_secret_jwt
from userpool.federation.apple import first_sign_in_profile as apple_profile


@pytest.fixture(scope="module")
def idps() -> Iterator[list[Upstream]]:
    with upstreams(2) as found:
        yield found


@pytest.fixture
def fed(tmp_path: Path, idps: list[Upstream]) -> Iterator[FedPool]:
    key = apple_key_pem()
    with fed_pool(tmp_path, providers(*idps, apple_key=key), {**SECRETS, "APPLE_KEY": key}) as pool:
        yield pool


def _sign_in(fed: FedPool, idp: Upstream, sub: str, **params: str) -> dict[str, object]:
    pkce = Pkce.new()
    out = fed.authorize(pkce, **params)
    assert out.status_code == 302, out.text
    upstream_url = out.headers["location"]
    assert upstream_url.startswith(idp.url + "/oauth2/authorize?")
    sent = query_of(upstream_url)
    assert sent["redirect_uri"] == "http://127.0.0.1:9/oauth2/idpresponse"
    assert sent["code_challenge_method"] == "S256" and sent["state"] != "app-state"
    back = fed.back(idp.approve(upstream_url, sub))
    assert query_of(back.headers["location"])["state"] == "app-state"
    return fed.tokens(back, pkce)


@pytest.mark.parametrize(
    ("provider", "sub", "claims", "username"),
    [
        ("Google", "g-1001", {"email": "ada@gmail.example", "email_verified": True, "given_name": "Ada"}, None),
        ("Facebook", "fb-7", {"id": "10222", "email": "bo@fb.example"}, "Facebook_10222"),
        ("LoginWithAmazon", "amzn-9", {"user_id": "amzn1.account.X", "email": "cy@amazon.example"}, None),
        ("SignInWithApple", "apple-4", {"email": "di@privaterelay.example", "email_verified": "true"}, None),
        ("Corp", "corp-5", {"email": "ed@corp.example", "family_name": "Ng", "team": "blue"}, "Corp_corp-5"),
    ],
)
def test_each_provider_kind_signs_a_new_user_in(
    fed: FedPool, idps: list[Upstream], provider: str, sub: str, claims: dict[str, object], username: str | None
) -> None:
    idps[0].set_user(sub, claims)
    tokens = _sign_in(fed, idps[0], sub, identity_provider=provider)
    id_claims = fed.claims(str(tokens["id_token"]))
    subject = {"Facebook": "10222", "LoginWithAmazon": "amzn1.account.X"}.get(provider, sub)
    assert id_claims["cognito:username"] == (username or f"{provider}_{subject}")
    assert id_claims["email"] == claims["email"]
    assert id_claims["nonce"] == "app-nonce"
    identities = id_claims["identities"]
    assert isinstance(identities, list) and identities[0]["userId"] == subject
    assert identities[0]["providerName"] == provider and identities[0]["primary"] == "true"
    assert identities[0]["providerType"] == ("OIDC" if provider == "Corp" else provider)
    user = fed.pool.run(account.get_user, access_token=str(tokens["access_token"]))
    assert user.status is UserStatus.EXTERNAL_PROVIDER
    assert json.loads(user.attributes["identities"])[0]["userId"] == subject  # a JSON string, as Cognito
    if provider == "Google":
        assert user.attributes["given_name"] == "Ada" and user.attributes["email_verified"] == "true"
    if provider == "Corp":
        assert user.attributes["family_name"] == "Ng" and user.attributes["custom:team"] == "blue"
    if provider == "Facebook":
        assert user.attributes["email_verified"] == "false"  # Facebook does not say; Cognito leaves it so


def test_a_later_sign_in_finds_the_same_user_and_updates_mapped_attributes(fed: FedPool, idps: list[Upstream]) -> None:
    idps[0].set_user("g-2", {"email": "old@gmail.example", "email_verified": True, "given_name": "Al"})
    first = fed.claims(str(_sign_in(fed, idps[0], "g-2", identity_provider="Google")["id_token"]))
    idps[0].set_user("g-2", {"email": "new@gmail.example", "email_verified": True, "given_name": "Alan"})
    again = fed.claims(str(_sign_in(fed, idps[0], "g-2", identity_provider="Google")["id_token"]))
    assert again["sub"] == first["sub"]
    assert again["email"] == "new@gmail.example" and again["given_name"] == "Alan"


def test_two_oidc_issuers_at_once_and_idp_identifier(fed: FedPool, idps: list[Upstream]) -> None:
    idps[1].set_user("p-1", {"email": "fe@partner.example"})
    partner = fed.claims(str(_sign_in(fed, idps[1], "p-1", identity_provider="Partner")["id_token"]))
    assert partner["cognito:username"] == "Partner_p-1"
    assert partner["identities"][0]["issuer"] == idps[1].url
    idps[0].set_user("c-1", {"email": "gu@corp.example"})
    corp = fed.claims(str(_sign_in(fed, idps[0], "c-1", idp_identifier="CORP.example")["id_token"]))
    assert corp["cognito:username"] == "Corp_c-1"


def test_the_user_cancelling_goes_back_to_the_app_as_access_denied(fed: FedPool, idps: list[Upstream]) -> None:
    out = fed.authorize(Pkce.new(), identity_provider="Google")
    upstream_url = out.headers["location"]
    # oidc-provider-mock's "Deny" drops `state` (RFC 6749 §4.1.2.1 requires it): with no state there is no
    # sign-in to go back to, so the browser gets a page, not a redirect anywhere
    stateless = fed.back(idps[0].deny(upstream_url))
    assert stateless.status_code == 400 and "Go back to the app" in stateless.text
    # what Google, Apple and Amazon send when the user cancels: the error, with the state
    out = fed.authorize(Pkce.new(), identity_provider="Google")
    state = query_of(out.headers["location"])["state"]
    for error in ("access_denied", "user_cancelled_authorize"):
        out = fed.authorize(Pkce.new(), identity_provider="Google")
        state = query_of(out.headers["location"])["state"]
        back = fed.back(f"http://127.0.0.1:9/oauth2/idpresponse?error={error}&state={state}")
        assert back.status_code == 302
        sent = query_of(back.headers["location"])
        assert back.headers["location"].startswith(CALLBACK + "?")
        assert sent["error"] == "access_denied" and sent["state"] == "app-state"


def test_a_state_works_once_and_only_in_the_browser_that_left(fed: FedPool, idps: list[Upstream]) -> None:
    idps[0].set_user("g-3", {"email": "ha@gmail.example"})
    out = fed.authorize(Pkce.new(), identity_provider="Google")
    location = idps[0].approve(out.headers["location"], "g-3")
    cookies = dict(fed.http.cookies)
    fed.http.cookies.clear()  # another browser: no binding cookie
    stolen = fed.back(location)
    assert stolen.status_code == 400 and "started in another browser" in stolen.text
    fed.http.cookies.update(cookies)
    replay = fed.back(location)  # the state was spent by the attempt above
    assert replay.status_code == 400 and "already used" in replay.text


def test_an_unknown_provider_is_an_error_page_and_prompt_none_goes_back(fed: FedPool) -> None:
    unknown = fed.authorize(Pkce.new(), identity_provider="Myspace")
    assert unknown.status_code == 400 and "does not offer sign-in with that provider" in unknown.text
    silent = fed.authorize(Pkce.new(), identity_provider="Google", prompt="none")
    assert query_of(silent.headers["location"])["error"] == "login_required"


def test_a_wrong_redirect_uri_is_never_followed_to_the_provider(fed: FedPool) -> None:
    out = fed.authorize(Pkce.new(), identity_provider="Google", redirect_uri="https://evil.example/cb")
    assert out.status_code == 400 and "not registered" in out.text


def _real_id_token(idp: Upstream, *, client_id: str, nonce: str) -> str:
    """An ID token the provider really issued (authorization code flow, as any relying party gets one)."""
    idp.set_user("v-1", {"email": "vi@example.com"})
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": "http://127.0.0.1:9/cb"}
    query |= {"scope": "openid email", "state": "s", "nonce": nonce}
    authorize = idp.url + "/oauth2/authorize?" + urlencode(query)
    code = query_of(idp.approve(authorize, "v-1"))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:9/cb"}
    response = httpx.post(f"{idp.url}/oauth2/token", data=form, auth=(client_id, "x"))
    return str(response.json()["id_token"])


def test_upstream_id_tokens_are_verified_fully(idps: list[Upstream]) -> None:
    """Signature (the provider's JWKS), issuer, audience, nonce and expiry: each wrong one refuses."""
    idp = idps[0]
    token = _real_id_token(idp, client_id="google-client", nonce="n-1")

    def verify(token: str, **changes: object) -> dict[str, object]:
        args: dict[str, object] = {
            "jwks_uri": f"{idp.url}/jwks",
            "issuers": (idp.url,),
            "audience": "google-client",
            "nonce": "n-1",
        }

        async def run() -> dict[str, object]:
            async with httpx.AsyncClient() as http:
                return dict(await jwks.verify_id_token(http, token, **{**args, **changes}))  # type: ignore[arg-type]

        return asyncio.run(run())

    assert verify(token)["sub"] == "v-1"
    for changes in (
        {"audience": "another-client"},
        {"issuers": ("https://accounts.google.com",)},
        {"nonce": "n-2"},
        {"now": time.time() + 2 * 3600},  # expired an hour ago (the provider's tokens live an hour)
    ):
        with pytest.raises(UpstreamError, match="did not verify"):
            verify(token, **changes)
    head, body, signature = token.split(".")
    forged = ".".join((head, body, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")))
    with pytest.raises(UpstreamError, match="did not verify"):
        verify(forged)
    with pytest.raises(UpstreamError, match="did not verify"):
        verify(".".join((base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("="), body, "")))


def test_an_unreachable_provider_goes_back_to_the_app(tmp_path: Path, idps: list[Upstream]) -> None:
    key = apple_key_pem()
    external = providers(*idps, apple_key=key)
    external["google"] = {**external["google"], "issuer_url": "http://127.0.0.1:1"}
    with fed_pool(tmp_path, external, {**SECRETS, "APPLE_KEY": key}) as fed:
        out = fed.authorize(Pkce.new(), identity_provider="Google")
        sent = query_of(out.headers["location"])
        assert out.headers["location"].startswith(CALLBACK)
        assert sent["error"] == "temporarily_unavailable"


def test_a_missing_secret_says_how_to_set_it(tmp_path: Path, idps: list[Upstream]) -> None:
    key = apple_key_pem()
    secrets = {k: v for k, v in SECRETS.items() if k != "GOOGLE_SECRET"}
    with fed_pool(tmp_path, providers(*idps, apple_key=key), {**secrets, "APPLE_KEY": key}) as fed:
        out = fed.authorize(Pkce.new(), identity_provider="Google")
        sent = query_of(out.headers["location"])
        assert sent["error"] == "server_error" and "secret" in sent["error_description"]


def _user_of(fed: FedPool, tokens: dict[str, object]) -> tuple[str, dict[str, object]]:
    claims = fed.claims(str(tokens["id_token"]))
    return str(claims["sub"]), claims


def test_admin_link_signs_the_identity_in_as_the_native_user_and_disable_unlinks(
    fed: FedPool, idps: list[Upstream]
) -> None:
    native = fed.native_user("jo@example.com")
    source = {"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "g-50"}
    destination = {"ProviderName": "Cognito", "ProviderAttributeValue": "jo@example.com"}
    assert fed.admin("AdminLinkProviderForUser", {"DestinationUser": destination, "SourceUser": source}) == {}
    idps[0].set_user("g-50", {"email": "jo.other@gmail.example", "email_verified": True, "given_name": "Jo"})
    sub, claims = _user_of(fed, _sign_in(fed, idps[0], "g-50", identity_provider="Google"))
    assert sub == native and claims["email"] == "jo@example.com"  # the sign-in email is never overwritten
    assert claims["given_name"] == "Jo"  # other mapped attributes are written
    assert [i["providerName"] for i in claims["identities"]] == ["Google"]
    assert fed.admin("AdminDisableProviderForUser", {"User": source}) == {}
    sub, claims = _user_of(fed, _sign_in(fed, idps[0], "g-50", identity_provider="Google"))
    assert sub != native and claims["cognito:username"] == "Google_g-50"  # a new user of its own


def test_admin_link_refusals_name_the_problem(fed: FedPool, idps: list[Upstream]) -> None:
    fed.native_user("ko@example.com")
    destination = {"ProviderName": "Cognito", "ProviderAttributeValue": "ko@example.com"}
    google = {"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject"}
    cases = [
        ({**google, "ProviderAttributeValue": "x", "ProviderName": "Myspace"}, "InvalidParameterException"),
        ({**google, "ProviderAttributeValue": "x", "ProviderAttributeName": "email"}, "InvalidParameterException"),
        ({"ProviderName": "Cognito", "ProviderAttributeValue": "ko@example.com"}, "InvalidParameterException"),
    ]
    for source, error in cases:
        with pytest.raises(CognitoError) as raised:
            fed.admin("AdminLinkProviderForUser", {"DestinationUser": destination, "SourceUser": source})
        assert raised.value.code == error
    idps[0].set_user("g-60", {"email": "lu@gmail.example"})
    _sign_in(fed, idps[0], "g-60", identity_provider="Google")  # the identity now has its own user
    with pytest.raises(CognitoError) as raised:
        source = {**google, "ProviderAttributeValue": "g-60"}
        fed.admin("AdminLinkProviderForUser", {"DestinationUser": destination, "SourceUser": source})
    assert raised.value.code == "AliasExistsException" and "Google_g-60" in raised.value.message
    missing = {"ProviderName": "Cognito", "ProviderAttributeValue": "nobody@example.com"}
    with pytest.raises(CognitoError) as raised:
        source = {**google, "ProviderAttributeValue": "g-61"}
        fed.admin("AdminLinkProviderForUser", {"DestinationUser": missing, "SourceUser": source})
    assert raised.value.code == "UserNotFoundException"
    with pytest.raises(CognitoError) as raised:
        fed.admin("AdminDisableProviderForUser", {"UserPoolId": "us-east-1_nothere1", "User": source})
    assert raised.value.code == "ResourceNotFoundException"


def test_disabling_a_federated_users_own_identity_disables_the_user(fed: FedPool, idps: list[Upstream]) -> None:
    idps[0].set_user("g-70", {"email": "mo@gmail.example"})
    _sign_in(fed, idps[0], "g-70", identity_provider="Google")
    source = {"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "g-70"}
    fed.admin("AdminDisableProviderForUser", {"User": source})
    out = fed.authorize(Pkce.new(), identity_provider="Google")
    back = fed.back(idps[0].approve(out.headers["location"], "g-70"))
    sent = query_of(back.headers["location"])
    assert sent["error"] == "access_denied" and sent["error_description"] == "User is disabled."


def test_linking_by_verified_email_is_off_by_default(fed: FedPool, idps: list[Upstream]) -> None:
    native = fed.native_user("no@example.com")
    idps[0].set_user("g-80", {"email": "no@example.com", "email_verified": True})
    sub, claims = _user_of(fed, _sign_in(fed, idps[0], "g-80", identity_provider="Google"))
    assert sub != native and claims["cognito:username"] == "Google_g-80"


def test_linking_by_verified_email_when_on(tmp_path: Path, idps: list[Upstream]) -> None:
    key = apple_key_pem()
    external = providers(*idps, apple_key=key, link_by_verified_email=True)
    with fed_pool(tmp_path, external, {**SECRETS, "APPLE_KEY": key}) as fed:
        native = fed.native_user("pa@example.com")
        idps[0].set_user("g-90", {"email": "PA@example.com", "email_verified": False})
        sub, _ = _user_of(fed, _sign_in(fed, idps[0], "g-90", identity_provider="Google"))
        assert sub != native  # the provider did not vouch for the address: no link
        idps[0].set_user("g-91", {"email": "PA@example.com", "email_verified": True})
        sub, claims = _user_of(fed, _sign_in(fed, idps[0], "g-91", identity_provider="Google"))
        assert sub == native and [i["userId"] for i in claims["identities"]] == ["g-91"]


def test_apples_form_post_comes_back_by_get_where_the_browser_cookie_binds_it(
    fed: FedPool, idps: list[Upstream]
) -> None:
    """Apple POSTs the code cross-site (response_mode=form_post), which carries no SameSite=Lax cookie:
    the POST is answered with a 303 to the same path by GET, which does."""
    idps[0].set_user("apple-9", {"email": "qu@privaterelay.example", "email_verified": "true"})
    pkce = Pkce.new()
    out = fed.authorize(pkce, identity_provider="SignInWithApple")
    sent = query_of(out.headers["location"])
    assert sent["response_mode"] == "form_post" and sent["scope"] == "openid email name"
    location = idps[0].approve(out.headers["location"], "apple-9")  # the mock answers by query: post it
    jar = dict(fed.http.cookies)
    fed.http.cookies.clear()  # a cross-site POST: the browser sends no SameSite=Lax cookie
    user = '{"name":{"firstName":"Quinn","lastName":"Uy"},"email":"not-this@example.com"}'  # first sign-in only
    posted = fed.http.post("/oauth2/idpresponse", data={**query_of(location), "user": user})
    fed.http.cookies.update(jar)
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/oauth2/idpresponse?") and "user=" not in posted.headers["location"]
    again = fed.http.post("/oauth2/idpresponse", data=query_of(location))  # the state is spent: no second use
    assert again.status_code == 400
    claims = fed.claims(str(fed.tokens(fed.back(ENDPOINT + posted.headers["location"]), pkce)["id_token"]))
    assert claims["cognito:username"] == "SignInWithApple_apple-9" and claims["email_verified"] is True
    # the name Apple shares once is kept (mapped as in Cognito); the email is the ID token's, never the form's
    assert (claims["given_name"], claims["family_name"], claims["email"]) == ("Quinn", "Uy", "qu@privaterelay.example")


def test_an_apple_form_post_from_another_browser_signs_nobody_in(fed: FedPool, idps: list[Upstream]) -> None:
    idps[0].set_user("apple-10", {"email": "x@privaterelay.example", "email_verified": "true"})
    out = fed.authorize(Pkce.new(), identity_provider="SignInWithApple")
    location = idps[0].approve(out.headers["location"], "apple-10")
    fed.http.cookies.clear()  # the POST is cross-site, and the GET after it comes from a browser that never left
    posted = fed.http.post("/oauth2/idpresponse", data=query_of(location))
    assert posted.status_code == 303
    back = fed.http.get(posted.headers["location"])
    assert back.status_code == 400 and "location" not in back.headers


def test_apples_user_field_gives_only_a_name() -> None:
    assert apple_profile('{"name":{"firstName":" Ada ","lastName":"King"},"email":"a@b.c"}') == {
        "firstName": "Ada", "lastName": "King", "name": "Ada King",
    }  # fmt: skip
    for junk in ("", "null", "[]", '{"name":"Ada"}', '{"name":{"firstName":7}}', "{", "x" * 5000):
        assert apple_profile(junk) == {}


def test_apples_client_secret_is_an_es256_jwt_from_team_key_and_services_id() -> None:
    pem = apple_key_pem()
    token = client_secret_jwt(
        team_id="TEAM123456", key_id="KEY1234567", client_id="com.example", private_key=pem, now=1e9
    )
    public = ECKey.import_key(pem)
    decoded = jwt.decode(token, public, algorithms=["ES256"])
    assert (
        decoded.header == {"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"} or decoded.header["kid"] == "KEY1234567"
    )
    assert decoded.claims == {
        "iss": "TEAM123456",
        "sub": "com.example",
        "aud": "https://appleid.apple.com",
        "iat": 1_000_000_000,
        "exp": 1_000_000_300,
    }
    with pytest.raises(UpstreamError, match="P-256 private key"):
        client_secret_jwt(team_id="T", key_id="K", client_id="c", private_key="not a key", now=1e9)


def test_a_federated_user_has_no_password_to_reset(fed: FedPool, idps: list[Upstream]) -> None:
    idps[0].set_user("g-100", {"email": "ro@gmail.example", "email_verified": True})
    _sign_in(fed, idps[0], "g-100", identity_provider="Google")
    before = len(fed.sent)
    delivery = fed.pool.run(recovery.forgot_password, client_id=fed.pool.default_client_id, username="Google_g-100")
    assert delivery.medium == "EMAIL"  # the same answer as for anyone (PreventUserExistenceErrors) ...
    assert len(fed.sent) == before  # ... but no code went out


def test_the_pre_sign_up_trigger_sees_the_first_sign_in_and_may_refuse_it(tmp_path: Path, idps: list[Upstream]) -> None:
    seen: list[str] = []

    def pre_sign_up(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event["triggerSource"])
        if event["request"]["userAttributes"].get("email", "").endswith("@blocked.example"):
            raise ValueError("Sign-ups from blocked.example are closed.")
        return event

    key = apple_key_pem()
    external = providers(*idps, apple_key=key)
    with fed_pool(tmp_path, external, {**SECRETS, "APPLE_KEY": key}, triggers={"pre_sign_up": pre_sign_up}) as fed:
        idps[0].set_user("g-200", {"email": "so@blocked.example"})
        out = fed.authorize(Pkce.new(), identity_provider="Google")
        back = fed.back(idps[0].approve(out.headers["location"], "g-200"))
        sent = query_of(back.headers["location"])
        assert sent["error"] == "access_denied" and "blocked.example are closed" in sent["error_description"]
        idps[0].set_user("g-201", {"email": "ti@open.example"})
        _sign_in(fed, idps[0], "g-201", identity_provider="Google")
        _sign_in(fed, idps[0], "g-201", identity_provider="Google")  # a later sign-in creates nobody
        assert seen == ["PreSignUp_ExternalProvider", "PreSignUp_ExternalProvider"]


def test_post_confirmation_runs_once_on_the_first_sign_in_and_may_refuse_it(
    tmp_path: Path, idps: list[Upstream]
) -> None:
    seen: list[tuple[str, str]] = []

    def post_confirmation(event: dict[str, Any]) -> dict[str, Any]:
        seen.append((event["triggerSource"], event["userName"]))
        if event["request"]["userAttributes"].get("email", "").endswith("@refused.example"):
            raise ValueError("No accounts for refused.example.")
        return event

    key = apple_key_pem()
    external = providers(*idps, apple_key=key)
    hooks = {"post_confirmation": post_confirmation}
    with fed_pool(tmp_path, external, {**SECRETS, "APPLE_KEY": key}, triggers=hooks) as fed:
        idps[0].set_user("g-300", {"email": "uv@open.example"})
        _sign_in(fed, idps[0], "g-300", identity_provider="Google")
        _sign_in(fed, idps[0], "g-300", identity_provider="Google")  # not again on a later sign-in
        assert seen == [("PostConfirmation_ConfirmSignUp", "Google_g-300")]
        idps[0].set_user("g-301", {"email": "wx@refused.example"})
        out = fed.authorize(Pkce.new(), identity_provider="Google")
        back = fed.back(idps[0].approve(out.headers["location"], "g-301"))
        assert query_of(back.headers["location"])["error"] == "access_denied"
        with fed.pool.store.begin() as tx:  # the refused first sign-in left no user behind
            assert tx.find_user(fed.pool.config.pool_id, "identity:Google:g-301") is None


def test_in_a_username_pool_a_providers_prefix_is_not_given_to_native_users(
    tmp_path: Path, idps: list[Upstream]
) -> None:
    key = apple_key_pem()
    login = {"username": True, "email": True}
    with fed_pool(tmp_path, providers(*idps, apple_key=key), {**SECRETS, "APPLE_KEY": key}, login) as fed:
        client = fed.pool.default_client_id
        for squat in ("Google_g-7", "google_g-7", "CORP_x"):
            with pytest.raises(CognitoError) as refused:
                fed.pool.run(
                    sign_up.sign_up, client_id=client, username=squat, password="Corr3ct-Horse!",
                    attributes={"email": "sq@example.com"},
                )  # fmt: skip
            assert refused.value.code == "InvalidParameterException" and "Username cannot start with" in (
                refused.value.message
            )
        with pytest.raises(CognitoError) as invited:  # nor by an administrator
            fed.pool.run(admin.create_user, username="Google_g-9", attributes={}, message_action="SUPPRESS")
        assert invited.value.code == "InvalidParameterException"
        ok = fed.pool.run(
            sign_up.sign_up, client_id=client, username="Googler", password="Corr3ct-Horse!",
            attributes={"email": "gg@example.com"},
        )  # fmt: skip
        assert ok.user_sub
        idps[0].set_user("g-7", {"email": "g7@gmail.example", "email_verified": True})
        tokens = _sign_in(fed, idps[0], "g-7", identity_provider="Google")
        assert fed.claims(str(tokens["id_token"]))["cognito:username"] == "Google_g-7"
