"""The ASGI app of one `userpool serve` worker process, built from the environment `serve` sets.

Apart from `serve` itself (cli/serve.py), so a worker imports what serving needs and not the command line
(typer, rich, uvicorn's supervisors and their file watcher): every worker of every server pays for each
import in start-up time and in memory.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from starlette.applications import Starlette

from userpool.api.client_address import TrustedProxiesError, parse_networks
from userpool.bootstrap import DEFAULT_REGION, open_pool
from userpool.courier.delivery import courier_for
from userpool.courier.senders import SenderSettingsError
from userpool.crypto.sealing import MASTER_KEY_ENV, master_key_from_env, serve_sealer
from userpool.definition import DefinitionError, load_definition
from userpool.definition.changes import SERVE_WAYS_FORWARD
from userpool.definition.secrets import EnvironmentSecrets, SecretStoreError, resolve_secrets
from userpool.server import build_app
from userpool.store import open_store
from userpool.store.redis_counters import RedisCounters
from userpool.web import hosted_routes


def _settings() -> tuple[Path, str, str, str, bytes]:
    app_dir = Path(os.environ.get("USERPOOL_APP_DIR", ".")).resolve()
    url = os.environ.get("USERPOOL_DATABASE_URL", "")
    endpoint = os.environ.get("USERPOOL_ENDPOINT", "")
    region = os.environ.get("USERPOOL_REGION", DEFAULT_REGION)
    key = master_key_from_env()
    missing = [
        n for n, v in (("USERPOOL_DATABASE_URL", url), ("USERPOOL_ENDPOINT", endpoint), (MASTER_KEY_ENV, key)) if not v
    ]
    if missing:
        raise SystemExit(f"userpool serve needs {', '.join(missing)} (options or environment variables)")
    assert key is not None
    return app_dir, url, endpoint.rstrip("/"), region, key


def secret_source_for_serve() -> EnvironmentSecrets:
    """Secrets under serve: USERPOOL_SECRET_<NAME>, else the file named by USERPOOL_SECRETS_FILE."""
    path = os.environ.get("USERPOOL_SECRETS_FILE")
    try:
        return EnvironmentSecrets(os.environ, secrets_file=Path(path) if path else None)
    except SecretStoreError as exc:
        raise SystemExit(str(exc)) from None


def create_app() -> Starlette:
    """The ASGI app for one worker process (uvicorn's factory)."""
    app_dir, url, endpoint, region, key = _settings()
    defn = load_definition(app_dir)
    secrets = resolve_secrets(defn, secret_source_for_serve())  # a missing secret stops start-up, naming how
    try:
        courier = courier_for(defn.senders, secrets, sandbox=False)
    except SenderSettingsError as err:
        raise DefinitionError([f"senders: {err}"], where=defn.source) from None
    store = open_store(url, serve_sealer(key))
    try:
        pool, _ = open_pool(
            store,
            defn,
            endpoint=endpoint,
            master_key=key,
            courier=courier,
            region=region,
            ways_forward=SERVE_WAYS_FORWARD,
            secrets=secrets,
        )
    except DefinitionError:
        store.close()
        raise
    try:
        proxies = parse_networks(os.environ.get("USERPOOL_TRUSTED_PROXIES", "").split(","))
    except TrustedProxiesError as exc:
        store.close()
        raise SystemExit(f"--trusted-proxies: {exc}") from None
    redis_url = os.environ.get("USERPOOL_REDIS_URL", "")
    if redis_url:
        pool.counters = _redis_counters(redis_url)
    app = build_app(pool, sandbox_mode=False, extra_routes=hosted_routes(), trusted_proxies=proxies)
    app.state.senders = defn.senders
    # What start-up made (modules, the app, the definition) lives as long as the process: out of the
    # collector's scans, so a full collection while serving walks only what requests keep, not every module.
    gc.collect()
    gc.freeze()
    return app


def _redis_counters(url: str) -> RedisCounters:
    counters = RedisCounters(url)
    try:
        counters.ping()
    except Exception as exc:  # redis-py's ConnectionError, a bad URL, a refused password
        raise SystemExit(f"--redis-url: cannot reach Redis at {url.rsplit('@', maxsplit=1)[-1]}: {exc}") from None
    return counters
