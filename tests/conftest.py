"""Fixtures shared by every tier. The `sandbox` fixture is a real `userpool sandbox` process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import Sandbox, start_sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One email-login sandbox for the whole run; tests keep apart by using unique emails."""
    box = start_sandbox(Path(tmp_path_factory.mktemp("app")))
    yield box
    box.stop()
