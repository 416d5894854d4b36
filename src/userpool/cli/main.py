"""Entry point of the `userpool` command."""

from __future__ import annotations

import typer

from userpool.cli import console, groups, init, keys, master_key, sandbox, serve, signing_keys, user_transfer, users

app = typer.Typer(
    help="userpool: Amplify Auth in Python, Cognito-compatible, runs anywhere.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(keys.app, name="keys")
users.app.command("export")(user_transfer.export_users)
users.app.command("import")(user_transfer.import_users)
app.add_typer(users.app, name="users")
app.add_typer(groups.app, name="groups")
app.add_typer(master_key.app, name="master-key")
app.add_typer(signing_keys.app, name="signing-keys")
app.command("serve")(serve.serve)
app.add_typer(console.app, name="console")
app.command("init")(init.init)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
