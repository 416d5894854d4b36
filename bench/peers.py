"""The peers, installed under bench/.peers/ (git-ignored), never into the project's environment.

`python -m bench.peers` installs both: moto's server mode into its own virtualenv (PyPI `moto[server]`)
and cognito-local with npm (`cognito-local`). A full benchmark run installs what is missing first.

What they skip, stated next to their figures (read from their sources, bench/.peers/…):
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from bench.servers import PEERS, cognito_local_script, moto_command

SHORTCUTS = {
    "moto": {
        "sign_up": "password kept in plaintext, no hashing",
        "confirm": "the code is not checked (any code confirms)",
        "password_sign_in": "plaintext password comparison; tokens signed with a fixed bundled key",
        "srp_sign_in": "SRP not checked: SRP_B and SALT are random UUIDs, any PASSWORD_CLAIM_SIGNATURE is accepted",
        "refresh": "InitiateAuth REFRESH_TOKEN_AUTH (no GetTokensFromRefreshToken)",
        "get_user": "",
    },
    "cognito-local": {
        "sign_up": "password kept in plaintext (JSON file per pool), no hashing",
        "confirm": "code from its CODE setting (fixed); checked against the stored one",
        "password_sign_in": "plaintext password comparison",
        "srp_sign_in": "no SRP: USER_SRP_AUTH is refused",
        "refresh": "InitiateAuth REFRESH_TOKEN_AUTH (no GetTokensFromRefreshToken)",
        "get_user": "",
    },
}


def install(log: Path | None = None) -> dict[str, str]:
    """Install what is missing; returns peer → "installed"/"present" or why it could not be."""
    PEERS.mkdir(parents=True, exist_ok=True)
    status: dict[str, str] = {}
    out = log.open("a") if log else None
    try:
        if moto_command() is None:
            venv = PEERS / "moto-venv"
            try:
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=out, stderr=out)
                pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "moto[server]"]
                subprocess.run(pip, check=True, stdout=out, stderr=out, timeout=900)
                status["moto"] = "installed"
            except (subprocess.SubprocessError, OSError) as exc:
                status["moto"] = f"install failed: {exc}"
        else:
            status["moto"] = "present"
        if cognito_local_script() is None:
            npm = shutil.which("npm")
            if npm is None:
                status["cognito-local"] = "npm not found"
            else:
                where = PEERS / "cognito-local"
                where.mkdir(exist_ok=True)
                if not (where / "package.json").exists():
                    (where / "package.json").write_text('{"name": "bench-peers", "private": true}\n')
                try:
                    subprocess.run([npm, "install", "--no-audit", "--no-fund", "cognito-local"], cwd=where,
                                   check=True, stdout=out, stderr=out, timeout=900)  # fmt: skip
                    status["cognito-local"] = "installed"
                except (subprocess.SubprocessError, OSError) as exc:
                    status["cognito-local"] = f"install failed: {exc}"
        else:
            status["cognito-local"] = "present"
    finally:
        if out:
            out.close()
    return status


if __name__ == "__main__":
    print(install())
