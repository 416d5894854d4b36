"""/oauth2/token's per-address limit holds across server processes: two `userpool serve` processes on one
database (the backends and processes of test_defences_serve.py), each request sent to the other process
than the one before, so neither can have counted alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.test_defences_serve import Servers, backend
from tests.support.sandbox import write_app

__all__ = ["backend"]  # the fixture, parametrised over SQLite, PostgreSQL and PostgreSQL + Redis

RESOURCE = (
    "from userpool import define_auth\n\n"
    "auth = define_auth(login_with={'email': True}, security={'rate_limits': {'sign_in': '6/hour'}})\n"
)


@pytest.fixture
def token_servers(tmp_path: Path, backend: tuple[str, str]) -> Iterator[Servers]:
    write_app(tmp_path, RESOURCE)
    s = Servers(tmp_path, *backend)
    try:
        s.start()
        yield s
    finally:
        s.stop()


@pytest.mark.postgres
def test_the_token_endpoint_limit_holds_across_two_processes(token_servers: Servers) -> None:
    client_id = token_servers.client_id()
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": "guessed"}
    answers = []
    for i in range(7):
        answer = httpx.post(f"{token_servers.endpoints[i % 2]}/oauth2/token", data=form, timeout=30)
        answers.append((answer.status_code, answer.json()["error"]))
    assert answers[:6] == [(400, "invalid_grant")] * 6, answers
    assert answers[6] == (429, "too_many_requests")
