"""Which pool an admin command (`userpool keys|users|groups …`) works on: the sandbox's, or serve's.

    --dir APP [--identifier NAME]       the sandbox of that app folder (.amplify/userpool/<NAME>/pool.db)
    --database-url URL                  serve's database; USERPOOL_MASTER_KEY and the secrets as for serve

Either way the command attaches to the pool the server deployed, without deploying anything itself (an
operator's command must never change the pool the server serves, whatever definition it was run next to):
the definition is read for the pool's rules only (attributes, password policy, templates, triggers). Flows
run through `UserPool.run`, as the server runs them; commands may run while the server runs.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from userpool.bootstrap import attach_pool
from userpool.cli.paths import SandboxPaths, default_identifier
from userpool.core.model import Message
from userpool.courier import describe
from userpool.courier.delivery import courier_for
from userpool.courier.senders import SenderSettingsError
from userpool.crypto.sealing import MASTER_KEY_ENV, Sealer, load_or_create_master_key, master_key_from_env
from userpool.definition import DefinitionError, load_definition
from userpool.definition.secrets import (
    EnvironmentSecrets,
    SandboxSecrets,
    SecretSource,
    SecretStoreError,
    resolve_secrets,
)
from userpool.service import UserPool
from userpool.store import open_store

IDENTIFIER = re.compile(r"^[a-zA-Z0-9-]{1,15}$")  # as `userpool sandbox` (ampx's rule)
SANDBOX_ENDPOINT = "http://127.0.0.1:7429"
errors = Console(stderr=True, highlight=False, soft_wrap=True)

AppDir = Annotated[Path, typer.Option("--dir", help="The app folder (holding amplify/).")]
Identifier = Annotated[str | None, typer.Option(help="Name of the sandbox (default: your user name).")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        envvar="USERPOOL_DATABASE_URL",
        help=f"serve's database (postgresql+psycopg://… or sqlite:///…), not the sandbox; needs {MASTER_KEY_ENV}.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(message, style="red", markup=False)
    return typer.Exit(code)


def _echo(message: Message) -> None:
    errors.print(f"[sandbox] {describe(message)}", markup=False, style="cyan")


@contextmanager
def open_target(app_dir: Path, identifier: str | None, database_url: str | None) -> Iterator[UserPool]:
    """The pool the options name, as the server deployed it, wired to run flows; closed afterwards."""
    try:
        defn = load_definition(app_dir.resolve())
    except DefinitionError as err:
        raise fail(str(err)) from None
    source: SecretSource
    if database_url:
        key = master_key_from_env()
        if key is None:
            raise fail(f"--database-url needs {MASTER_KEY_ENV} (the key serve runs with).", 2)
        path = os.environ.get("USERPOOL_SECRETS_FILE")
        try:
            source = EnvironmentSecrets(os.environ, secrets_file=Path(path) if path else None)
        except SecretStoreError as err:
            raise fail(str(err)) from None
        url, sandbox = database_url, False
        endpoint = os.environ.get("USERPOOL_ENDPOINT", "http://127.0.0.1:8000")
        start = "start `userpool serve` once (it deploys the definition)"
    else:
        name = identifier or default_identifier()
        if not IDENTIFIER.fullmatch(name):
            raise fail(f"--identifier must be 1-15 letters, digits or '-', got {name!r}", 2)
        paths = SandboxPaths(app_dir.resolve(), name)
        if not paths.database.exists():
            raise fail(f"No sandbox in {paths.state_dir}: run `userpool sandbox` first (or give --database-url).")
        key = load_or_create_master_key(paths.master_key)
        source = SandboxSecrets(paths.app_dir, paths.identifier)
        url, sandbox = paths.database_url, True
        endpoint, start = SANDBOX_ENDPOINT, "run `userpool sandbox` first"
    try:
        secrets = resolve_secrets(defn, source)
        courier = courier_for(defn.senders, secrets, sandbox=sandbox, echo=_echo)
    except (DefinitionError, SecretStoreError, SenderSettingsError) as err:
        raise fail(str(err)) from None
    store = open_store(url, Sealer(key))
    try:
        pool = attach_pool(store, defn, endpoint=endpoint, master_key=key, courier=courier, secrets=secrets)
    except DefinitionError as err:
        store.close()
        raise fail(str(err)) from None
    if pool is None:
        store.close()
        raise fail(f"No user pool for {defn.name} in this database yet: {start}.")
    try:
        yield pool
    finally:
        store.close()


def cli_actor() -> str:
    """Who the audit log says made a change from the command line: the operating system's login name."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container with no passwd entry): still the CLI
        return "cli"
