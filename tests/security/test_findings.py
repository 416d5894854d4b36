"""Regression tests for what the attack suites found, one each (SECURITY.md lists them)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.security.support import postgres_database
from tests.security.world import DEFINITION, ENDPOINT, InProcess, TestClient, World, in_process, poster
from userpool import define_auth
from userpool.api.cognito.actions import get_tokens_from_refresh_token_action
from userpool.bootstrap import open_pool
from userpool.core.errors import CognitoError
from userpool.courier import SandboxCourier
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import Sealer
from userpool.server import build_app
from userpool.service import UserPool
from userpool.store import open_store

NESTED_HEADER_TOKEN = base64.urlsafe_b64encode(b"[" * 1400).rstrip(b"=").decode() + ".e30.c2ln"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    with in_process(Path(tmp_path_factory.mktemp("findings"))) as running:
        yield running


def test_json_nested_deeper_than_the_parser_recurses_is_a_serialization_error(app: InProcess) -> None:
    """Finding 1: a body of 100,000 `[` made json.loads raise RecursionError, answered 500."""
    for body in (b"[" * 100_000, b'{"a":' * 20_000 + b"1" + b"}" * 20_000):
        response = app.http.post(
            "/",
            content=body,
            headers={
                "x-amz-target": "AWSCognitoIdentityProviderService.SignUp",
                "content-type": "application/x-amz-json-1.1",
            },
        )
        assert response.status_code == 400
        assert response.json()["__type"] == "SerializationException"
        assert "nests JSON too deeply" in response.json()["message"]


def test_a_token_whose_header_nests_too_deeply_is_refused_not_a_crash(app: InProcess) -> None:
    """Finding 2: an access token whose header is 1,400 nested arrays crashed every token-authorised action,
    the recovery-code extensions and /oauth2/userInfo with RecursionError (500)."""
    post = poster(app.http)
    for action in ("GetUser", "GlobalSignOut", "UserpoolExtensions.GetRecoveryCodeStatus"):
        response = post(action, {"AccessToken": NESTED_HEADER_TOKEN})
        assert response.status_code == 400, (action, response.text)
        assert response.json()["__type"] == "NotAuthorizedException"
    userinfo = app.http.get("/oauth2/userInfo", headers={"Authorization": f"Bearer {NESTED_HEADER_TOKEN}"})
    assert userinfo.status_code == 401
    assert userinfo.json()["error"] == "invalid_token"


def test_verify_token_in_an_app_refuses_a_deeply_nested_header() -> None:
    """Finding 2, the app side: `userpool.integrations.verify` raised RecursionError out of the app's handler."""
    from userpool.integrations.verify import TokenError, TokenVerifier

    verifier = TokenVerifier("http://127.0.0.1:9/us-east-1_AAAAAAAAA", ["client"])
    with pytest.raises(TokenError):
        verifier.verify(NESTED_HEADER_TOKEN, "access")


@pytest.mark.postgres
def test_a_rotating_refresh_token_raced_on_postgresql_refreshes_once() -> None:
    """Finding 4: on PostgreSQL two of twenty concurrent refreshes with one rotating refresh token (no grace
    period) both succeeded: the loser of the race to retire the token took it as retired "now", which a
    grace period of 0 seconds did not exceed. SQLite serialises the transactions, so only PostgreSQL showed it."""
    with postgres_database() as url:
        store = open_store(url, Sealer(bytes(range(32))))
        try:
            pool, _ = open_pool(
                store,
                define_auth(**DEFINITION),
                endpoint=ENDPOINT,
                master_key=bytes(range(32)),
                courier=SandboxCourier(),
                hasher=Argon2Hasher(memory_cost=1024, time_cost=1),
            )
            app = build_app(pool, sandbox_mode=False)
            with TestClient(app, base_url=ENDPOINT) as http:
                world = World(post=poster(http), code_for=lambda _: "", pool_id=pool.config.pool_id, clients={})
                with store.begin() as tx:
                    world.clients = {c.name: c.id for c in tx.list_clients(pool.config.pool_id)}
                sent: list[str] = []
                pool.courier = SandboxCourier(lambda m: sent.append(m.code or ""))
                world.code_for = lambda _: sent[-1]
                email = world.confirmed_user("race")
                rotating = world.clients["rotating"]
                refresh = world.sign_in(email, rotating)["AuthenticationResult"]["RefreshToken"]
                body = {"ClientId": rotating, "RefreshToken": refresh}
                barrier = threading.Barrier(20)

                def one(_: int) -> int:
                    barrier.wait()
                    return pool_refresh(pool, body)

                with ThreadPoolExecutor(20) as threads:
                    outcomes = list(threads.map(one, range(20)))
            assert outcomes.count(200) == 1, outcomes
        finally:
            store.close()


def pool_refresh(pool: UserPool, body: dict[str, str]) -> int:
    """GetTokensFromRefreshToken straight through the pool (TestClient would serialise the threads)."""
    try:
        get_tokens_from_refresh_token_action(pool, body)
    except CognitoError as err:
        return err.status
    return 200


def test_http_basic_credentials_that_are_not_ascii_are_refused_not_a_crash(app: InProcess) -> None:
    """Finding 6 (deep fuzzing): `Authorization: Basic` followed by non-ASCII octets made base64 raise
    ValueError in /oauth2/token: logged as an internal error and answered 500 server_error."""
    response = app.http.post(
        "/oauth2/token",
        content=b"grant_type=authorization_code&code=x",
        headers={"Authorization": "Basic \u00e9\u00e9".encode(), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
