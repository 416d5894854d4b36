"""`secret("NAME")`: a reference to a value kept outside the definition, resolved at deploy.

As in Amplify, `secret()` does not read the value: the definition names it, and the deploy resolves it —
from the sandbox's secret store (`userpool sandbox secret set NAME`) or, under `serve`, from the
environment or a secrets file. A value never appears in the definition, its outputs or its logs.

    defn = load_definition(app_dir)
    values = resolve_secrets(defn, SandboxSecrets(app_dir, "alice"))  # DefinitionError naming what is missing

Two sources implement `SecretSource`:

- `SandboxSecrets`: one JSON file per app and sandbox identifier under the per-user config directory
  (`$USERPOOL_CONFIG_DIR`, else `$XDG_CONFIG_HOME/userpool`, else `~/.config/userpool`), at
  `sandbox-secrets/<app folder name>-<hash10 of its absolute path>/<identifier>.json`, directories 0700 and
  the file 0600. The file is `{"app_dir": ..., "identifier": ..., "secrets": {NAME: {"value", "version",
  "last_updated"}}}`; each `set` bumps the version, as Amplify's SSM parameters do.
- `EnvironmentSecrets` (`userpool serve`): `USERPOOL_SECRET_<NAME>` (upper-cased, every character other
  than a letter or digit turned into `_`), else the secrets file: JSON (`{"NAME": "value"}`) when the file
  ends in `.json` or its content starts with `{`, otherwise dotenv lines (`NAME=value`, optional `export `,
  optional matching quotes around the value, `#` comment lines; no inline comments, no escapes).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from pydantic import BaseModel

from userpool.definition.errors import DefinitionError

if TYPE_CHECKING:
    from userpool.definition.models import AuthDefinition

__all__ = [
    "CONFIG_DIR_ENV",
    "ENV_PREFIX",
    "NAME",
    "EnvironmentSecrets",
    "SandboxSecrets",
    "Secret",
    "SecretRecord",
    "SecretSource",
    "SecretStoreError",
    "default_config_dir",
    "env_var_for",
    "read_secrets_file",
    "referenced_secrets",
    "resolve_secrets",
    "secret",
]

NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")  # Amplify's secret-name rule
CONFIG_DIR_ENV = "USERPOOL_CONFIG_DIR"
ENV_PREFIX = "USERPOOL_SECRET_"
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a safe file name
_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class Secret:
    """A named secret; its value is looked up when the definition is deployed."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise ValueError(f"secret names are 1-128 letters, digits, '_', '.' or '-', got {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return f"secret({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("secret", self.name))


def secret(name: str) -> Secret:
    """`client_secret=secret("GOOGLE_CLIENT_SECRET")`: the value comes from the secret store at deploy."""
    return Secret(name)


class SecretSource(Protocol):
    """Where a deploy looks secrets up: the sandbox's store, or the environment under `serve`."""

    def get(self, name: str) -> str | None: ...

    def how_to_set(self, name: str) -> str:
        """The command or setting that provides `name`, for the error when it is missing."""
        ...


class SecretStoreError(ValueError):
    """A secret store or secrets file that cannot be read or written; the message says which and why."""


# -- what a definition references, and resolving it ------------------------------------------------------


def _walk(value: Any, path: str, found: dict[str, list[str]]) -> None:
    if isinstance(value, Secret):
        found.setdefault(value.name, []).append(path)
    elif isinstance(value, BaseModel):
        for field in type(value).model_fields:
            _walk(getattr(value, field), f"{path}.{field}" if path else field, found)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]", found)
    elif isinstance(value, dict):
        for key, item in value.items():
            text = str(key)
            _walk(item, f"{path}.{text}" if _KEY.fullmatch(text) else f"{path}[{text!r}]", found)


def referenced_secrets(defn: AuthDefinition) -> dict[str, list[str]]:
    """Every secret the definition names → the option paths using it, in definition order.

    `{"GOOGLE_CLIENT_SECRET": ["login_with.external_providers.google.client_secret"]}`; list items are
    `oidc[0]`, mapping keys `senders.sms.headers.Authorization`.
    """
    found: dict[str, list[str]] = {}
    _walk(defn, "", found)
    return found


def resolve_secrets(defn: AuthDefinition, source: SecretSource) -> dict[str, str]:
    """The value of every secret the definition names. An empty value counts as missing.

    Raises DefinitionError (where: the `define_auth` call) with one line per missing secret, naming the
    options that use it and how to set it.
    """
    values: dict[str, str] = {}
    problems: list[str] = []
    for name, paths in referenced_secrets(defn).items():
        value = source.get(name)
        if value:
            values[name] = value
        else:
            problems.append(f"{', '.join(paths)}: secret {name!r} is not set; {source.how_to_set(name)}")
    if problems:
        raise DefinitionError(problems, where=defn.source)
    return values


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(f"secret names are 1-128 letters, digits, '_', '.' or '-', got {name!r}")
    return name


# -- the sandbox's store ---------------------------------------------------------------------------------


def default_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """userpool's per-user config directory: $USERPOOL_CONFIG_DIR, $XDG_CONFIG_HOME/userpool, ~/.config/userpool."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_DIR_ENV):
        return Path(env[CONFIG_DIR_ENV]).expanduser()
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]).expanduser() / "userpool"
    return Path.home() / ".config" / "userpool"


class SecretRecord(TypedDict):
    name: str
    version: int
    value: str
    last_updated: str


def _is_record(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("value"), str)
        and isinstance(record.get("version"), int)
        and isinstance(record.get("last_updated"), str)
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SandboxSecrets:
    """The secrets of one sandbox (app folder + identifier), outside the project folder, readable by you only."""

    def __init__(
        self,
        app_dir: Path,
        identifier: str,
        *,
        config_dir: Path | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        if not _IDENTIFIER.fullmatch(identifier):
            raise ValueError(f"sandbox identifiers are letters, digits, '.', '_' or '-', got {identifier!r}")
        self.app_dir = app_dir.resolve()
        self.identifier = identifier
        self._now = now
        root = config_dir if config_dir is not None else default_config_dir()
        folder = re.sub(r"[^A-Za-z0-9._-]", "_", self.app_dir.name)[:40].lstrip(".") or "app"
        digest = hashlib.sha256(str(self.app_dir).encode()).hexdigest()[:10]
        self.root = root.expanduser().resolve()
        self.path = self.root / "sandbox-secrets" / f"{folder}-{digest}" / f"{identifier}.json"

    # reading

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SecretStoreError(f"cannot read the secret store {self.path}: {exc}") from None
        secrets = data.get("secrets") if isinstance(data, dict) else None
        if not isinstance(secrets, dict) or not all(_is_record(r) for r in secrets.values()):
            raise SecretStoreError(f"the secret store {self.path} is not a userpool secrets file")
        return secrets

    def get(self, name: str) -> str | None:
        record = self._load().get(_check_name(name))
        return str(record["value"]) if record else None

    def describe(self, name: str) -> SecretRecord | None:
        record = self._load().get(_check_name(name))
        if not record:
            return None
        return SecretRecord(
            name=name,
            version=int(record["version"]),
            value=str(record["value"]),
            last_updated=str(record["last_updated"]),
        )

    def names(self) -> list[str]:
        return sorted(self._load())

    # writing

    def set(self, name: str, value: str) -> int:
        """Store a new version of `name`; returns its version number (1 for a new secret)."""
        _check_name(name)
        if not isinstance(value, str) or not value:
            raise ValueError("a secret's value cannot be empty")
        secrets = self._load()
        version = int(secrets.get(name, {}).get("version", 0)) + 1
        stamp = self._now().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        secrets[name] = {"value": value, "version": version, "last_updated": stamp}
        self._save(secrets)
        return version

    def remove(self, name: str) -> bool:
        secrets = self._load()
        if secrets.pop(_check_name(name), None) is None:
            return False
        self._save(secrets)
        return True

    def remove_all(self) -> int:
        count = len(self._load())
        self.path.unlink(missing_ok=True)
        return count

    def how_to_set(self, name: str) -> str:
        command = f"userpool sandbox secret set {name} --identifier {self.identifier}"
        if self.app_dir != Path.cwd().resolve():
            command += f" --dir {_shell_path(self.app_dir)}"
        return f"run `{command}`"

    def _private_dirs(self) -> None:
        """Create (0700) or fix the directories from the config root down to this app's folder."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for directory in (self.path.parent.parent, self.path.parent):
            directory.mkdir(mode=0o700, exist_ok=True)
        for directory in (self.root, self.path.parent.parent, self.path.parent):
            if directory.stat().st_mode & 0o777 != 0o700:
                os.chmod(directory, 0o700)

    def _save(self, secrets: dict[str, dict[str, Any]]) -> None:
        try:
            self._write(secrets)
        except OSError as exc:
            raise SecretStoreError(f"cannot write the secret store {self.path}: {exc.strerror or exc}") from None

    def _write(self, secrets: dict[str, dict[str, Any]]) -> None:
        self._private_dirs()
        data = {"app_dir": str(self.app_dir), "identifier": self.identifier, "secrets": secrets}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                os.chmod(tmp, 0o600)  # mkstemp makes it 0600 already; say so regardless of platform
                json.dump(data, f, indent=2, sort_keys=True)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if self.path.stat().st_mode & 0o777 != 0o600:
            os.chmod(self.path, 0o600)


def _shell_path(path: Path) -> str:
    try:
        text = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        text = str(path)
    return text if re.fullmatch(r"[\w./:-]+", text) else "'" + text.replace("'", "'\\''") + "'"


# -- serve: the environment and a secrets file -----------------------------------------------------------


def env_var_for(name: str) -> str:
    """`GOOGLE_CLIENT_SECRET` → `USERPOOL_SECRET_GOOGLE_CLIENT_SECRET`; `smtp.password` → `..._SMTP_PASSWORD`."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", _check_name(name)).upper()


def _parse_dotenv(text: str, path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not NAME.fullmatch(key):
            # The line is not echoed: it may hold a value.
            raise SecretStoreError(f"{path}:{number}: expected NAME=value with a secret name (letters, digits, _ . -)")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _parse_json(text: str, path: Path) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:  # the message quotes no content, only where
        raise SecretStoreError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise SecretStoreError(f"{path}: expected a JSON object of secret names to string values")
    for key, value in data.items():
        if not NAME.fullmatch(key) or not isinstance(value, str):
            raise SecretStoreError(f"{path}: {key!r} must be a secret name with a string value")
    return data


def read_secrets_file(path: Path) -> dict[str, str]:
    """A secrets file: JSON when it ends in .json or starts with `{`, otherwise dotenv lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretStoreError(f"cannot read the secrets file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SecretStoreError(f"the secrets file {path} is not UTF-8 text") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _parse_json(text, path)
    return _parse_dotenv(text, path)


class EnvironmentSecrets:
    """`userpool serve`'s secrets: `USERPOOL_SECRET_<NAME>` first, then the secrets file (read once, here)."""

    def __init__(self, environ: Mapping[str, str] | None = None, *, secrets_file: Path | None = None) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.secrets_file = secrets_file
        self._file = read_secrets_file(secrets_file) if secrets_file is not None else {}

    def get(self, name: str) -> str | None:
        return self.environ.get(env_var_for(name)) or self._file.get(name) or None

    def how_to_set(self, name: str) -> str:
        where = (
            f"add {name}=... to the secrets file {self.secrets_file}"
            if self.secrets_file is not None
            else "put it in a secrets file (--secrets-file PATH or USERPOOL_SECRETS_FILE)"
        )
        return f"set the environment variable {env_var_for(name)}, or {where}"
