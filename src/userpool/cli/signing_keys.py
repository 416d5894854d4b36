"""`userpool signing-keys rotate`: new token signing keys; the old ones verify until their tokens expire.

Sandbox (`--dir`, `--identifier`) or a served pool (`--database-url`, the master key from
USERPOOL_MASTER_KEY). Running servers pick the new keys up by themselves (see userpool/signing_keys.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from userpool import signing_keys
from userpool.cli.paths import SandboxPaths, default_identifier
from userpool.crypto.sealing import MASTER_KEY_ENV, master_key_from_env, sandbox_sealer, serve_sealer
from userpool.store import open_store

app = typer.Typer(help="The keys that sign ID and access tokens.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)


@app.command("rotate")
def rotate(
    app_dir: Annotated[Path, typer.Option("--dir", help="The sandbox's app folder.")] = Path(),
    identifier: Annotated[str | None, typer.Option(help="The sandbox identifier (default: your user name).")] = None,
    database_url: Annotated[
        str | None, typer.Option(envvar="USERPOOL_DATABASE_URL", help="A served pool's database.")
    ] = None,
    pool_id: Annotated[str | None, typer.Option(help="The pool, when the database holds several.")] = None,
) -> None:
    """Sign with new keys from now on; keep the old ones verifying until their tokens have expired."""
    if database_url:
        key = master_key_from_env()
        if key is None:
            console.print(f"Set {MASTER_KEY_ENV} (the key the servers use).", style="red")
            raise typer.Exit(2)
        url, sealer = database_url, serve_sealer(key)
    else:
        paths = SandboxPaths(app_dir.resolve(), identifier or default_identifier())
        if not paths.database.exists():
            console.print(f"No sandbox in {paths.state_dir}: run `userpool sandbox` first.", style="red")
            raise typer.Exit(2)
        url, sealer = paths.database_url, sandbox_sealer(paths.master_key)
    store = open_store(url, sealer)
    try:
        with store.begin() as tx:
            pools = [p.id for p in tx.list_pools()]
        chosen = pool_id or (pools[0] if len(pools) == 1 else None)
        if chosen is None or chosen not in pools:
            console.print(f"Name the pool with --pool-id: one of {', '.join(pools) or '(none)'}.", style="red")
            raise typer.Exit(2)
        done = signing_keys.rotate(store, chosen, time.time())
    finally:
        store.close()
    console.print(f"New signing keys: {', '.join(done.added)}", markup=False)
    console.print(f"Retired (verifying until their tokens expire): {', '.join(done.retired) or 'none'}", markup=False)
    if done.dropped:
        console.print(f"Deleted (their tokens have expired): {', '.join(done.dropped)}", markup=False)
