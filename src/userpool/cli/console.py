"""`userpool console create-admin | reset-admin | list`: the web console's operators.

Operators are not pool users: they sign in at /console with a password and a TOTP code (MFA is required),
and they live in the same store as the pool — the sandbox's (`--dir`, `--identifier`) or serve's
(`--database-url`, with USERPOOL_MASTER_KEY). Locked out? Another operator's `create-admin`, or
`reset-admin` (a new password and a new TOTP secret; the operator's sessions end).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import segno
import typer
from rich.console import Console

from userpool.cli.paths import SandboxPaths, default_identifier
from userpool.core.console_records import ConsoleAdmin
from userpool.core.errors import CognitoError
from userpool.core.flows import console_sign_in
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import MASTER_KEY_ENV, Sealer, load_or_create_master_key, master_key_from_env
from userpool.store import SqlStore, open_store
from userpool.system import SystemRandom

console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(help="The web console's operators (sign in at /console with a password and a TOTP code).")

AppDir = Annotated[Path, typer.Option("--dir", help="The sandbox's app folder (holding amplify/).")]
Identifier = Annotated[str | None, typer.Option(help="Name of the sandbox (default: your user name).")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(envvar="USERPOOL_DATABASE_URL", help="serve's database (needs USERPOOL_MASTER_KEY)."),
]
Name = Annotated[str, typer.Argument(help="The operator's name (letters, digits, . _ @ + -).")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON (the TOTP secret included).")]


def _fail(text: str, code: int = 1) -> typer.Exit:
    console.print(text, style="red", markup=False)
    return typer.Exit(code)


def _open(app_dir: Path, identifier: str | None, database_url: str | None) -> SqlStore:
    if database_url:
        try:
            key = master_key_from_env()
        except ValueError as exc:
            raise _fail(str(exc), 2) from None
        if key is None:
            raise _fail(f"--database-url needs {MASTER_KEY_ENV} (the key serve runs with).", 2)
        return open_store(database_url, Sealer(key))
    paths = SandboxPaths(app_dir.resolve(), identifier or default_identifier())
    if not paths.database.exists():
        raise _fail(f"No sandbox in {paths.state_dir}: run `userpool sandbox` first (or give --database-url).")
    return open_store(paths.database_url, Sealer(load_or_create_master_key(paths.master_key)))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)
    return password


def _save(store: SqlStore, name: str, password: str, *, reset: bool) -> ConsoleAdmin:
    try:
        with store.begin() as tx:
            return console_sign_in.create_admin(
                tx, Argon2Hasher(), SystemRandom(), time.time(), name=name, password=password, reset=reset
            )
    except CognitoError as err:
        raise _fail(err.message, 2) from None


def _show(admin: ConsoleAdmin, *, as_json: bool, verb: str) -> None:
    uri = console_sign_in.enrolment_uri(admin)
    if as_json:
        typer.echo(json.dumps({"name": admin.name, "totp_secret": admin.totp_secret, "otpauth_uri": uri}))
        return
    console.print(f"{verb} operator [bold]{admin.name}[/bold]. Scan this with an authenticator app:")
    segno.make(uri, error="m").terminal(out=sys.stdout, compact=True)
    console.print(f"or enter the key by hand: {admin.totp_secret}", markup=False)
    console.print(f"({uri})", markup=False, style="dim")
    console.print("The key is shown once. Sign in at <endpoint>/console with the password and a code from the app.")


@app.command("create-admin")
def create_admin(
    name: Name,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    password_stdin: PasswordStdin = False,
    as_json: AsJson = False,
) -> None:
    """A new console operator: asks for a password, then shows the TOTP key to enrol in an authenticator app."""
    store = _open(app_dir, identifier, database_url)
    try:
        admin = _save(store, name, _password(password_stdin), reset=False)
    finally:
        store.close()
    _show(admin, as_json=as_json, verb="Created")


@app.command("reset-admin")
def reset_admin(
    name: Name,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    password_stdin: PasswordStdin = False,
    as_json: AsJson = False,
) -> None:
    """A locked-out operator's new password and new TOTP key; their console sessions end."""
    store = _open(app_dir, identifier, database_url)
    try:
        admin = _save(store, name, _password(password_stdin), reset=True)
    finally:
        store.close()
    _show(admin, as_json=as_json, verb="Reset")


@app.command("list")
def list_admins(
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """The console's operators and when each last signed in."""
    store = _open(app_dir, identifier, database_url)
    try:
        with store.begin() as tx:
            admins = list(tx.list_console_admins())
    finally:
        store.close()
    rows = [{"name": a.name, "enabled": a.enabled, "last_sign_in_at": a.last_sign_in_at} for a in admins]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        console.print("No operators yet: `userpool console create-admin NAME` makes one.")
    for a in admins:
        when = "never"
        if a.last_sign_in_at:
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(a.last_sign_in_at))
        console.print(f"{a.name}  (last sign-in: {when})", markup=False)
