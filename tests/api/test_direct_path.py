"""The JSON API's calls without an `Origin` header go straight from `OriginMiddleware` to the endpoint
(server.py): they must answer exactly as through the full stack, and still note where a sign-in came from."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.pool import PASSWORD, PoolHarness, make_pool
from userpool.server import build_app

TARGET = "AWSCognitoIdentityProviderService."


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[PoolHarness]:
    h = make_pool(tmp_path)
    yield h
    h.store.close()


class Client:
    """Requests straight into the app (httpx's ASGI transport; the peer is 127.0.0.1)."""

    def __init__(self, harness: PoolHarness) -> None:
        self.app = build_app(harness.pool, sandbox_mode=False)

    def request(self, method: str, path: str, **kw: object) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
                return await client.request(method, path, **kw)  # type: ignore[arg-type]

        return asyncio.run(go())


def _call(client: Client, action: str, body: dict[str, object], **headers: str) -> tuple[int, dict[str, str], str]:
    response = client.request(
        "POST",
        "/",
        content=json.dumps(body),
        headers={"content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET + action, **headers},
    )
    return response.status_code, dict(response.headers), response.text


def test_with_and_without_origin_the_answer_is_the_same_but_for_cors(harness: PoolHarness) -> None:
    harness.confirmed_user("ada@example.com")
    client = Client(harness)
    params = {"USERNAME": "ada@example.com", "PASSWORD": "wrong-Passw0rd!"}
    body = {"ClientId": harness.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": params}
    direct = _call(client, "InitiateAuth", body)
    browser = _call(client, "InitiateAuth", body, origin="http://localhost:5173")
    assert direct[0] == browser[0] == 400 and direct[2] == browser[2]
    assert direct[1]["x-amzn-errortype"] == browser[1]["x-amzn-errortype"] == "NotAuthorizedException:"
    assert "access-control-allow-origin" not in direct[1]
    assert browser[1]["access-control-allow-origin"] == "*"
    assert "x-amzn-requestid" in browser[1]["access-control-expose-headers"].lower()
    assert direct[1]["x-amzn-requestid"] != browser[1]["x-amzn-requestid"]


def test_a_direct_sign_in_notes_where_it_came_from(harness: PoolHarness) -> None:
    sub = harness.confirmed_user("ada@example.com")
    client = Client(harness)
    params = {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD}
    body = {"ClientId": harness.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": params}
    status, _, text = _call(client, "InitiateAuth", body, **{"user-agent": "direct-test/1"})
    assert status == 200 and "AuthenticationResult" in json.loads(text)
    with harness.store.begin() as tx:
        events = tx.list_sign_in_events(harness.pool.config.pool_id, sub)
    assert [(e.success, e.client_ip) for e in events] == [(True, "127.0.0.1")]


def test_other_methods_and_paths_take_the_full_stack(harness: PoolHarness) -> None:
    client = Client(harness)
    assert client.request("GET", "/").status_code == 405  # the router's answer: "/" takes POST only
    assert client.request("POST", "/nowhere", content=b"{}").status_code == 404


def test_get_user_runs_on_the_event_loop_on_sqlite(harness: PoolHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite reads are calls into this process: GetUser skips the hand-off to a flow thread (endpoint.ON_LOOP)
    and answers as the handler does; a bad token is still Cognito's error."""
    from userpool.api.cognito import endpoint

    harness.confirmed_user("ada@example.com")
    token = harness.password_sign_in("ada@example.com").access_token
    threads: list[str] = []
    inner = endpoint.HANDLERS["GetUser"]

    def watched(pool: object, body: dict[str, object]) -> object:
        threads.append(threading.current_thread().name)
        return inner(pool, body)  # type: ignore[arg-type]

    monkeypatch.setitem(endpoint.HANDLERS, "GetUser", watched)
    assert harness.pool.store.reads_in_process
    client = Client(harness)
    status, _, text = _call(client, "GetUser", {"AccessToken": token})
    assert status == 200 and json.loads(text) == inner(harness.pool, {"AccessToken": token})
    status, headers, _ = _call(client, "GetUser", {"AccessToken": token + "x"})
    assert status == 400 and headers["x-amzn-errortype"] == "NotAuthorizedException:"
    assert threads == [threading.current_thread().name] * 2  # asyncio.run's loop: this thread, not a flow thread
