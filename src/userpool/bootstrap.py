"""Assembling a running pool from a definition: deploy it, then wire the ports (the registry)."""

from __future__ import annotations

from userpool.core.config import PoolConfig
from userpool.core.store import Store
from userpool.courier import Courier
from userpool.crypto.keys import KeyRing
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import HmacKeyed
from userpool.definition import AuthDefinition
from userpool.definition.changes import SANDBOX_WAYS_FORWARD
from userpool.definition.compile import pool_config
from userpool.deploy import Deployment, deploy
from userpool.service import UserPool
from userpool.system import SystemClock, SystemRandom
from userpool.triggers_runner import ThreadTriggerRunner

DEFAULT_REGION = "us-east-1"


def config_for(defn: AuthDefinition, deployment: Deployment, endpoint: str) -> PoolConfig:
    pool = deployment.pool
    return pool_config(defn, pool_id=pool.id, region=pool.region, issuer=f"{endpoint.rstrip('/')}/{pool.id}")


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
) -> tuple[UserPool, Deployment]:
    """Deploy `defn` (IrreversibleChangeError if the stored pool cannot take it) and wire the ports."""
    clock, random = SystemClock(), SystemRandom()
    deployment = deploy(store, defn, region=region, clock=clock, random=random, ways_forward=ways_forward)
    config = config_for(defn, deployment, endpoint)
    keys = [(k.kid, k.use, k.private_pem) for k in deployment.keys]
    pool = _wire(store, config, keys, deployment.client.id, master_key=master_key, courier=courier, hasher=hasher)
    return pool, deployment


def attach_pool(
    store: Store, defn: AuthDefinition, *, endpoint: str, master_key: bytes, courier: Courier
) -> UserPool | None:
    """The pool a server deployed in `store` for `defn`, wired to run flows — without deploying anything
    (an admin command must not change the pool the server serves). None when no pool is there yet."""
    with store.begin() as tx:
        pools = list(tx.list_pools())
        found = next((p for p in pools if p.name == defn.name), pools[0] if len(pools) == 1 else None)
        if found is None:
            return None
        clients = list(tx.list_clients(found.id))
        keys = [(k.kid, k.use, k.private_pem) for k in tx.list_signing_keys(found.id) if k.active]
    default = next((c for c in clients if c.name == f"{defn.name}-web"), clients[0] if clients else None)
    issuer = f"{endpoint.rstrip('/')}/{found.id}"
    config = pool_config(defn, pool_id=found.id, region=found.region, issuer=issuer)
    return _wire(store, config, keys, default.id if default else "", master_key=master_key, courier=courier)


def _wire(
    store: Store,
    config: PoolConfig,
    keys: list[tuple[str, str, str]],
    default_client_id: str,
    *,
    master_key: bytes,
    courier: Courier,
    hasher: Argon2Hasher | None = None,
) -> UserPool:
    return UserPool(
        config=config,
        store=store,
        clock=SystemClock(),
        random=SystemRandom(),
        hasher=hasher or Argon2Hasher(),
        keyed=HmacKeyed(master_key),
        signer=KeyRing(keys),
        courier=courier,
        default_client_id=default_client_id,
        triggers=ThreadTriggerRunner(),
    )
