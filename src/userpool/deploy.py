"""Deploying a definition: the pool, its default app client and its signing keys exist afterwards.

The first deploy creates them with Cognito-shaped ids; later deploys of the same definition name find them
again, so ids, keys and users survive restarts.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, replace
from typing import Any

from userpool.core.model import Client, Group, Pool, SigningKey
from userpool.core.ports import Clock, Random
from userpool.core.store import Store, Tx
from userpool.crypto.keys import generate_private_pem, kid_for
from userpool.definition import AuthDefinition
from userpool.definition.changes import SANDBOX_WAYS_FORWARD, IrreversibleChangeError, irreversible_changes, summary
from userpool.definition.models import AppClient

_POOL_ID_CHARS = string.ascii_letters + string.digits
_CLIENT_ID_CHARS = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class Deployment:
    pool: Pool
    client: Client  # the default app client (what amplify_outputs.json names)
    keys: tuple[SigningKey, ...]
    created: bool
    clients: tuple[Client, ...] = ()  # the definition's other app clients, in its order

    def client_named(self, name: str) -> Client | None:
        return next((c for c in self.clients if c.name == name), None)


def _random_string(random: Random, alphabet: str, length: int) -> str:
    return "".join(alphabet[random.below(len(alphabet))] for _ in range(length))


_SCOPES = {
    "PHONE": "phone",
    "EMAIL": "email",
    "OPENID": "openid",
    "PROFILE": "profile",
    "COGNITO_ADMIN": "aws.cognito.signin.user.admin",
}
_SECRET_CHARS = string.ascii_lowercase + string.digits
DEFAULT_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH")


def _default_client_settings(defn: AuthDefinition) -> dict[str, Any]:
    """The default client's OAuth settings come from `login_with.external_providers`, as in Amplify."""
    providers = defn.login_with.external_providers
    if providers is None:
        return {"explicit_auth_flows": DEFAULT_FLOWS}
    return {
        "explicit_auth_flows": DEFAULT_FLOWS,
        "callback_urls": tuple(providers.callback_urls),
        "logout_urls": tuple(providers.logout_urls),
        "allowed_oauth_scopes": tuple(_SCOPES[s] for s in providers.scopes),
    }


def _client_settings(c: AppClient) -> dict[str, Any]:
    rotation = c.refresh_token_rotation
    return {
        "explicit_auth_flows": tuple(f"ALLOW_{flow}" for flow in c.auth_flows),
        "callback_urls": tuple(c.callback_urls),
        "logout_urls": tuple(c.logout_urls),
        "allowed_oauth_scopes": tuple(_SCOPES.get(s, s) for s in c.oauth_scopes),
        "allowed_oauth_flows": tuple(c.oauth_flows),
        "access_token_validity": c.access_token_validity,
        "id_token_validity": c.id_token_validity,
        "refresh_token_validity": c.refresh_token_validity,
        "auth_session_validity": c.auth_session_validity,
        "prevent_user_existence_errors": c.prevent_user_existence_errors,
        "read_attributes": tuple(c.read_attributes or ()),
        "write_attributes": tuple(c.write_attributes or ()),
        "refresh_token_rotation": rotation is not None,
        "refresh_token_reuse_grace": rotation.retry_grace_period_seconds if rotation else 0,
    }


def _sync_clients(
    tx: Tx, pool: Pool, defn: AuthDefinition, now: float, random: Random
) -> tuple[Client, tuple[Client, ...]]:
    """The default client first (created once, its OAuth settings from the definition), then the
    definition's `clients` by name: new ones created with fresh ids, changed ones updated, dropped ones deleted."""
    existing = list(tx.list_clients(pool.id))
    default_name = f"{defn.name}-web"
    by_name = {c.name: c for c in existing}
    default = by_name.pop(default_name, None)

    def write(current: Client | None, name: str, settings: dict[str, Any], with_secret: bool) -> Client:
        if current is None:
            current = Client(
                id=_random_string(random, _CLIENT_ID_CHARS, 26), pool_id=pool.id, name=name, created_at=now
            )
        secret = (current.secret or _random_string(random, _SECRET_CHARS, 51)) if with_secret else None
        updated = replace(current, **settings, secret=secret)
        if updated != current or current not in existing:
            tx.put_client(updated)
        return updated

    default = write(default, default_name, _default_client_settings(defn), with_secret=False)
    extra = tuple(
        write(by_name.pop(c.name, None), c.name, _client_settings(c), c.generate_secret) for c in defn.clients
    )
    for dropped in by_name.values():
        tx.delete_client(dropped.id)
    return default, extra


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
        client, extra = _sync_clients(tx, pool, defn, now, random)
        keys = [k for k in tx.list_signing_keys(pool.id) if k.active]
        for use in ("id", "access"):
            if not any(k.use == use for k in keys):
                pem = generate_private_pem()
                key = SigningKey(kid=kid_for(pem), pool_id=pool.id, use=use, private_pem=pem, created_at=now)
                tx.put_signing_key(key)
                keys.append(key)
    return Deployment(pool=pool, client=client, keys=tuple(keys), created=created, clients=extra)
