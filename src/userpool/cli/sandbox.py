"""`userpool sandbox`: deploy the app's auth definition on this machine, serve it, redeploy on change.

Also `sandbox messages` (the outbox), `sandbox delete` (start over) and `sandbox secret …` (cli/secret.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn
from rich.console import Console

from userpool.api.sandbox import message_json
from userpool.bootstrap import open_pool
from userpool.cli import secret
from userpool.cli.devloop import DevLoop, WatchFilter, prepare, watch_and_redeploy
from userpool.cli.listen import listening_socket
from userpool.cli.paths import SandboxPaths, default_identifier
from userpool.core.flows import access_keys
from userpool.core.model import Message
from userpool.courier import describe
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import load_or_create_master_key, sandbox_sealer
from userpool.definition import AuthDefinition, DefinitionError, load_definition
from userpool.outputs import DEFAULT_FORMAT, DEFAULT_VERSION, FORMATS, VERSIONS, build_outputs, filename, write_outputs
from userpool.server import build_app
from userpool.service import UserPool
from userpool.store import open_store
from userpool.web import hosted_routes

if TYPE_CHECKING:
    from userpool.cli.tls import LocalTls

DEFAULT_PORT = 7429
IDENTIFIER = re.compile(r"^[a-zA-Z0-9-]{1,15}$")  # ampx sandbox's rule
console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(help="Run the auth backend on this machine: SQLite, no cloud account.")
app.add_typer(secret.app, name="secret")

AppDir = Annotated[Path, typer.Option("--dir", help="The app folder (holding amplify/).")]
Identifier = Annotated[str | None, typer.Option(help="Name of this sandbox (default: your user name).")]


def _echo_message(message: Message) -> None:
    console.print(f"[sandbox] {describe(message)}", markup=False, style="cyan")


def _fail(text: str, code: int = 1) -> typer.Exit:
    console.print(text, style="red", markup=False)
    return typer.Exit(code)


def _paths(app_dir: Path, identifier: str | None) -> SandboxPaths:
    name = identifier or default_identifier()
    if not IDENTIFIER.fullmatch(name):
        raise _fail(f"--identifier must be 1-15 letters, digits or '-', got {name!r}", 2)
    return SandboxPaths(app_dir.resolve(), name)


def _bind(host: str, port: int) -> socket.socket:
    try:
        return listening_socket(host, port)
    except OSError as exc:
        raise _fail(f"Cannot listen on {host}:{port}: {exc.strerror}. Pick another with --port N.") from None


def _running_pid(paths: SandboxPaths) -> int | None:
    """The pid of a sandbox serving this state directory, if one is running."""
    try:
        pid = int((paths.state_dir / "sandbox.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


@app.callback(invoke_without_command=True)
def sandbox(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    once: Annotated[bool, typer.Option("--once", help="Deploy, write the outputs, and exit.")] = False,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    dir_to_watch: Annotated[Path | None, typer.Option(help="Folder to watch (default: <dir>/amplify).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob of files not to watch (repeatable).")] = None,
    outputs_out_dir: Annotated[Path | None, typer.Option(help="Where to write the outputs (default: <dir>).")] = None,
    outputs_version: Annotated[
        str, typer.Option(help=f"One of {', '.join(VERSIONS)}; 0 writes the legacy amplifyconfiguration.json.")
    ] = DEFAULT_VERSION,
    outputs_format: Annotated[
        str, typer.Option(help=f"One of {', '.join(FORMATS)}; py writes a Python module (amplify_outputs.py).")
    ] = DEFAULT_FORMAT,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls",
            help="Serve https with a locally made certificate (Amplify's signInWithRedirect needs https; "
            "trust the printed ca.pem once).",
        ),
    ] = False,
) -> None:
    """Deploy amplify/auth/resource.py locally, write amplify_outputs.json, and serve until Ctrl+C."""
    if ctx.invoked_subcommand is not None:
        return
    t0 = time.perf_counter()
    if outputs_version not in VERSIONS:
        raise _fail(f"--outputs-version must be one of {', '.join(VERSIONS)}", 2)
    if outputs_format not in FORMATS:
        raise _fail(f"--outputs-format must be one of {', '.join(FORMATS)}", 2)
    paths = _paths(app_dir, identifier)
    watched = (dir_to_watch or paths.app_dir / "amplify").resolve()
    if not once and not watched.is_dir():
        raise _fail(f"--dir-to-watch {watched} is not a folder")
    try:
        defn, secrets, courier = prepare(paths.app_dir, paths.identifier, _echo_message)
    except DefinitionError as err:
        raise _fail(str(err)) from None
    if not once and (pid := _running_pid(paths)) is not None:
        raise _fail(f"A sandbox (pid {pid}) is already serving {paths.state_dir}; stop it first.")
    sock = None if once else _bind(host, port)
    endpoint = f"{'https' if tls else 'http'}://{host}:{port}"
    master_key = load_or_create_master_key(paths.master_key)
    store = open_store(paths.database_url, sandbox_sealer(paths.master_key))
    try:
        # One password hash at a time: a sandbox serves one developer, and each slot is 19 MiB kept.
        hasher = Argon2Hasher(slots=1)
        pool, deployment = open_pool(
            store, defn, endpoint=endpoint, master_key=master_key, courier=courier, secrets=secrets, hasher=hasher
        )
    except DefinitionError as err:
        store.close()
        raise _fail(str(err)) from None
    out_dir = (outputs_out_dir or paths.app_dir).resolve()
    outputs = build_outputs(defn, deployment, endpoint=endpoint, version=outputs_version)
    written = write_outputs(out_dir, outputs, fmt=outputs_format)
    verb = "Created" if deployment.created else "Deployed"
    console.print(f"{verb} user pool [bold]{deployment.pool.id}[/bold] (app client {deployment.client.id})")
    console.print(f"Wrote {written}")
    _admin_key(pool, paths, endpoint)
    if once or sock is None:
        store.close()
        return
    loop = DevLoop(
        pool,
        deployment,
        paths.app_dir,
        paths.identifier,
        out_dir,
        endpoint,
        outputs_version,
        outputs_format,
        console,
        _echo_message,
    )
    certificate = None
    if tls:
        from userpool.cli.tls import local_tls  # here: its X.509 machinery is for --tls only

        certificate = local_tls(paths.state_dir, host)
    _serve(loop, sock, watched, WatchFilter(watched, exclude or [], written), paths, t0, certificate)


def _admin_key(pool: UserPool, paths: SandboxPaths, endpoint: str) -> None:
    """The sandbox's access key for the admin API: made on the first run, its secret written (0600) to
    admin-key.json next to the master key — the secret cannot be read back from the store — and shown."""
    path = paths.admin_key
    keys = {k.id: k for k in pool.run(access_keys.list_keys)}
    saved: dict[str, str] = {}
    if path.exists():
        try:
            saved = json.loads(path.read_text())
        except ValueError:
            saved = {}
    if saved.get("AccessKeyId") in keys:
        console.print(f"Admin API key:     {saved['AccessKeyId']}  (secret in {path})", markup=False)
        return
    if keys:
        console.print(f"Admin API keys:    {len(keys)} (`userpool keys list`; `userpool keys create` makes another)")
        return
    key = pool.run(access_keys.create_key, description="made by the sandbox's first run")
    region = pool.config.region
    body = {"AccessKeyId": key.id, "SecretAccessKey": key.secret, "Region": region, "Endpoint": endpoint}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({**body, "UserPoolId": pool.config.pool_id}, fh, indent=2)
    console.print(f"Created an access key for the admin API; its secret is in {path} (only you can read it).")
    console.print("Use it with boto3 (or any AWS SDK, or the AWS CLI):", style="bold")
    snippet = (
        "    import boto3\n"
        f'    cognito = boto3.client("cognito-idp", endpoint_url="{endpoint}", region_name="{region}",\n'
        f'                           aws_access_key_id="{key.id}", aws_secret_access_key="{key.secret}")\n'
        f'    cognito.list_users(UserPoolId="{pool.config.pool_id}")'
    )
    console.print(snippet, markup=False)


def _serve(
    loop: DevLoop,
    sock: socket.socket,
    watched: Path,
    watch_filter: WatchFilter,
    paths: SandboxPaths,
    t0: float,
    tls: LocalTls | None = None,
) -> None:
    pool, endpoint = loop.pool, loop.endpoint
    app_ = build_app(pool, sandbox_mode=True, extra_routes=hosted_routes())
    server = uvicorn.Server(
        uvicorn.Config(
            app_,
            log_level="warning",
            lifespan="off",
            proxy_headers=False,  # the client's address is ours to work out: see cli/serve.py
            ssl_certfile=str(tls.cert) if tls else None,
            ssl_keyfile=str(tls.key) if tls else None,
        )
    )
    stop = threading.Event()
    threading.Thread(target=watch_and_redeploy, args=(loop, watched, watch_filter, stop), daemon=True).start()
    pid_file = paths.state_dir / "sandbox.pid"
    pid_file.write_text(str(os.getpid()))

    def announce() -> None:
        while not server.started and not stop.is_set():
            time.sleep(0.005)
        if server.started:
            console.print(f"Cognito endpoint:  [bold]{endpoint}[/bold]")
            console.print(f"Hosted sign-in:    [bold]{endpoint}/login?client_id={pool.default_client_id}[/bold]")
            console.print(f"Sandbox messages:  {endpoint}/_sandbox/messages  (or `userpool sandbox messages`)")
            if tls is not None:
                console.print(f"TLS certificate authority to trust: {tls.ca}  (docs/federation.md: how)")
            console.print(
                f"[Sandbox] Ready in {time.perf_counter() - t0:.2f} s. Watching {watched} for file changes... "
                "Press Ctrl+C to stop.",
                style="green",
            )

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
        pool.store.close()
        pid_file.unlink(missing_ok=True)
        console.print(
            f"Stopping the sandbox. The pool, its users and keys stay in {paths.state_dir}; "
            "`userpool sandbox delete` wipes them."
        )


def _load(app_dir: Path) -> AuthDefinition:
    try:
        return load_definition(app_dir)
    except DefinitionError as err:
        raise _fail(str(err)) from None


@app.command("messages")
def messages(
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """Every email and SMS the sandbox sent, oldest first."""
    paths = _paths(app_dir, identifier)
    if not paths.database.exists():
        raise _fail(f"No sandbox in {paths.state_dir}: run `userpool sandbox` first.")
    defn = _load(paths.app_dir)
    store = open_store(paths.database_url, sandbox_sealer(paths.master_key))
    try:
        with store.begin() as tx:
            pool = next((p for p in tx.list_pools() if p.name == defn.name), None)
            found = [] if pool is None else [message_json(m) for m in tx.list_messages(pool.id)]
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    if not found:
        console.print("No messages yet.")
    for m in found:
        code = f"  code: {m['code']}" if m.get("code") else ""
        console.print(f"#{m['id']} {m['channel']} to {m['to']}: {m['body']}{code}", markup=False)


@app.command("clients")
def clients(
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Print client secrets too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """The pool's app clients: the default one and the definition's `clients`."""
    paths = _paths(app_dir, identifier)
    if not paths.database.exists():
        raise _fail(f"No sandbox in {paths.state_dir}: run `userpool sandbox` first.")
    defn = _load(paths.app_dir)
    store = open_store(paths.database_url, sandbox_sealer(paths.master_key))
    try:
        with store.begin() as tx:
            pool = next((p for p in tx.list_pools() if p.name == defn.name), None)
            found = [] if pool is None else list(tx.list_clients(pool.id))
    finally:
        store.close()
    rows: list[dict[str, Any]] = [
        {
            "name": c.name,
            "client_id": c.id,
            "auth_flows": list(c.explicit_auth_flows),
            "secret": (c.secret if show_secrets else "(hidden: --show-secrets)") if c.secret else None,
        }
        for c in found
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        secret = f"  secret: {row['secret']}" if row["secret"] else ""
        console.print(f"{row['name']}: {row['client_id']}  ({', '.join(row['auth_flows'])}){secret}", markup=False)


@app.command("delete")
def delete(
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the sandbox's user pool: its users, keys and settings (secrets are kept)."""
    paths = _paths(app_dir, identifier)
    if not paths.state_dir.exists():
        console.print(f"Nothing to delete: there is no sandbox in {paths.state_dir}.")
        return
    if (pid := _running_pid(paths)) is not None:
        raise _fail(f"The sandbox (pid {pid}) is running: stop it (Ctrl+C) before deleting it.")
    question = "Are you sure you want to delete all the resources in your sandbox environment (This can't be undone)?"
    if not yes and not typer.confirm(question, default=False):
        raise typer.Exit(1)
    shutil.rmtree(paths.state_dir)
    for name in {filename(v, f) for v in VERSIONS for f in FORMATS}:
        (paths.app_dir / name).unlink(missing_ok=True)
    console.print(f"Deleted the sandbox in {paths.state_dir}. The next `userpool sandbox` starts a new pool.")
