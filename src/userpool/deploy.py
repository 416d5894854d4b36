"""Deploying a definition: the pool, its default app client and its signing keys exist afterwards.

The first deploy creates them with Cognito-shaped ids; later deploys of the same definition name find them
again, so ids, keys and users survive restarts.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any

from userpool.core.model import Client, Pool, SigningKey
from userpool.core.ports import Clock, Random
from userpool.core.store import Store
from userpool.crypto.keys import generate_private_pem, kid_for
from userpool.definition import AuthDefinition
from userpool.definition.compile import attribute_specs, templates, username_attributes, verified_attributes

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


def summary(defn: AuthDefinition) -> dict[str, Any]:
    """The settings a definition deploys, as JSON: kept with the pool to compare the next deploy against."""
    specs = attribute_specs(defn)
    return {
        "name": defn.name,
        "username_attributes": list(username_attributes(defn)),
        "verified_attributes": list(verified_attributes(defn)),
        "attributes": {
            n: {"type": s.data_type, "required": s.required, "mutable": s.mutable} for n, s in specs.items()
        },
        "password_policy": defn.password_policy.model_dump(),
        "templates": {k: {"subject": v.subject, "body": v.body} for k, v in vars(templates(defn)).items()},
    }


def deploy(store: Store, defn: AuthDefinition, *, region: str, clock: Clock, random: Random) -> Deployment:
    now = clock.now()
    created = False
    with store.begin() as tx:
        pool = next((p for p in tx.list_pools() if p.name == defn.name), None)
        if pool is None:
            created = True
            pool = Pool(
                id=f"{region}_{_random_string(random, _POOL_ID_CHARS, 9)}",
                name=defn.name,
                region=region,
                created_at=now,
                secret=random.token_bytes(32),
            )
        pool.definition_json = json.dumps(summary(defn), sort_keys=True)
        tx.put_pool(pool)
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
