"""`userpool sandbox`: deploy the app's auth definition on this machine, serve it, redeploy on change."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from userpool.api.sandbox import message_json
from userpool.bootstrap import config_for, open_pool
from userpool.cli.listen import listening_socket
from userpool.cli.paths import SandboxPaths, default_identifier
from userpool.core.model import Message
from userpool.courier import SandboxCourier, describe
from userpool.crypto.sealing import Sealer, load_or_create_master_key
from userpool.definition import AuthDefinition, DefinitionError, load_definition
from userpool.deploy import Deployment, deploy
from userpool.outputs import DEFAULT_VERSION, VERSIONS, build_outputs, write_outputs
from userpool.server import build_app
from userpool.service import UserPool
from userpool.store import open_store
from userpool.web import hosted_routes

DEFAULT_PORT = 7429
console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(help="Run the auth backend on this machine: SQLite, no cloud account.")

AppDir = Annotated[Path, typer.Option("--dir", help="The app folder (holding amplify/).")]
Identifier = Annotated[str | None, typer.Option(help="Name of this sandbox (default: your user name).")]


def _echo_message(message: Message) -> None:
    console.print(f"[sandbox] {describe(message)}", markup=False, style="cyan")


def _bind(host: str, port: int) -> socket.socket:
    try:
        return listening_socket(host, port)
    except OSError as exc:
        console.print(f"Cannot listen on {host}:{port}: {exc.strerror}. Pick another with --port N.", style="red")
        raise typer.Exit(1) from None


def _load(app_dir: Path) -> AuthDefinition:
    try:
        return load_definition(app_dir)
    except DefinitionError as err:
        console.print(str(err), style="red", markup=False)
        raise typer.Exit(1) from None


class _Redeployer:
    """Applies a saved change to the running pool; a change during a redeploy queues one more."""

    def __init__(
        self,
        pool: UserPool,
        defn: AuthDefinition,
        deployment: Deployment,
        app_dir: Path,
        out_dir: Path,
        endpoint: str,
        version: str,
    ) -> None:
        self.pool, self.defn, self.deployment = pool, defn, deployment
        self.app_dir, self.out_dir, self.endpoint, self.version = app_dir, out_dir, endpoint, version
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            t0 = time.perf_counter()
            try:
                defn = load_definition(self.app_dir)
                if defn.name != self.defn.name:
                    raise DefinitionError(
                        [f"name: changed from {self.defn.name!r} to {defn.name!r}; a pool's name cannot change"],
                        where=defn.source,
                    )
                # Compile before applying anything: a definition that fails here changes nothing.
                config = config_for(defn, self.deployment, self.endpoint)
            except DefinitionError as err:
                console.print(str(err), style="red", markup=False)
                console.print("The sandbox keeps running the previous definition.", style="yellow")
                return
            pool = self.pool
            self.deployment = deploy(pool.store, defn, region=config.region, clock=pool.clock, random=pool.random)
            pool.config, self.defn = config, defn
            outputs = build_outputs(defn, self.deployment, endpoint=self.endpoint, version=self.version)
            write_outputs(self.out_dir, outputs)
            console.print(f"[Sandbox] Deployed the change in {time.perf_counter() - t0:.2f} s.", style="green")


def _watch(amplify_dir: Path, redeploy: _Redeployer, stop: threading.Event) -> None:
    from watchfiles import PythonFilter, watch

    for changes in watch(amplify_dir, watch_filter=PythonFilter(), stop_event=stop, debounce=100, step=20):
        names = ", ".join(sorted({Path(p).name for _, p in changes}))
        console.print(f"[Sandbox] Triggered due to a file change ({names})")
        redeploy()


@app.callback(invoke_without_command=True)
def sandbox(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    once: Annotated[bool, typer.Option("--once", help="Deploy, write the outputs, and exit.")] = False,
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    outputs_out_dir: Annotated[Path | None, typer.Option(help="Where to write amplify_outputs.json.")] = None,
    outputs_version: Annotated[str, typer.Option(help=f"One of {', '.join(VERSIONS)}.")] = DEFAULT_VERSION,
) -> None:
    """Deploy amplify/auth/resource.py locally, write amplify_outputs.json, and serve until Ctrl+C."""
    if ctx.invoked_subcommand is not None:
        return
    t0 = time.perf_counter()
    if outputs_version not in VERSIONS:
        console.print(f"[red]--outputs-version must be one of {', '.join(VERSIONS)}[/red]")
        raise typer.Exit(2)
    app_dir = app_dir.resolve()
    defn = _load(app_dir)
    paths = SandboxPaths(app_dir, identifier or default_identifier())
    sock = None if once else _bind(host, port)
    endpoint = f"http://{host}:{port}"
    master_key = load_or_create_master_key(paths.master_key)
    store = open_store(paths.database_url, Sealer(master_key))
    pool, deployment = open_pool(
        store, defn, endpoint=endpoint, master_key=master_key, courier=SandboxCourier(echo=_echo_message)
    )
    out_dir = (outputs_out_dir or app_dir).resolve()
    outputs = write_outputs(out_dir, build_outputs(defn, deployment, endpoint=endpoint, version=outputs_version))
    verb = "Created" if deployment.created else "Deployed"
    console.print(f"{verb} user pool [bold]{deployment.pool.id}[/bold] (app client {deployment.client.id})")
    console.print(f"Wrote {outputs}")
    if once or sock is None:
        store.close()
        return
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(pool, sandbox_mode=True, extra_routes=hosted_routes()),
            log_level="warning",
            lifespan="off",
        )
    )
    stop = threading.Event()
    redeployer = _Redeployer(pool, defn, deployment, app_dir, out_dir, endpoint, outputs_version)
    threading.Thread(target=_watch, args=(app_dir / "amplify", redeployer, stop), daemon=True).start()

    def announce() -> None:
        while not server.started and not stop.is_set():
            time.sleep(0.005)
        if server.started:
            console.print(f"Cognito endpoint:  [bold]{endpoint}[/bold]")
            console.print(f"Hosted sign-in:    [bold]{endpoint}/login?client_id={deployment.client.id}[/bold]")
            console.print(f"Sandbox messages:  {endpoint}/_sandbox/messages  (or `userpool sandbox messages`)")
            console.print(
                f"[green][Sandbox] Ready in {time.perf_counter() - t0:.2f} s. Watching for file changes... "
                "Press Ctrl+C to stop.[/green]"
            )

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
        store.close()
        console.print(f"Stopping the sandbox. The pool, its users and keys stay in {paths.state_dir}.")


@app.command("messages")
def messages(
    app_dir: AppDir = Path(),
    identifier: Identifier = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """Every email and SMS the sandbox sent, oldest first."""
    app_dir = app_dir.resolve()
    paths = SandboxPaths(app_dir, identifier or default_identifier())
    if not paths.database.exists():
        console.print(f"[red]No sandbox in {paths.state_dir}: run `userpool sandbox` first.[/red]")
        raise typer.Exit(1)
    defn = _load(app_dir)
    master_key = load_or_create_master_key(paths.master_key)
    store = open_store(paths.database_url, Sealer(master_key))
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
        code = f"  code: [bold]{m['code']}[/bold]" if m.get("code") else ""
        console.print(f"#{m['id']} {m['channel']} to {m['to']}: {m['body']}{code}", soft_wrap=True)
