"""`userpool sandbox secret`: the values behind `secret("NAME")`, per sandbox, as `ampx sandbox secret` keeps them.

    userpool sandbox secret set GOOGLE_CLIENT_SECRET        # prompts without echo; or pipe the value in
    userpool sandbox secret get GOOGLE_CLIENT_SECRET        # name, version, value, lastUpdated
    userpool sandbox secret list                            # names only
    userpool sandbox secret remove GOOGLE_CLIENT_SECRET     # or: remove --all

The store lives in the per-user config directory, never in the app folder (`SandboxSecrets`).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from userpool.cli.paths import default_identifier
from userpool.definition.secrets import NAME, SandboxSecrets, SecretStoreError

app = typer.Typer(
    help="Secrets the auth definition names with secret('NAME'), kept per sandbox outside the app folder.",
    no_args_is_help=True,
)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _name(value: str | None) -> str | None:
    if value is not None and not NAME.fullmatch(value):
        raise typer.BadParameter("secret names are 1-128 letters, digits, '_', '.' or '-'")
    return value


AppDir = Annotated[Path, typer.Option("--dir", help="The app folder (holding amplify/).")]
Identifier = Annotated[str | None, typer.Option(help="Name of the sandbox (default: your user name).")]
Name = Annotated[
    str, typer.Argument(help="The name given to secret(...) in the definition.", metavar="NAME", callback=_name)
]


def _store(app_dir: Path, identifier: str | None) -> SandboxSecrets:
    try:
        return SandboxSecrets(app_dir, identifier or default_identifier())
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--identifier'") from None


def _fail(message: str) -> typer.Exit:
    errors.print(message, style="red", markup=False)
    return typer.Exit(1)


def _read_value() -> str:
    """From the terminal without echo, or everything piped in (minus one trailing newline)."""
    if sys.stdin.isatty():
        try:
            return getpass.getpass("Enter secret value: ")
        except EOFError:
            return ""
    value = sys.stdin.read()
    return value[:-2] if value.endswith("\r\n") else value.removesuffix("\n")


@app.command("set")
def set_secret(name: Name, app_dir: AppDir = Path(), identifier: Identifier = None) -> None:
    """Set a secret's value: typed at a hidden prompt, or piped in (`printf %s "$VALUE" | ...`)."""
    store = _store(app_dir, identifier)
    value = _read_value()
    if not value:
        raise _fail(f"The value is empty: secret {name} was not set.")
    try:
        version = store.set(name, value)
    except SecretStoreError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Successfully created version {version} of secret {name}")


@app.command("get")
def get_secret(name: Name, app_dir: AppDir = Path(), identifier: Identifier = None) -> None:
    """Print a secret: name, version, value and lastUpdated (the value is printed, as in Amplify)."""
    store = _store(app_dir, identifier)
    try:
        record = store.describe(name)
    except SecretStoreError as exc:
        raise _fail(str(exc)) from None
    if record is None:
        raise _fail(f"No secret {name} in sandbox {store.identifier}; {store.how_to_set(name)}.")
    typer.echo(f"name: {record['name']}")
    typer.echo(f"version: {record['version']}")
    typer.echo(f"value: {record['value']}")
    typer.echo(f"lastUpdated: {record['last_updated']}")


@app.command("list")
def list_secrets(app_dir: AppDir = Path(), identifier: Identifier = None) -> None:
    """The names of this sandbox's secrets (never their values)."""
    store = _store(app_dir, identifier)
    try:
        names = store.names()
    except SecretStoreError as exc:
        raise _fail(str(exc)) from None
    if not names:
        errors.print(f"No secrets in sandbox {store.identifier}.", markup=False)
    for name in names:
        typer.echo(name)


@app.command("remove")
def remove_secret(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(help="The secret to remove (or --all).", metavar="NAME", callback=_name, show_default=False),
    ] = None,
    remove_all: Annotated[bool, typer.Option("--all", help="Remove every secret of this sandbox.")] = False,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
) -> None:
    """Remove one secret, or all of this sandbox's secrets with --all."""
    if (name is None) == (not remove_all):
        ctx.fail("give a secret name or --all, not both" if name else "give a secret name or --all")
    store = _store(app_dir, identifier)
    try:
        if name is None:
            count = store.remove_all()
            typer.echo(f"Successfully removed {count} secret(s) of sandbox {store.identifier}")
            return
        removed = store.remove(name)
    except SecretStoreError as exc:
        raise _fail(str(exc)) from None
    if not removed:
        raise _fail(f"No secret {name} in sandbox {store.identifier}.")
    typer.echo(f"Successfully removed secret {name}")
