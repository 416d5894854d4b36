"""An in-process hosted Authenticator over a definition (serve mode's wiring, a TestClient), whose
definition a test can swap as a redeploy does."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

from tests.web.browser import Browser
from userpool import define_auth
from userpool.bootstrap import open_pool
from userpool.courier import SandboxCourier
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import Sealer
from userpool.definition.compile import authenticator, identity_providers
from userpool.server import build_app
from userpool.service import UserPool
from userpool.store import open_store
from userpool.web import hosted_routes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ENDPOINT = "http://127.0.0.1:9"


@dataclass
class Hosted:
    pool: UserPool
    http: TestClient

    def browser(self) -> Browser:
        return Browser(http=self.http, client_id=self.pool.default_client_id)

    def get(self, path: str, **params: str) -> Any:
        return self.http.get(path, params={"client_id": self.pool.default_client_id, **params})

    def redeploy(self, **options: Any) -> None:
        """What the dev loop does on a saved change: the new definition's settings, swapped in at once."""
        defn = define_auth(login_with={"email": True}, **options)
        self.pool.config = dataclasses.replace(
            self.pool.config, authenticator=authenticator(defn), identity_providers=identity_providers(defn)
        )


@contextmanager
def hosted(tmp_path: Path, *, endpoint: str = ENDPOINT, **options: Any) -> Iterator[Hosted]:
    key = bytes(range(32))
    store = open_store(f"sqlite:///{tmp_path / 'pool.db'}", Sealer(key))
    definition = define_auth(**{"login_with": {"email": True}, **options})
    pool, _ = open_pool(
        store,
        definition,
        endpoint=endpoint,
        master_key=key,
        courier=SandboxCourier(),
        hasher=Argon2Hasher(memory_cost=1024, time_cost=1),
    )
    app = build_app(pool, sandbox_mode=True, extra_routes=hosted_routes())
    app.state.sandbox = True
    try:
        with TestClient(app, base_url=endpoint, follow_redirects=False) as http:
            yield Hosted(pool, http)
    finally:
        store.close()
