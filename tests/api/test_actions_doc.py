"""docs/cognito-actions.md lists every Cognito action and says truthfully which are supported."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_actions_table_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_actions_doc", ROOT / "scripts" / "gen_actions_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "cognito-actions.md").read_text() == module.render(), (
        "docs/cognito-actions.md is stale: run scripts/gen_actions_doc.py"
    )
