"""Deploying a definition: the pool, its default app client and its signing keys exist afterwards.

The first deploy creates them with Cognito-shaped ids; later deploys of the same definition name find them
again, so ids, keys and users survive restarts.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass

from userpool.core.model import Client, Group, Pool, SigningKey
from userpool.core.ports import Clock, Random
from userpool.core.store import Store, Tx
from userpool.crypto.keys import generate_private_pem, kid_for
from userpool.definition import AuthDefinition
from userpool.definition.changes import SANDBOX_WAYS_FORWARD, IrreversibleChangeError, irreversible_changes, summary

_POOL_ID_CHARS = string.ascii_letters + string.digits
_CLIENT_ID_CHARS = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class Deployment:
    pool: Pool
    client: Client
    keys: tuple[SigningKey, ...]
    created: bool


def _random_string(random: Random, alphabet: str, length: int) -> str:
    return "".join(alphabet[random.below(len(alphabet))] for _ in range(length))


def _sync_groups(tx: Tx, pool_id: str, names: list[str], now: float) -> None:
    """The definition's groups, precedence = position; groups made at run time are left alone."""
    existing = {g.name: g for g in tx.list_groups(pool_id)}
    for precedence, name in enumerate(names):
        old = existing.get(name)
        if old is not None and old.from_definition and old.precedence == precedence:
            continue
        tx.put_group(
            Group(
                pool_id=pool_id,
                name=name,
                precedence=precedence,
                created_at=old.created_at if old else now,
                updated_at=now,
                description=old.description if old else "",
                role_arn=old.role_arn if old else "",
                from_definition=True,
            )
        )
    for name, group in existing.items():
        if group.from_definition and name not in names:
            tx.delete_group(pool_id, name)


def deploy(
    store: Store,
    defn: AuthDefinition,
    *,
    region: str,
    clock: Clock,
    random: Random,
    ways_forward: str = SANDBOX_WAYS_FORWARD,
) -> Deployment:
    """Create or update the pool for `defn`. A change the deployed pool cannot take raises
    IrreversibleChangeError before anything is written."""
    now = clock.now()
    created = False
    new_summary = summary(defn)
    with store.begin() as tx:
        pools = list(tx.list_pools())
        pool = next((p for p in pools if p.name == defn.name), None)
        if pool is None and len(pools) == 1:
            pool = pools[0]  # one pool in this store under another name: a renamed definition, not a new pool
        if pool is not None:
            changes = irreversible_changes(json.loads(pool.definition_json or "{}"), new_summary)
            if changes:
                raise IrreversibleChangeError(changes, where=defn.source, ways_forward=ways_forward)
        if pool is None:
            created = True
            pool = Pool(
                id=f"{region}_{_random_string(random, _POOL_ID_CHARS, 9)}",
                name=defn.name,
                region=region,
                created_at=now,
                secret=random.token_bytes(32),
            )
        pool.definition_json = json.dumps(new_summary, sort_keys=True)
        tx.put_pool(pool)
        _sync_groups(tx, pool.id, list(defn.groups), now)
        clients = list(tx.list_clients(pool.id))
        if clients:
            client = clients[0]
        else:
            client = Client(
                id=_random_string(random, _CLIENT_ID_CHARS, 26),
                pool_id=pool.id,
                name=f"{defn.name}-web",
                created_at=now,
            )
            tx.put_client(client)
        keys = [k for k in tx.list_signing_keys(pool.id) if k.active]
        for use in ("id", "access"):
            if not any(k.use == use for k in keys):
                pem = generate_private_pem()
                key = SigningKey(kid=kid_for(pem), pool_id=pool.id, use=use, private_pem=pem, created_at=now)
                tx.put_signing_key(key)
                keys.append(key)
    return Deployment(pool=pool, client=client, keys=tuple(keys), created=created)
