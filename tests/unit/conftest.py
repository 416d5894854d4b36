from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.pool import PoolHarness, make_pool


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[PoolHarness]:
    h = make_pool(tmp_path)
    yield h
    h.store.close()


@pytest.fixture
def pool_with(tmp_path: Path) -> Iterator[Callable[..., PoolHarness]]:
    """Pools whose definition has the given triggers: `pool_with(login_with=…, **triggers)` (email sign-in
    unless `login_with` says otherwise)."""
    made: list[PoolHarness] = []

    def make(login_with: Any = None, **named: Any) -> PoolHarness:
        folder = tmp_path / str(len(made))
        folder.mkdir()
        h = make_pool(folder, login_with=login_with or {"email": True}, triggers=named)
        made.append(h)
        return h

    yield make
    for h in made:
        h.store.close()
