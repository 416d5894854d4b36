"""The sandbox's development loop: watch the definition, and apply each saved change to the running pool.

A change is applied in an order that lets it fail without harm: load the definition, resolve its secrets,
build its senders, compile it, deploy it (the irreversible-change check runs before anything is written),
and only then swap the running pool's settings and courier — one request always sees one definition.
A change saved while a redeploy runs is picked up by the next round of the watch, so it queues exactly
one more redeploy.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from watchfiles import Change, DefaultFilter, watch

from userpool.bootstrap import config_for
from userpool.core.model import Message
from userpool.courier import Courier
from userpool.courier.delivery import courier_for
from userpool.courier.senders import SenderSettingsError
from userpool.definition import AuthDefinition, DefinitionError, load_definition
from userpool.definition.secrets import SandboxSecrets, resolve_secrets
from userpool.deploy import Deployment, deploy
from userpool.outputs import build_outputs, write_outputs
from userpool.service import UserPool


def prepare(
    app_dir: Path, identifier: str, echo: Callable[[Message], None]
) -> tuple[AuthDefinition, dict[str, str], Courier]:
    """Load the definition, resolve its secrets and build its senders; DefinitionError says what is wrong."""
    defn = load_definition(app_dir)
    secrets = resolve_secrets(defn, SandboxSecrets(app_dir, identifier))
    try:
        courier = courier_for(defn.senders, secrets, sandbox=True, echo=echo)
    except SenderSettingsError as err:
        raise DefinitionError([f"senders: {err}"], where=defn.source) from None
    return defn, secrets, courier


@dataclass
class DevLoop:
    pool: UserPool
    deployment: Deployment
    app_dir: Path
    identifier: str
    out_dir: Path
    endpoint: str
    version: str
    fmt: str
    console: Console
    echo: Callable[[Message], None]
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def redeploy(self) -> bool:
        """Apply the definition as saved now; False (and the pool untouched) when it cannot be applied."""
        with self._lock:
            t0 = time.perf_counter()
            try:
                defn, secrets, courier = prepare(self.app_dir, self.identifier, self.echo)
                config = config_for(defn, self.deployment, self.endpoint, secrets)  # compile before applying anything
                pool = self.pool
                self.deployment = deploy(pool.store, defn, region=config.region, clock=pool.clock, random=pool.random)
            except DefinitionError as err:
                self.console.print(str(err), style="red", markup=False)
                self.console.print("The sandbox keeps running the previous definition.", style="yellow")
                return False
            pool.config, pool.courier = config, courier
            outputs = build_outputs(defn, self.deployment, endpoint=self.endpoint, version=self.version)
            write_outputs(self.out_dir, outputs, fmt=self.fmt)
            self.console.print(f"[Sandbox] Deployed the change in {time.perf_counter() - t0:.2f} s.", style="green")
            return True


class WatchFilter(DefaultFilter):
    """Python files under the watched folder, minus `--exclude` globs and the outputs file itself (which
    would otherwise trigger a redeploy every time a redeploy writes it)."""

    def __init__(self, root: Path, exclude: list[str], outputs: Path) -> None:
        super().__init__()
        self.root, self.exclude, self.outputs = root, exclude, outputs.resolve()

    def __call__(self, change: Change, path: str) -> bool:
        p = Path(path)
        if not super().__call__(change, path) or p.suffix != ".py" or p.resolve() == self.outputs:
            return False
        relative = p.relative_to(self.root).as_posix() if p.is_relative_to(self.root) else p.as_posix()
        return not any(fnmatch.fnmatch(relative, g) or fnmatch.fnmatch(p.name, g) for g in self.exclude)


def watch_and_redeploy(loop: DevLoop, watched: Path, watch_filter: WatchFilter, stop: threading.Event) -> None:
    for changes in watch(watched, watch_filter=watch_filter, stop_event=stop, debounce=100, step=20):
        names = ", ".join(sorted({Path(p).name for _, p in changes}))
        loop.console.print(f"[Sandbox] Triggered due to a file change ({names})")
        loop.redeploy()
