"""`userpool keys`: the access keys that sign admin requests (boto3, the AWS CLI, any AWS SDK).

    userpool keys create [--description TEXT] [--json]   # the secret is printed this once
    userpool keys list [--json]
    userpool keys disable|enable|delete AKIA…

Against the sandbox (--dir, --identifier) or serve's database (--database-url), like every admin command.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from userpool.cli.target import AppDir, AsJson, DatabaseUrl, Identifier, fail, open_target
from userpool.core.errors import CognitoError
from userpool.core.flows import access_keys
from userpool.core.model import AccessKey

app = typer.Typer(help="Access keys for the admin API (SigV4, as AWS access keys).", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
KeyId = Annotated[str, typer.Argument(help="The access key id (AKIA…).", metavar="KEY_ID")]


def _when(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def key_json(key: AccessKey, *, with_secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AccessKeyId": key.id,
        "Status": "Active" if key.enabled else "Inactive",
        "Description": key.description,
        "CreateDate": _when(key.created_at),
        "LastUsedDate": _when(key.last_used_at),
    }
    if with_secret:
        out["SecretAccessKey"] = key.secret
    return out


@app.command("create")
def create(
    description: Annotated[str, typer.Option(help="What the key is for.")] = "",
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Make a key. Its secret is shown now and never again (it is sealed in the database)."""
    with open_target(app_dir, identifier, database_url) as pool:
        key = pool.run(access_keys.create_key, description=description)
    if as_json:
        typer.echo(json.dumps(key_json(key, with_secret=True), indent=2))
        return
    console.print(f"Access key id:     {key.id}", markup=False)
    console.print(f"Secret access key: {key.secret}", markup=False)
    console.print("Keep the secret now: it cannot be shown again.", style="yellow")


@app.command("list")
def list_(
    app_dir: AppDir = Path(), identifier: Identifier = None, database_url: DatabaseUrl = None, as_json: AsJson = False
) -> None:
    """Every key: id, status, description, when made and last used (never the secrets)."""
    with open_target(app_dir, identifier, database_url) as pool:
        keys = pool.run(access_keys.list_keys)
    rows = [key_json(k) for k in keys]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("No access keys. `userpool keys create` makes one.")
        return
    table = Table("Access key id", "Status", "Description", "Created", "Last used")
    for row in rows:
        table.add_row(
            row["AccessKeyId"], row["Status"], row["Description"], row["CreateDate"], row["LastUsedDate"] or "-"
        )
    console.print(table)


def _change(
    key_id: str, app_dir: Path, identifier: str | None, database_url: str | None, *, enabled: bool | None
) -> None:
    with open_target(app_dir, identifier, database_url) as pool:
        try:
            if enabled is None:
                pool.run(access_keys.delete_key, key_id=key_id)
            else:
                pool.run(access_keys.set_enabled, key_id=key_id, enabled=enabled)
        except CognitoError as err:
            raise fail(err.message) from None
    verb = "Deleted" if enabled is None else "Enabled" if enabled else "Disabled"
    console.print(f"{verb} access key {key_id}.", markup=False)


@app.command("disable")
def disable(
    key_id: KeyId, app_dir: AppDir = Path(), identifier: Identifier = None, database_url: DatabaseUrl = None
) -> None:
    """Refuse requests signed with this key from now on (UnrecognizedClientException)."""
    _change(key_id, app_dir, identifier, database_url, enabled=False)


@app.command("enable")
def enable(
    key_id: KeyId, app_dir: AppDir = Path(), identifier: Identifier = None, database_url: DatabaseUrl = None
) -> None:
    """Accept requests signed with this key again."""
    _change(key_id, app_dir, identifier, database_url, enabled=True)


@app.command("delete")
def delete(
    key_id: KeyId, app_dir: AppDir = Path(), identifier: Identifier = None, database_url: DatabaseUrl = None
) -> None:
    """Delete the key for good."""
    _change(key_id, app_dir, identifier, database_url, enabled=None)
