from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pool import PoolHarness, make_pool


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[PoolHarness]:
    h = make_pool(tmp_path)
    yield h
    h.store.close()
