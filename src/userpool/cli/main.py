"""Entry point of the `userpool` command.

Each command's module is imported only when that command runs: `userpool serve` need not import the sandbox's
file watcher or the console's QR codes, and every import costs start-up time (the sandbox's "ready" target)
and, in a long-running process, memory. `userpool --help` imports them all, for their one-line help.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import typer
from typer.core import TyperGroup

# The commands in the order `--help` lists them: name -> how to register it on a Typer (importing its module).


def _sub_app(module: str) -> Callable[[typer.Typer, str], None]:
    def register(holder: typer.Typer, name: str) -> None:
        holder.add_typer(importlib.import_module(module).app, name=name)

    return register


def _function(module: str, function: str) -> Callable[[typer.Typer, str], None]:
    def register(holder: typer.Typer, name: str) -> None:
        holder.command(name)(getattr(importlib.import_module(module), function))

    return register


def _users(holder: typer.Typer, name: str) -> None:
    from userpool.cli import user_transfer, users

    users.app.registered_commands = [c for c in users.app.registered_commands if c.name not in ("export", "import")]
    users.app.command("export")(user_transfer.export_users)
    users.app.command("import")(user_transfer.import_users)
    holder.add_typer(users.app, name=name)


COMMANDS: dict[str, Callable[[typer.Typer, str], None]] = {
    "sandbox": _sub_app("userpool.cli.sandbox"),
    "keys": _sub_app("userpool.cli.keys"),
    "users": _users,
    "groups": _sub_app("userpool.cli.groups"),
    "master-key": _sub_app("userpool.cli.master_key"),
    "signing-keys": _sub_app("userpool.cli.signing_keys"),
    "serve": _function("userpool.cli.serve", "serve"),
    "console": _sub_app("userpool.cli.console"),
    "init": _function("userpool.cli.init", "init"),
}


class LazyGroup(TyperGroup):
    """The top-level group: a command is built from its module the first time it is asked for."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> typer.core.TyperCommand | TyperGroup | None:  # type: ignore[override]
        register = COMMANDS.get(cmd_name)
        if register is None:
            return None
        if cmd_name not in self.commands:
            # Built as `add_typer`/`command` on the app would build it, on a holder of its own.
            holder = typer.Typer(add_completion=False)
            holder.callback()(_group)
            register(holder, cmd_name)
            group = typer.main.get_command(holder)
            assert isinstance(group, TyperGroup)
            self.commands[cmd_name] = group.commands[cmd_name]
        return self.commands[cmd_name]  # type: ignore[return-value]


def _group() -> None:
    pass  # a callback with no options makes a Typer a group whatever it holds (lazily: nothing yet)


app = typer.Typer(
    cls=LazyGroup,
    help="userpool: Amplify Auth in Python, Cognito-compatible, runs anywhere.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(_group)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
