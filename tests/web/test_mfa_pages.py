"""The hosted pages with MFA on: the password alone no longer signs a browser in; the challenge pages
(/confirmSignIn, /selectMfaType, /setupTotp, /forceNewPassword) and /recoveryCodes, against real sandboxes."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import boto3
import httpx
import pyotp

from tests.support.mfa_sandbox import confirm_user, force_change_password
from tests.support.sandbox import PASSWORD, Sandbox, unique_email
from tests.web.browser import CALLBACK, Browser, Pkce, alert, query_of

_CODES = re.compile(r'<li><code class="amplify-code">([^<]+)</code></li>')


def _idp(box: Sandbox) -> Any:
    keys = {"aws_access_key_id": "unused", "aws_secret_access_key": "unused"}
    return boto3.client("cognito-idp", endpoint_url=box.endpoint, region_name=box.region, **keys)


def _totp_user(box: Sandbox, email: str) -> pyotp.TOTP:
    """A confirmed user with an authenticator app, set up through the JSON API."""
    confirm_user(box, email)
    idp = _idp(box)
    params = {"USERNAME": email, "PASSWORD": PASSWORD}
    token = idp.initiate_auth(ClientId=box.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params)[
        "AuthenticationResult"
    ]["AccessToken"]
    app = pyotp.TOTP(idp.associate_software_token(AccessToken=token)["SecretCode"])
    idp.verify_software_token(AccessToken=token, UserCode=app.at(time.time() - 30))
    return app


def _login(b: Browser, box: Sandbox, email: str, password: str = PASSWORD) -> tuple[dict[str, str], httpx.Response]:
    """/oauth2/authorize → /login → the password posted; returns the authorize query and the answer."""
    params = b.authorize_query(Pkce.new())
    login = b.follow(b.authorize(params))
    return params, b.submit(login, {"username": email, "password": password})


def _signed_in(b: Browser, params: dict[str, str], response: httpx.Response) -> None:
    assert response.status_code == 303 and response.headers["location"].startswith("/oauth2/authorize?"), alert(
        response
    )
    back = b.follow(response)
    assert back.status_code == 302 and back.headers["location"].startswith(CALLBACK + "?")
    assert query_of(back.headers["location"])["state"] == params["state"]


def test_the_password_alone_no_longer_signs_in_and_the_totp_page_does(mfa_optional: Sandbox) -> None:
    email = unique_email("web-totp")
    app = _totp_user(mfa_optional, email)
    with Browser(mfa_optional) as b:
        params, after_password = _login(b, mfa_optional, email)
        assert after_password.status_code == 303
        assert after_password.headers["location"].startswith("/confirmSignIn?")
        assert "userpool-session" not in after_password.headers.get("set-cookie", "")
        not_yet = b.authorize(params)  # no web session yet: the app gets no code
        assert not_yet.status_code == 302 and not_yet.headers["location"].startswith("/login?")

        page = b.follow(after_password)
        assert ">Confirm TOTP Code</h1>" in page.text and "recovery code" in page.text
        wrong = b.submit(page, {"code": "000000" if app.now() != "000000" else "111111"})
        assert wrong.status_code == 400 and alert(wrong) == "Invalid verification code provided, please try again."
        _signed_in(b, params, b.submit(page, {"code": app.now()}))


def test_a_hosted_challenge_cannot_be_answered_through_the_json_api(mfa_optional: Sandbox) -> None:
    email = unique_email("web-channel")
    app = _totp_user(mfa_optional, email)
    with Browser(mfa_optional) as b:
        _login(b, mfa_optional, email)
        session = b.http.cookies["userpool-challenge"]
    answer = {"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": app.now()}
    body = {"ClientId": mfa_optional.client_id, "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": session}
    refused = mfa_optional.call("RespondToAuthChallenge", {**body, "ChallengeResponses": answer})
    assert refused.status_code == 400 and refused.json()["__type"] == "NotAuthorizedException"


def test_recovery_codes_page_and_a_code_that_works_once(mfa_optional: Sandbox) -> None:
    email = unique_email("web-rc")
    app = _totp_user(mfa_optional, email)
    with Browser(mfa_optional) as b:
        params, after_password = _login(b, mfa_optional, email)
        _signed_in(b, params, b.submit(b.follow(after_password), {"code": app.now()}))
        page = b.get("/recoveryCodes", client_id=mfa_optional.client_id)
        assert ">Recovery Codes</h1>" in page.text and "Unused recovery codes: 0." in page.text
        made = b.submit(page, {})
        codes = _CODES.findall(made.text)
        assert made.status_code == 200 and len(codes) == 10 and made.headers["cache-control"] == "no-store"
        assert _CODES.findall(b.get("/recoveryCodes", client_id=mfa_optional.client_id).text) == []  # shown once

    for attempt in ("works", "refused"):
        with Browser(mfa_optional) as b:
            params, after_password = _login(b, mfa_optional, email)
            used = b.submit(b.follow(after_password), {"recovery_code": codes[0], "action": "recovery"})
            if attempt == "works":
                _signed_in(b, params, used)
                left = b.get("/recoveryCodes", client_id=mfa_optional.client_id)
                assert "Unused recovery codes: 9." in left.text
            else:
                assert used.status_code == 400 and "Invalid verification code" in alert(used)


def test_selecting_a_factor(mfa_optional: Sandbox) -> None:
    email = unique_email("web-select")
    app = _totp_user(mfa_optional, email)
    idp = _idp(mfa_optional)
    params = {"USERNAME": email, "PASSWORD": PASSWORD}
    step = idp.initiate_auth(ClientId=mfa_optional.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params)
    done = idp.respond_to_auth_challenge(
        ClientId=mfa_optional.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": app.now()},
    )
    token = done["AuthenticationResult"]["AccessToken"]
    idp.set_user_mfa_preference(
        AccessToken=token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        EmailMfaSettings={"Enabled": True},
    )
    with Browser(mfa_optional) as b:
        _, after_password = _login(b, mfa_optional, email)
        assert after_password.headers["location"].startswith("/selectMfaType?")
        page = b.follow(after_password)
        assert ">Multi-Factor Authentication</h1>" in page.text and 'value="EMAIL"' in page.text
        chosen = b.submit(page, {"mfa": "EMAIL"})
        assert chosen.headers["location"].startswith("/confirmSignIn?")
        code_page = b.follow(chosen)
        assert ">Confirm Email Code</h1>" in code_page.text


def test_a_temporary_password_then_totp_setup_in_a_required_pool(mfa_required: Sandbox) -> None:
    email = unique_email("web-force")
    force_change_password(mfa_required, email)
    with Browser(mfa_required) as b:
        params, after_password = _login(b, mfa_required, email)
        assert after_password.headers["location"].startswith("/forceNewPassword?")
        page = b.follow(after_password)
        assert ">Change Password</h1>" in page.text
        mismatch = b.submit(page, {"password": "N3w-Passw0rd!", "confirm_password": "other"})
        assert mismatch.status_code == 400 and alert(mismatch) == "Your passwords must match"
        weak = b.submit(page, {"password": "weak", "confirm_password": "weak"})
        assert weak.status_code == 400 and alert(weak) == (
            "Your password must have: at least 8 characters, an uppercase letter, a number, a symbol."
        )
        changed = b.submit(page, {"password": "N3w-Passw0rd!", "confirm_password": "N3w-Passw0rd!"})
        assert changed.headers["location"].startswith("/selectMfaType?")  # TOTP is the one factor: on to it
        # the first visit to /setupTotp associates a secret (a new Session) and shows it
        setup = b.follow_all(changed)
        assert setup.url.path == "/setupTotp"
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.text)
        assert secret and "otpauth://totp/" in setup.text and "<svg" in setup.text
        app = pyotp.TOTP(secret.group(1))
        wrong = b.submit(setup, {"code": "000000" if app.now() != "000000" else "111111"})
        assert wrong.status_code == 400
        _signed_in(b, params, b.submit(setup, {"code": app.at(time.time() - 30)}))


def test_the_page_after_totp_setup_offers_recovery_codes(mfa_required: Sandbox) -> None:
    """Signed in on the hosted pages themselves (no app to go back to), a user who just set up TOTP lands on
    the signed-in page, which links to /recoveryCodes; a user is not offered them before MFA is on."""
    email = unique_email("web-setup-codes")
    confirm_user(mfa_required, email)
    with Browser(mfa_required) as b:
        login = b.get("/login", client_id=mfa_required.client_id)
        setup = b.follow_all(b.submit(login, {"username": email, "password": PASSWORD}))
        assert setup.url.path == "/setupTotp" and 'id="recovery-codes-link"' not in setup.text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.text)
        assert secret
        done = b.follow_all(b.submit(setup, {"code": pyotp.TOTP(secret.group(1)).now()}))
        assert done.url.path == "/login" and ">Signed In</h1>" in done.text, done.text
        assert "Unused recovery codes: 0." in done.text
        link = re.search(r'id="recovery-codes-link" href="([^"]+)"', done.text)
        assert link and link.group(1).startswith("/recoveryCodes?client_id=")
        codes = b.submit(b.get(html.unescape(link.group(1))), {})
        assert len(_CODES.findall(codes.text)) == 10
        again = b.get("/login", client_id=mfa_required.client_id)
        assert "Unused recovery codes: 10." in again.text
