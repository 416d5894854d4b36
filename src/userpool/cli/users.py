"""`userpool users`: people and scripts manage users with the same flows as the admin API.

    userpool users list [--filter 'email ^= "ada"'] [--limit N] [--json]
    userpool users get USERNAME [--json]
    userpool users create USERNAME [--attribute email=ada@example.com …] [--temporary-password P] [--suppress]
    userpool users delete|disable|enable|confirm|sign-out|reset-password USERNAME
    userpool users set-password USERNAME [--temporary]       # the password is read from stdin or a prompt

Against the sandbox (--dir, --identifier) or serve's database (--database-url); `--json` for scripts.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from userpool.cli.target import AppDir, AsJson, DatabaseUrl, Identifier, cli_actor, fail, open_target
from userpool.core.audit import Audit
from userpool.core.errors import CognitoError
from userpool.core.flows import admin, admin_users, groups, listing
from userpool.core.model import User
from userpool.service import AUDIT, UserPool

app = typer.Typer(help="Manage users: list, search, create, disable, reset, delete.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
Username = Annotated[str, typer.Argument(help="The user name (or the email/phone the user signs in with).")]
T = TypeVar("T")


def when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def user_json(user: User, user_groups: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Username": user.username,
        "Attributes": dict(user.attributes),
        "UserStatus": user.status.value,
        "Enabled": user.enabled,
        "UserCreateDate": when(user.created_at),
        "UserLastModifiedDate": when(user.updated_at),
    }
    if user_groups is not None:
        out["Groups"] = user_groups
    return out


@contextmanager
def admin_pool(app_dir: Path, identifier: str | None, database_url: str | None) -> Iterator[UserPool]:
    """The target pool; a refusal from a flow is printed as Cognito names it, and the command fails."""
    with open_target(app_dir, identifier, database_url) as pool:
        try:
            yield pool
        except CognitoError as err:
            raise fail(f"{err.code}: {err.message}") from None


def run(
    pool: UserPool, flow: Callable[..., T], audit: tuple[str, str, Mapping[str, object]] | None = None, **kwargs: Any
) -> T:
    """Run an admin flow on the target pool; `audit` (action, target, details) is the change's entry in the
    audit log, written with it in one unit of work, as the console's and the admin API's are."""
    entry = AUDIT.set(None if audit is None else Audit(cli_actor(), *audit))
    try:
        return pool.run(flow, user_pool_id=pool.config.pool_id, **kwargs)
    finally:
        AUDIT.reset(entry)


@app.command("list")
def list_users(
    filter_: Annotated[
        str | None, typer.Option("--filter", help='Cognito\'s filter: email ^= "ada", status = "Disabled", …')
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many users (pages through the pool).")] = 60,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """List users, or those a filter picks (see docs/admin.md for the filter syntax)."""
    found: list[User] = []
    token: str | None = None
    with admin_pool(app_dir, identifier, database_url) as pool:
        while len(found) < limit:
            page, token = run(
                pool,
                listing.list_users,
                filter=filter_,
                limit=min(60, limit - len(found)),
                pagination_token=token,
            )
            found += page
            if token is None:
                break
    if as_json:
        typer.echo(json.dumps([user_json(u) for u in found], indent=2, ensure_ascii=False))
        return
    if not found:
        console.print("No users." if not filter_ else "No user matches the filter.")
        return
    table = Table("Username", "Email", "Phone", "Status", "Enabled", "Created")
    for u in found:
        a = u.attributes
        table.add_row(
            u.username, a.get("email", ""), a.get("phone_number", ""), u.status.value, "yes" if u.enabled else "no",
            when(u.created_at),
        )  # fmt: skip
    console.print(table)
    if token is not None:
        console.print(f"More users follow: raise --limit (now {limit}) to see them.", style="yellow")


@app.command("get")
def get_user(
    username: Username,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """One user: attributes, status, groups and second factors."""
    with admin_pool(app_dir, identifier, database_url) as pool:
        view = run(pool, admin_users.get_user, username=username)
        member_of, _ = run(pool, groups.list_groups_for_user, username=username, limit=60)
    out = user_json(view.user, [g.name for g in member_of])
    out["MFA"] = {"Enabled": list(view.mfa.enabled), "Preferred": view.mfa.preferred}
    if as_json:
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    table = Table("Attribute", "Value", show_header=False)
    for key in ("Username", "UserStatus", "Enabled", "UserCreateDate", "UserLastModifiedDate"):
        table.add_row(key, str(out[key]))
    table.add_row("Groups", ", ".join(out["Groups"]) or "-")
    table.add_row("MFA", ", ".join(view.mfa.enabled) or "-")
    for name, value in view.user.attributes.items():
        table.add_row(name, value)
    console.print(table)


def _attributes(items: list[str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"--attribute takes name=value, got {item!r}", param_hint="'--attribute'")
        result[name] = value
    return result


@app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="The user name (an email or phone when those are user names).")],
    attribute: Annotated[
        list[str] | None, typer.Option("--attribute", "-a", help="name=value (repeatable), e.g. email=ada@example.com")
    ] = None,
    temporary_password: Annotated[
        str | None, typer.Option(help="The temporary password (default: a random one, sent in the invitation).")
    ] = None,
    suppress: Annotated[bool, typer.Option("--suppress", help="Send no invitation.")] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Invite an existing user again, with a new password.")
    ] = False,
    sms: Annotated[bool, typer.Option("--sms", help="Invite by SMS too (the user's phone_number).")] = False,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Create (invite) a user, as AdminCreateUser: FORCE_CHANGE_PASSWORD until they choose a password."""
    action = "SUPPRESS" if suppress else "RESEND" if resend else None
    with admin_pool(app_dir, identifier, database_url) as pool:
        user = run(
            pool,
            admin.create_user,
            (
                "user.create",
                f"user:{username}",
                {"attributes": sorted(_attributes(attribute)), "message_action": action or ""},
            ),
            username=username,
            attributes=_attributes(attribute),
            temporary_password=temporary_password,
            message_action=action,
            desired_delivery=("EMAIL", "SMS") if sms else ("EMAIL",),
        )
    if as_json:
        typer.echo(json.dumps(user_json(user), indent=2, ensure_ascii=False))
        return
    sent = "" if suppress else " and sent the invitation"
    console.print(f"Created user {user.username} ({user.status.value}){sent}.", markup=False)


def _simple(verb: str, action: str, flow: Callable[..., object], **extra: Any) -> Callable[..., None]:
    def command(
        username: Username,
        app_dir: AppDir = Path(),
        identifier: Identifier = None,
        database_url: DatabaseUrl = None,
    ) -> None:
        with admin_pool(app_dir, identifier, database_url) as pool:
            run(pool, flow, (action, f"user:{username}", {}), username=username, **extra)
        console.print(f"{verb} {username}.", markup=False)

    return command


app.command("disable", help="Disable the user: every session ends at once; sign-in is refused.")(
    _simple("Disabled", "user.disable", admin_users.set_enabled, enabled=False)
)
app.command("enable", help="Enable the user again.")(
    _simple("Enabled", "user.enable", admin_users.set_enabled, enabled=True)
)
app.command("confirm", help="Confirm an UNCONFIRMED user without a code (AdminConfirmSignUp).")(
    _simple("Confirmed", "user.confirm", admin_users.confirm_sign_up)
)
app.command("sign-out", help="End every session of the user (AdminUserGlobalSignOut).")(
    _simple("Signed out everywhere:", "user.sign_out_everywhere", admin_users.global_sign_out)
)
app.command("reset-password", help="Require a new password: the user gets a reset code (RESET_REQUIRED).")(
    _simple("Sent a password reset code to", "user.reset_password", admin_users.reset_user_password)
)


@app.command("delete")
def delete_user(
    username: Username,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Delete the user and everything of theirs (sessions, devices, MFA, group memberships)."""
    if not yes and not typer.confirm(f"Delete user {username}? This cannot be undone.", default=False):
        raise typer.Exit(1)
    with admin_pool(app_dir, identifier, database_url) as pool:
        run(pool, admin_users.delete_user, ("user.delete", f"user:{username}", {}), username=username)
    console.print(f"Deleted {username}.", markup=False)


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("New password: ")
    return sys.stdin.read().rstrip("\r\n")


@app.command("set-password")
def set_password(
    username: Username,
    temporary: Annotated[
        bool, typer.Option("--temporary", help="The user must choose a new one at the next sign-in.")
    ] = False,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set the user's password (read from a hidden prompt, or stdin), as AdminSetUserPassword."""
    password = _read_password()
    if not password:
        raise fail("The password is empty: nothing changed.")
    with admin_pool(app_dir, identifier, database_url) as pool:
        audit = ("user.set_password", f"user:{username}", {"permanent": not temporary})  # never the password
        user = run(
            pool, admin_users.set_user_password, audit, username=username, password=password, permanent=not temporary
        )
    console.print(f"Set the password of {username} ({user.status.value}).", markup=False)
