"""Assembling a running pool from a definition: deploy it, then wire the ports (the registry)."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from userpool import signing_keys
from userpool.core.config import PoolConfig
from userpool.core.store import Store
from userpool.courier import Courier
from userpool.crypto.keys import KeyRing
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import HmacKeyed
from userpool.data.blocklist import Blocklist
from userpool.definition import AuthDefinition
from userpool.definition.changes import SANDBOX_WAYS_FORWARD
from userpool.definition.compile import pool_config
from userpool.deploy import Deployment, deploy
from userpool.service import UserPool
from userpool.system import SystemClock, SystemRandom
from userpool.triggers_runner import ThreadTriggerRunner

DEFAULT_REGION = "us-east-1"


def config_for(
    defn: AuthDefinition, deployment: Deployment, endpoint: str, secrets: Mapping[str, str] | None = None
) -> PoolConfig:
    pool = deployment.pool
    issuer = f"{endpoint.rstrip('/')}/{pool.id}"
    return pool_config(defn, pool_id=pool.id, region=pool.region, issuer=issuer, secrets=secrets)


def open_pool(
    store: Store,
    defn: AuthDefinition,
    *,
    endpoint: str,
    master_key: bytes,
    courier: Courier,
    region: str = DEFAULT_REGION,
    hasher: Argon2Hasher | None = None,
    ways_forward: str = SANDBOX_WAYS_FORWARD,
    secrets: Mapping[str, str] | None = None,
) -> tuple[UserPool, Deployment]:
    """Deploy `defn` (IrreversibleChangeError if the stored pool cannot take it) and wire the ports."""
    clock, random = SystemClock(), SystemRandom()
    deployment = deploy(store, defn, region=region, clock=clock, random=random, ways_forward=ways_forward)
    pool_id = deployment.pool.id
    # Retired keys too: they verify until their tokens expire. A kid the ring does not know re-reads the store.
    signer = KeyRing(signing_keys.keys_of(store, pool_id), reload=lambda: signing_keys.keys_of(store, pool_id))
    pool = UserPool(
        config=config_for(defn, deployment, endpoint, secrets),
        store=store,
        clock=clock,
        random=random,
        hasher=hasher or Argon2Hasher(),
        keyed=HmacKeyed(master_key),
        signer=signer,
        courier=courier,
        default_client_id=deployment.client.id,
        triggers=ThreadTriggerRunner(),
    )
    _warm(pool.config)
    return pool, deployment


def _warm(config: PoolConfig) -> None:
    """Load the password blocklist now, beside start-up, rather than inside the first sign-up."""
    blocklist = config.password_policy.blocklist
    if isinstance(blocklist, Blocklist):
        threading.Thread(target=blocklist.load, name="userpool-blocklist", daemon=True).start()
