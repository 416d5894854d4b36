"""Sign-in: password and SRP, challenge sessions, refresh, revocation, and the same answer for everyone."""

from __future__ import annotations

import pytest

from tests.support.pool import PASSWORD, PoolHarness
from userpool.core import errors
from userpool.core.flows import account, sign_in
from userpool.core.tokens import AuthResult


def _respond(h: PoolHarness, responses: dict[str, str], session: str | None = None) -> sign_in.SignInStep:
    return h.pool.run(
        sign_in.respond_to_auth_challenge,
        client_id=h.client_id,
        challenge="PASSWORD_VERIFIER",
        responses=responses,
        session=session,
    )


def test_password_sign_in_issues_cognito_tokens(harness: PoolHarness) -> None:
    sub = harness.confirmed_user("ada@example.com")
    result = harness.password_sign_in("ADA@example.com")
    claims = harness.pool.signer.verify(result.id_token)
    access = harness.pool.signer.verify(result.access_token)
    assert claims["sub"] == access["sub"] == sub
    assert claims["cognito:username"] == access["username"] == sub  # email pools: the user name is the sub
    assert claims["email"] == "ada@example.com" and claims["email_verified"] is True
    assert claims["aud"] == access["client_id"] == harness.client_id and "aud" not in access
    assert claims["origin_jti"] == access["origin_jti"] and claims["jti"] != access["jti"]
    assert access["scope"] == "aws.cognito.signin.user.admin" and access["token_use"] == "access"
    assert claims["iss"] == f"http://127.0.0.1:1/{harness.pool.config.pool_id}"
    assert result.refresh_token and result.expires_in == 3600


def test_wrong_password_and_unknown_user_get_the_same_answer(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    with pytest.raises(errors.NotAuthorizedException) as wrong:
        harness.password_sign_in("ada@example.com", "Wrong-Pass1")
    with pytest.raises(errors.NotAuthorizedException) as unknown:
        harness.password_sign_in("nobody@example.com", "Wrong-Pass1")
    assert wrong.value.message == unknown.value.message == "Incorrect username or password."


def test_unconfirmed_user_is_told_only_with_the_right_password(harness: PoolHarness) -> None:
    harness.sign_up("ada@example.com")
    with pytest.raises(errors.NotAuthorizedException):
        harness.password_sign_in("ada@example.com", "Wrong-Pass1")
    with pytest.raises(errors.UserNotConfirmedException):
        harness.password_sign_in("ada@example.com")


def test_srp_sign_in_with_and_without_session(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    assert isinstance(harness.srp_sign_in("ada@example.com"), AuthResult)
    assert isinstance(harness.srp_sign_in("ada@example.com", with_session=True), AuthResult)


def test_srp_challenge_names_the_real_user_and_a_canonical_salt(harness: PoolHarness) -> None:
    sub = harness.confirmed_user("ada@example.com")
    _, challenge = harness.srp_start("ada@example.com", PASSWORD)
    params = challenge.parameters
    assert params["USER_ID_FOR_SRP"] == params["USERNAME"] == sub
    assert not params["SALT"].startswith("0") and int(params["SALT"], 16) > 0
    assert set(params) == {"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"}


def test_wrong_srp_proof_is_refused_and_the_challenge_cannot_be_retried(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    client, challenge = harness.srp_start("ada@example.com", "Wrong-Pass1")
    responses = harness.srp_answer(client, challenge)
    with pytest.raises(errors.NotAuthorizedException, match="Incorrect username or password"):
        _respond(harness, responses)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _respond(harness, responses)


def test_a_correct_srp_answer_works_once(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    client, challenge = harness.srp_start("ada@example.com", PASSWORD)
    responses = harness.srp_answer(client, challenge)
    assert isinstance(_respond(harness, responses), AuthResult)
    with pytest.raises(errors.NotAuthorizedException):
        _respond(harness, responses)


def test_srp_challenge_expires_after_three_minutes(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    client, challenge = harness.srp_start("ada@example.com", PASSWORD)
    responses = harness.srp_answer(client, challenge)
    harness.clock.advance(181)
    with pytest.raises(errors.NotAuthorizedException, match="session is expired"):
        _respond(harness, responses)


def test_unknown_users_get_a_stable_simulated_challenge_then_the_usual_refusal(harness: PoolHarness) -> None:
    client, first = harness.srp_start("ghost@example.com", PASSWORD)
    _, second = harness.srp_start("GHOST@example.com", PASSWORD)
    assert first.parameters["SALT"] == second.parameters["SALT"]
    assert first.parameters["USER_ID_FOR_SRP"] == second.parameters["USER_ID_FOR_SRP"]
    with pytest.raises(errors.NotAuthorizedException, match="Incorrect username or password"):
        _respond(harness, harness.srp_answer(client, first))


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"TIMESTAMP": "Thu Nov 05 10:00:00 UTC 2026"}, errors.InvalidParameterException),  # zero-padded day
        ({"TIMESTAMP": "Mon Nov 26 10:00:00 UTC 2026"}, errors.NotAuthorizedException),  # wrong weekday
        ({"PASSWORD_CLAIM_SIGNATURE": "AAAA"}, errors.NotAuthorizedException),
        ({"USERNAME": "someone-else"}, errors.NotAuthorizedException),
    ],
)
def test_tampered_srp_answers_are_refused(
    harness: PoolHarness, override: dict[str, str], error: type[Exception]
) -> None:
    harness.confirmed_user("ada@example.com")
    client, challenge = harness.srp_start("ada@example.com", PASSWORD)
    with pytest.raises(error):
        _respond(harness, harness.srp_answer(client, challenge, **override))


@pytest.mark.parametrize("srp_a", ["0", format(2**3072, "x"), "not-hex", ""])
def test_bad_client_public_values_are_refused(harness: PoolHarness, srp_a: str) -> None:
    from userpool.core.srp import N

    value = format(N, "x") if srp_a == format(2**3072, "x") else srp_a
    with pytest.raises(errors.InvalidParameterException):
        harness.pool.run(
            sign_in.initiate_auth,
            client_id=harness.client_id,
            flow="USER_SRP_AUTH",
            params={"USERNAME": "a@example.com", "SRP_A": value},
        )


def test_refresh_keeps_the_family_and_auth_time(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    first = harness.password_sign_in("ada@example.com")
    assert first.refresh_token
    harness.clock.advance(60)
    again = harness.pool.run(
        sign_in.get_tokens_from_refresh_token,
        client_id=harness.client_id,
        refresh_token=first.refresh_token,
        client_secret=None,
    )
    old, new = harness.pool.signer.verify(first.access_token), harness.pool.signer.verify(again.access_token)
    assert new["origin_jti"] == old["origin_jti"] and new["jti"] != old["jti"]
    assert new["auth_time"] == old["auth_time"] and new["iat"] == old["iat"] + 60
    assert again.refresh_token is None


def test_revoke_token_ends_the_family_and_its_access_tokens(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    result = harness.password_sign_in("ada@example.com")
    assert result.refresh_token
    harness.pool.run(account.revoke_token, client_id=harness.client_id, token=result.refresh_token, client_secret=None)
    with pytest.raises(errors.NotAuthorizedException, match="revoked"):
        harness.pool.run(account.get_user, access_token=result.access_token)
    with pytest.raises(errors.NotAuthorizedException, match="revoked"):
        harness.pool.run(
            sign_in.initiate_auth,
            client_id=harness.client_id,
            flow="REFRESH_TOKEN_AUTH",
            params={"REFRESH_TOKEN": result.refresh_token},
        )


def test_global_sign_out_ends_every_session_but_not_later_ones(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    one, two = harness.password_sign_in("ada@example.com"), harness.password_sign_in("ada@example.com")
    harness.pool.run(account.global_sign_out, access_token=one.access_token)
    for result in (one, two):
        with pytest.raises(errors.NotAuthorizedException, match="revoked"):
            harness.pool.run(account.get_user, access_token=result.access_token)
    fresh = harness.password_sign_in("ada@example.com")
    assert harness.pool.run(account.get_user, access_token=fresh.access_token).attributes["email"] == "ada@example.com"


def test_expired_and_forged_access_tokens_are_refused(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    result = harness.password_sign_in("ada@example.com")
    head, body, sig = result.access_token.split(".")
    for forged in (f"{head}.{body}.{sig[::-1]}", f"{head}.{body}.", "e30.e30.", "garbage"):
        with pytest.raises(errors.NotAuthorizedException, match="Invalid Access Token"):
            harness.pool.run(account.get_user, access_token=forged)
    with pytest.raises(errors.NotAuthorizedException, match="Invalid Access Token"):  # an ID token is not one
        harness.pool.run(account.get_user, access_token=result.id_token)
    harness.clock.advance(3601)
    with pytest.raises(errors.NotAuthorizedException, match="expired"):
        harness.pool.run(account.get_user, access_token=result.access_token)


def test_a_flow_the_client_does_not_allow_is_refused(harness: PoolHarness) -> None:
    with pytest.raises(errors.InvalidParameterException, match="not supported"):
        harness.pool.run(sign_in.initiate_auth, client_id=harness.client_id, flow="CUSTOM_FLOW", params={})


def test_revoke_token_refuses_an_access_token(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    result = harness.password_sign_in("ada@example.com")
    with pytest.raises(errors.UnsupportedTokenTypeException):
        harness.pool.run(
            account.revoke_token, client_id=harness.client_id, token=result.access_token, client_secret=None
        )
    harness.pool.run(account.get_user, access_token=result.access_token)  # still signed in: nothing was revoked
    harness.pool.run(account.revoke_token, client_id=harness.client_id, token="unknown-token", client_secret=None)
