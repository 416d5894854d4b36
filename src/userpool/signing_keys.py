"""Rotating the token signing keys (`userpool signing-keys rotate`): a new key per token use signs from
now on; the one it replaces is retired, still verifying (and still in the JWKS) until every token it
signed has expired, then dropped by a later rotation.

    active ──rotate──▶ retired (verifies, in the JWKS) ──a rotation after KEEP──▶ deleted

Running servers learn of the new keys on their own: a token naming a kid they do not know makes them
read the keys again (crypto/keys.py `KeyRing`, at most every 10 seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from userpool.core.model import SigningKey
from userpool.core.store import Store, Tx
from userpool.crypto.keys import generate_private_pem, kid_for

USES = ("id", "access")
MARGIN = 3600.0  # beyond the longest token lifetime: clocks differ, and so do refreshes in flight


@dataclass(frozen=True)
class Rotation:
    added: tuple[str, ...]
    retired: tuple[str, ...]
    dropped: tuple[str, ...]


def ring(keys: Sequence[SigningKey]) -> list[tuple[str, str, str]]:
    """The keys as `KeyRing` takes them: retired first, then the active ones (the last per use signs)."""
    ordered = sorted(keys, key=lambda k: (k.active, k.created_at, k.kid))
    return [(k.kid, k.use, k.private_pem) for k in ordered]


def keys_of(store: Store, pool_id: str) -> list[tuple[str, str, str]]:
    """The pool's keys for a `KeyRing`. Read without taking a write lock where the store offers it, as the
    ring re-reads them in the middle of a request whose own unit of work may hold one."""
    read = getattr(store, "read", None)
    with read() if read is not None else store.begin() as tx:
        return ring(tx.list_signing_keys(pool_id))


def _keep(tx: Tx, pool_id: str) -> float:
    """How long a retired key must keep verifying: the longest ID or access token any client issues."""
    lifetimes = [max(c.access_token_validity, c.id_token_validity) for c in tx.list_clients(pool_id)]
    return float(max(lifetimes, default=86400)) + MARGIN


def rotate(store: Store, pool_id: str, now: float) -> Rotation:
    """One unit of work: new active keys, the old ones retired, long-retired ones deleted."""
    added, retired, dropped = [], [], []
    with store.begin() as tx:
        keys = list(tx.list_signing_keys(pool_id))
        keep = _keep(tx, pool_id)
        for use in USES:
            newest = max((k.created_at for k in keys if k.use == use and k.active), default=None)
            for key in keys:
                if key.use != use:
                    continue
                if key.active:
                    tx.put_signing_key(replace(key, active=False))
                    retired.append(key.kid)
                elif newest is not None and newest <= now - keep:  # its successor has outlived its tokens
                    tx.delete_signing_key(pool_id, key.kid)
                    dropped.append(key.kid)
            pem = generate_private_pem()
            fresh = SigningKey(kid=kid_for(pem), pool_id=pool_id, use=use, private_pem=pem, created_at=now)
            tx.put_signing_key(fresh)
            added.append(fresh.kid)
    return Rotation(tuple(added), tuple(retired), tuple(dropped))
