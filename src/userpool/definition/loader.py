"""Finding and loading the definition in an app folder: amplify/backend.py, else amplify/auth/resource.py."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from userpool.definition.define import Backend
from userpool.definition.errors import DefinitionError
from userpool.definition.models import AuthDefinition

RESOURCE = Path("amplify/auth/resource.py")
BACKEND = Path("amplify/backend.py")


def _forget_app_modules() -> None:
    # A reload must see the files as they are now, not as the last load imported them.
    for name in [n for n in sys.modules if n == "amplify" or n.startswith("amplify.")]:
        del sys.modules[name]


def _import(app_dir: Path, relative: Path) -> ModuleType:
    module_name = ".".join(relative.with_suffix("").parts)
    path = app_dir / relative
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise DefinitionError([f"cannot import {path}"])
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except DefinitionError:
        raise
    except SyntaxError as exc:
        raise DefinitionError([f"syntax error: {exc.msg}"], where=f"{relative}:{exc.lineno}") from None
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(str(app_dir))]
        where = f"{Path(frames[-1].filename).relative_to(app_dir)}:{frames[-1].lineno}" if frames else str(relative)
        raise DefinitionError([f"{type(exc).__name__}: {exc}"], where=where) from None
    return module


def load_definition(app_dir: Path) -> AuthDefinition:
    """The app's auth definition. Raises DefinitionError saying what is missing or wrong, and where."""
    app_dir = app_dir.resolve()
    if not (app_dir / RESOURCE).exists() and not (app_dir / BACKEND).exists():
        raise DefinitionError(
            [
                f"no {RESOURCE} in {app_dir}: create it with `auth = define_auth(login_with={{'email': True}})`, "
                "or run `userpool init`"
            ]
        )
    _forget_app_modules()
    added = str(app_dir) not in sys.path
    if added:
        sys.path.insert(0, str(app_dir))  # so backend.py can `from amplify.auth.resource import auth`
    try:
        if (app_dir / BACKEND).exists():
            backend = getattr(_import(app_dir, BACKEND), "backend", None)
            if isinstance(backend, Backend):
                return backend.auth
            if backend is not None:
                raise DefinitionError([f"{BACKEND}: `backend` must be define_backend(auth=auth)"])
        if not (app_dir / RESOURCE).exists():
            raise DefinitionError(
                [f"{BACKEND} defines no `backend = define_backend(auth=auth)` and {RESOURCE} is missing"]
            )
        auth = getattr(_import(app_dir, RESOURCE), "auth", None)
        if not isinstance(auth, AuthDefinition):
            raise DefinitionError([f"{RESOURCE} must assign `auth = define_auth(...)`"])
        return auth
    finally:
        if added:
            sys.path.remove(str(app_dir))
        _forget_app_modules()
