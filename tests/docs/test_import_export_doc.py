"""The JSON Lines examples in docs/import-export.md are lines `userpool users import` accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from userpool.cli.user_transfer import FirebaseParams
from userpool.core.user_records import parse_record
from userpool.crypto.passwords import Argon2Hasher
from userpool.definition import define_auth
from userpool.definition.compile import pool_config

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "import-export.md").read_text()
LINES = [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", DOC, re.DOTALL)]
FIREBASE = FirebaseParams(
    "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", "Bw==", 8, 14
)


@pytest.mark.parametrize("line", LINES, ids=[str(i) for i in range(len(LINES))])
def test_doc_examples_import(line: dict[str, object]) -> None:
    auth = define_auth(
        login_with={"email": True},
        groups=["ADMINS"],
        multifactor={"mode": "OPTIONAL", "totp": True},
        user_attributes={"custom:team": {"data_type": "String"}},
    )
    pool = pool_config(auth, pool_id="us-east-1_AbCdEfGhI", region="us-east-1", issuer="http://x/us-east-1_AbCdEfGhI")
    hasher = Argon2Hasher(memory_cost=1024, time_cost=1)
    record = FIREBASE.apply(dict(line)) if "password_salt" in line else line
    imported = parse_record(pool, record, new_sub="00000000-0000-4000-8000-000000000001", now=0.0, scheme=hasher.scheme)
    assert imported.user.attributes.get("email")
    assert imported.user.password_hash is not None
    if "firebase" in str(imported.user.password_hash):
        assert hasher.verify(imported.user.password_hash, "user1password")


def test_the_doc_has_examples() -> None:
    assert len(LINES) == 3
