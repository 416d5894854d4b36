"""Re-sealing every secret at rest under the current master key (`userpool master-key rotate`).

Each sealed column is listed with the context it was sealed under (repository.py, mfa_rows.py), so a
value is opened with whichever key sealed it (the key id is in the value) and sealed again, bound to the
same context, under the current key. Values already under the current key are left alone, so a rotation
that stopped half-way is finished by running it again. One transaction per table: a crash leaves each
table either as it was or re-sealed, and every value opens with one of the two keys meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from userpool.crypto.sealing import Sealer, sealed_key_id
from userpool.store.sql import tables as t

Row = Any  # a row mapping: column name → value


@dataclass(frozen=True)
class SealedColumn:
    table: sa.Table
    column: str
    context: Callable[[Row], str]


SEALED: tuple[SealedColumn, ...] = (
    SealedColumn(t.pools, "secret", lambda r: f"pools.secret/{r['id']}"),
    SealedColumn(t.clients, "secret", lambda r: f"clients.secret/{r['id']}"),
    SealedColumn(t.users, "srp_verifier", lambda r: f"users.srp_verifier/{r['pool_id']}/{r['sub']}"),
    SealedColumn(t.auth_sessions, "state", lambda r: f"auth_sessions.state/{r['id']}"),
    SealedColumn(t.devices, "verifier", lambda r: f"devices.verifier/{r['pool_id']}/{r['key']}"),
    SealedColumn(t.signing_keys, "private_pem", lambda r: f"signing_keys.private_pem/{r['kid']}"),
    SealedColumn(t.messages, "body", lambda r: f"messages.body/{r['pool_id']}/{r['recipient']}"),
    SealedColumn(t.messages, "code", lambda r: f"messages.code/{r['pool_id']}/{r['recipient']}"),
    SealedColumn(t.user_mfa, "totp_secret", lambda r: f"user_mfa.totp_secret/{r['pool_id']}/{r['user_sub']}"),
    SealedColumn(t.user_mfa, "totp_pending", lambda r: f"user_mfa.totp_pending/{r['pool_id']}/{r['user_sub']}"),
)


def reseal(engine: sa.Engine, sealer: Sealer) -> dict[str, int]:
    """Re-seal every value not sealed under `sealer`'s current key; returns the count per "table.column".
    Raises SealError when a value opens with none of the sealer's keys (the retiring key is missing)."""
    done: dict[str, int] = {}
    for spec in SEALED:
        table, column = spec.table, spec.table.c[spec.column]
        keys = [c for c in table.primary_key.columns]
        count = 0
        with engine.begin() as conn:
            rows = conn.execute(sa.select(table).where(column.is_not(None)).with_for_update()).mappings().all()
            for row in rows:
                sealed = row[spec.column]
                if sealed_key_id(sealed) == sealer.current_key_id:
                    continue
                context = spec.context(row)
                fresh = sealer.seal(sealer.unseal(sealed, context), context)
                where = [k == row[k.name] for k in keys]
                conn.execute(sa.update(table).where(*where).values({spec.column: fresh}))
                count += 1
        done[f"{table.name}.{spec.column}"] = count
    return done


def key_ids_in_use(engine: sa.Engine) -> dict[str, int]:
    """How many sealed values each master key id holds (what a rotation has left to do)."""
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for spec in SEALED:
            column = spec.table.c[spec.column]
            for (sealed,) in conn.execute(sa.select(column).where(column.is_not(None))):
                kid = sealed_key_id(sealed)
                found[kid] = found.get(kid, 0) + 1
    return found
