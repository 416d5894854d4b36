"""`userpool serve`: the same definition in production, on PostgreSQL, as many processes as you like.

Every process is stateless: users, sign-ins in progress, codes and keys live in the database, so processes
on several machines behind a load balancer serve one pool. Configuration comes from options or the
environment (USERPOOL_DATABASE_URL, USERPOOL_ENDPOINT, USERPOOL_MASTER_KEY, USERPOOL_TRUSTED_PROXIES,
USERPOOL_REDIS_URL), so worker processes read the same settings as the parent. Lockout and rate-limit
counters live in the database, or in Redis with --redis-url: either way every process shares them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from uvicorn.supervisors import Multiprocess

from userpool.bootstrap import DEFAULT_REGION
from userpool.cli.listen import listening_socket
from userpool.cli.serve_worker import create_app
from userpool.crypto.passwords import PROCESSES_ENV
from userpool.crypto.sealing import MASTER_KEY_ENV, master_key_from_env
from userpool.definition import DefinitionError

console = Console(highlight=False, soft_wrap=True)
WORKER_STARTUP_SECONDS = 60


def serve(
    database_url: Annotated[
        str | None,
        typer.Option(envvar="USERPOOL_DATABASE_URL", help="postgresql+psycopg://... or sqlite:///..."),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(envvar="USERPOOL_ENDPOINT", help="Public URL of this server (the token issuer's base)."),
    ] = None,
    app_dir: Annotated[Path, typer.Option("--dir", help="The app folder (holding amplify/).")] = Path(),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
    region: Annotated[str, typer.Option(envvar="USERPOOL_REGION")] = DEFAULT_REGION,
    secrets_file: Annotated[
        Path | None,
        typer.Option(envvar="USERPOOL_SECRETS_FILE", help="JSON or NAME=value lines; USERPOOL_SECRET_<NAME> wins."),
    ] = None,
    trusted_proxies: Annotated[
        str,
        typer.Option(
            envvar="USERPOOL_TRUSTED_PROXIES",
            help="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For names the client "
            "(for per-address rate limits). Default: none; the socket's peer is the client.",
        ),
    ] = "",
    redis_url: Annotated[
        str | None,
        typer.Option(envvar="USERPOOL_REDIS_URL", help="redis://... to keep lockout and rate-limit counters in Redis."),
    ] = None,
) -> None:
    """Serve the auth definition in production mode (no sandbox endpoints, master key from the environment)."""
    if master_key_from_env() is None:
        console.print(
            f"[red]Set {MASTER_KEY_ENV} to a base64 32-byte key (e.g. `openssl rand -base64 32`). "
            "Keep it out of the database and its backups: it seals every secret at rest.[/red]"
        )
        raise typer.Exit(2)
    os.environ.update(
        {
            "USERPOOL_APP_DIR": str(app_dir.resolve()),
            "USERPOOL_DATABASE_URL": database_url or "",
            "USERPOOL_ENDPOINT": endpoint or f"http://{host}:{port}",
            "USERPOOL_REGION": region,
            "USERPOOL_TRUSTED_PROXIES": trusted_proxies,
            "USERPOOL_REDIS_URL": redis_url or "",
            PROCESSES_ENV: str(max(1, workers)),  # the workers share the cores' argon2id slots
        }
    )
    if secrets_file is not None:
        os.environ["USERPOOL_SECRETS_FILE"] = str(secrets_file.resolve())
    try:
        # Deploy once here, before any worker starts, so workers only ever find the pool (never race to create it).
        senders = create_app().state.senders
    except DefinitionError as err:
        console.print(str(err), style="red", markup=False)
        raise typer.Exit(1) from None
    except SystemExit as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from None
    console.print(
        f"Serving on http://{host}:{port} with {workers} process(es); issuer base {os.environ['USERPOOL_ENDPOINT']}"
    )
    unsent = [name for name in ("email", "sms") if getattr(senders, name) is None]
    if unsent:
        console.print(
            f"No {' or '.join(unsent)} sender in the definition's `senders`: those messages are kept, sealed, in "
            "the store's outbox only, and nobody receives them.",
            style="yellow",
        )
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        console.print(f"Cannot listen on {host}:{port}: {exc.strerror}.", style="red")
        raise typer.Exit(1) from None
    config = uvicorn.Config(
        "userpool.cli.serve_worker:create_app",
        factory=True,
        workers=workers,
        log_level="warning",
        lifespan="off",
        # The client's address is ours to work out (api/client_address.py: X-Forwarded-For only from
        # --trusted-proxies); uvicorn's own rewrite would trust any loopback peer's header, and costs a layer.
        proxy_headers=False,
        # A worker answers the supervisor's pings only once it has imported the app; on a busy machine that
        # takes longer than uvicorn's 5 s, and the supervisor would kill and respawn workers forever.
        timeout_worker_healthcheck=WORKER_STARTUP_SECONDS,
    )
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
