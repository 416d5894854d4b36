"""The definition examples in the README, docs/definition.md and docs/federation.md are valid definitions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from userpool.definition import AuthDefinition
from userpool.definition.compile import pool_config

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = [
    (doc, i, block)
    for doc in ("README.md", "docs/definition.md", "docs/federation.md")
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", (ROOT / doc).read_text(), re.DOTALL))
    if "define_auth(" in block and "auth = " in block
]


@pytest.mark.parametrize(("doc", "index", "block"), BLOCKS, ids=[f"{d}#{i}" for d, i, _ in BLOCKS])
def test_definition_examples_load_and_compile(doc: str, index: int, block: str) -> None:
    namespace: dict[str, object] = {}
    exec(compile(block, f"{doc}#{index}", "exec"), namespace)
    auth = namespace["auth"]
    assert isinstance(auth, AuthDefinition)
    pool_config(auth, pool_id="us-east-1_abcdefghi", region="us-east-1", issuer="http://x/us-east-1_abcdefghi")
