"""`userpool groups`: the pool's groups and their members, with the same flows as the admin API.

userpool groups list [--json]
userpool groups create NAME [--description T] [--precedence N] [--role-arn ARN] [--json]
userpool groups delete NAME [--yes]
userpool groups add NAME USERNAME        userpool groups remove NAME USERNAME
userpool groups members NAME [--json]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from userpool.cli.target import AppDir, AsJson, DatabaseUrl, Identifier
from userpool.cli.users import admin_pool, run, user_json, when
from userpool.core.flows import groups
from userpool.core.model import Group, User

app = typer.Typer(help="Manage groups and their members.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
GroupName = Annotated[str, typer.Argument(help="The group's name (case-sensitive).")]
Username = Annotated[str, typer.Argument(help="The user name (or the email/phone the user signs in with).")]


def group_json(group: Group) -> dict[str, Any]:
    return {
        "GroupName": group.name,
        "Description": group.description,
        "Precedence": group.precedence,
        "RoleArn": group.role_arn or None,
        "FromDefinition": group.from_definition,
        "CreationDate": when(group.created_at),
        "LastModifiedDate": when(group.updated_at),
    }


@app.command("list")
def list_groups(
    app_dir: AppDir = Path(), identifier: Identifier = None, database_url: DatabaseUrl = None, as_json: AsJson = False
) -> None:
    """Every group, by precedence then name."""
    found: list[Group] = []
    token: str | None = None
    with admin_pool(app_dir, identifier, database_url) as pool:
        while True:
            page, token = run(pool, groups.list_groups, limit=60, next_token=token)
            found += page
            if token is None:
                break
    rows = [group_json(g) for g in found]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("No groups.")
        return
    table = Table("Group", "Precedence", "Role", "Description", "From")
    for row in rows:
        origin = "definition" if row["FromDefinition"] else "admin"
        precedence = "-" if row["Precedence"] is None else str(row["Precedence"])
        table.add_row(row["GroupName"], precedence, row["RoleArn"] or "-", row["Description"], origin)
    console.print(table)


@app.command("create")
def create_group(
    name: GroupName,
    description: Annotated[str, typer.Option(help="What the group is for.")] = "",
    precedence: Annotated[int | None, typer.Option(help="Lower wins in cognito:groups order and the role.")] = None,
    role_arn: Annotated[str, typer.Option(help="The role in cognito:roles / cognito:preferred_role.")] = "",
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Create a group (kept across deploys: only the definition's own groups follow the definition)."""
    with admin_pool(app_dir, identifier, database_url) as pool:
        group = run(
            pool,
            groups.create_group,
            ("group.create", f"group:{name}", {"precedence": precedence}),
            name=name,
            description=description,
            precedence=precedence,
            role_arn=role_arn,
        )
    if as_json:
        typer.echo(json.dumps(group_json(group), indent=2, ensure_ascii=False))
        return
    console.print(f"Created group {group.name}.", markup=False)


@app.command("delete")
def delete_group(
    name: GroupName,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Delete a group; its members leave it (their next tokens no longer name it)."""
    if not yes and not typer.confirm(f"Delete group {name}?", default=False):
        raise typer.Exit(1)
    with admin_pool(app_dir, identifier, database_url) as pool:
        run(pool, groups.delete_group, ("group.delete", f"group:{name}", {}), name=name)
    console.print(f"Deleted group {name}.", markup=False)


@app.command("add")
def add_member(
    name: GroupName,
    username: Username,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Put a user in a group (shows in the user's next tokens)."""
    with admin_pool(app_dir, identifier, database_url) as pool:
        audit = ("group.add_member", f"user:{username}", {"group": name})
        run(pool, groups.add_user_to_group, audit, username=username, group_name=name)
    console.print(f"Added {username} to {name}.", markup=False)


@app.command("remove")
def remove_member(
    name: GroupName,
    username: Username,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Take a user out of a group."""
    with admin_pool(app_dir, identifier, database_url) as pool:
        audit = ("group.remove_member", f"user:{username}", {"group": name})
        run(pool, groups.remove_user_from_group, audit, username=username, group_name=name)
    console.print(f"Removed {username} from {name}.", markup=False)


@app.command("members")
def members(
    name: GroupName,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """The group's members."""
    found: list[User] = []
    token: str | None = None
    with admin_pool(app_dir, identifier, database_url) as pool:
        while True:
            page, token = run(pool, groups.list_users_in_group, group_name=name, limit=60, next_token=token)
            found += page
            if token is None:
                break
    if as_json:
        typer.echo(json.dumps([user_json(u) for u in found], indent=2, ensure_ascii=False))
        return
    table = Table("Username", "Email", "Status")
    for u in found:
        table.add_row(u.username, u.attributes.get("email", ""), u.status.value)
    console.print(table)
