"""`userpool init`: the seed's starting files in an app folder, never overwriting what is there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)

RESOURCE = '''"""The auth backend: see https://docs.amplify.aws/ (defineAuth) — the same options, in snake_case."""

from userpool import define_auth

auth = define_auth(
    login_with={"email": True},
)
'''
BACKEND = '''"""The backend: userpool sandbox and userpool serve deploy what this names."""

from userpool import define_backend

from amplify.auth.resource import auth

backend = define_backend(auth=auth)
'''
GITIGNORE_LINES = (
    ".amplify/",
    "amplify_outputs.json",
    "amplify_outputs.py",
    "amplifyconfiguration.json",
    "amplifyconfiguration.py",
)


def init(app_dir: Annotated[Path, typer.Option("--dir", help="The app folder.")] = Path()) -> None:
    """Create amplify/auth/resource.py, amplify/backend.py and the .gitignore lines for the sandbox."""
    app_dir = app_dir.resolve()
    for relative, text in (("amplify/auth/resource.py", RESOURCE), ("amplify/backend.py", BACKEND)):
        path = app_dir / relative
        if path.exists():
            console.print(f"Kept {relative} (it exists)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        console.print(f"Created {relative}")
    gitignore = app_dir / ".gitignore"
    present = gitignore.read_text().splitlines() if gitignore.exists() else []
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if missing:
        prefix = "" if not present or present[-1] == "" else "\n"
        with gitignore.open("a") as fh:
            fh.write(prefix + "# userpool sandbox\n" + "\n".join(missing) + "\n")
        console.print(f"Added {', '.join(missing)} to .gitignore")
    console.print("Next: `userpool sandbox` deploys it on this machine and writes amplify_outputs.json.")
