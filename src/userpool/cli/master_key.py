"""`userpool master-key rotate`: a new master key, and every secret at rest sealed again under it.

Sandbox (`--dir`, `--identifier`): the command makes the new key itself. It keeps the old one as
`master.key.previous` (so everything still opens if it stops half-way), writes the new `master.key`,
re-seals every value, then deletes `master.key.previous`. Run it again to finish an interrupted rotation.

Production (`--database-url`): the operator makes the new key and hands both over, the new one as
USERPOOL_MASTER_KEY and the retiring one as USERPOOL_MASTER_KEY_PREVIOUS, to the servers (which then
seal with the new key and still open values sealed by either) and to this command (which re-seals every
value under the new key). When it reports nothing left under the old key, drop the PREVIOUS variable.

One-time codes and the hosted pages' CSRF tokens are keyed hashes under the master key too: codes sent
before the rotation stop matching and are requested again; open forms are submitted again.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from userpool.cli.paths import SandboxPaths, default_identifier
from userpool.crypto.sealing import (
    MASTER_KEY_ENV,
    PREVIOUS_MASTER_KEY_ENV,
    PREVIOUS_SUFFIX,
    Sealer,
    SealError,
    key_id,
    master_key_from_env,
    read_key_file,
    write_key_file,
)
from userpool.store import open_store
from userpool.store.sql.reseal import key_ids_in_use, reseal

app = typer.Typer(help="The master key that seals every secret at rest.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)


def _report(done: dict[str, int], left: dict[str, int], current: str) -> None:
    total = sum(done.values())
    console.print(f"Re-sealed {total} value(s) under master key {current}:", markup=False)
    for name, count in done.items():
        if count:
            console.print(f"  {name}: {count}", markup=False)
    stale = {kid: n for kid, n in left.items() if kid != current}
    if stale:
        console.print(f"Still sealed under other keys: {stale}", style="red", markup=False)
        raise typer.Exit(1)
    console.print("Nothing is sealed under any other key now.", markup=False)


def _rotate_sandbox(paths: SandboxPaths) -> None:
    if not paths.master_key.exists() or not paths.database.exists():
        console.print(f"No sandbox in {paths.state_dir}: run `userpool sandbox` first.", style="red")
        raise typer.Exit(2)
    previous_path = paths.master_key.with_name(paths.master_key.name + PREVIOUS_SUFFIX)
    if previous_path.exists():  # a rotation stopped half-way: finish it with the keys it chose
        console.print(f"Finishing the rotation that {previous_path.name} says is unfinished.", markup=False)
        old, new = read_key_file(previous_path), read_key_file(paths.master_key)
    else:
        old, new = read_key_file(paths.master_key), secrets.token_bytes(32)
        write_key_file(previous_path, old)  # first: from here on, both keys are on disk
        write_key_file(paths.master_key, new)
    sealer = Sealer(new, old_keys=(old,))
    store = open_store(paths.database_url, sealer)
    try:
        done = reseal(store.engine, sealer)
        left = key_ids_in_use(store.engine)
    finally:
        store.close()
    if all(kid == sealer.current_key_id for kid in left):
        previous_path.unlink()
    console.print(f"Master key {key_id(old)} → {key_id(new)} ({paths.master_key}).", markup=False)
    _report(done, left, sealer.current_key_id)


def _rotate_database(url: str) -> None:
    try:
        new = master_key_from_env()
        old = master_key_from_env(name=PREVIOUS_MASTER_KEY_ENV)
    except ValueError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from None
    if new is None or old is None:
        console.print(
            f"Set {MASTER_KEY_ENV} to the new key and {PREVIOUS_MASTER_KEY_ENV} to the one being retired "
            "(both base64, 32 bytes; make the new one with `openssl rand -base64 32`).",
            style="red",
        )
        raise typer.Exit(2)
    sealer = Sealer(new, old_keys=(old,))
    store = open_store(url, sealer)
    try:
        done = reseal(store.engine, sealer)
        left = key_ids_in_use(store.engine)
    finally:
        store.close()
    _report(done, left, sealer.current_key_id)


@app.command("rotate")
def rotate(
    app_dir: Annotated[Path, typer.Option("--dir", help="The sandbox's app folder.")] = Path(),
    identifier: Annotated[str | None, typer.Option(help="The sandbox identifier (default: your user name).")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(envvar="USERPOOL_DATABASE_URL", help="A served pool's database (keys from the environment)."),
    ] = None,
) -> None:
    """Seal every secret at rest under a new master key (see `userpool master-key --help`)."""
    try:
        if database_url:
            _rotate_database(database_url)
        else:
            _rotate_sandbox(SandboxPaths(app_dir.resolve(), identifier or default_identifier()))
    except SealError as exc:
        console.print(f"{exc}: a value opens with neither key; is the retiring key the right one?", style="red")
        raise typer.Exit(1) from None
