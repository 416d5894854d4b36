"""Where the sandbox keeps its state: <app>/.amplify/userpool/<identifier>/ (database and master key)."""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from pathlib import Path


def default_identifier() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "sandbox"
    return re.sub(r"[^a-zA-Z0-9-]", "", name)[:15] or "sandbox"


@dataclass(frozen=True)
class SandboxPaths:
    app_dir: Path
    identifier: str

    @property
    def state_dir(self) -> Path:
        return self.app_dir / ".amplify" / "userpool" / self.identifier

    @property
    def database(self) -> Path:
        return self.state_dir / "pool.db"

    @property
    def master_key(self) -> Path:
        return self.state_dir / "master.key"

    @property
    def admin_key(self) -> Path:
        """The access key the first run made for the admin API, with its secret (0600)."""
        return self.state_dir / "admin-key.json"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"
