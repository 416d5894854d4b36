"""`userpool master-key rotate`: every sealed secret moves to a new master key, the data still opens with
the new key alone, and nothing readable is left under the old one (sandbox layout and --database-url)."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from tests.support.pool import make_pool
from userpool.cli.main import app
from userpool.cli.paths import SandboxPaths
from userpool.core.flows import software_token
from userpool.crypto.sealing import Sealer, key_id, read_key_file, sealed_key_id, write_key_file
from userpool.store import open_store
from userpool.store.sql.reseal import SEALED, key_ids_in_use

OLD_KEY = bytes(range(32))  # tests/support/pool.py's master key
ADA = "ada@example.com"


def _populate(folder: Path) -> tuple[str, str]:
    """A pool with a user, a TOTP secret, signing keys, messages: (pool id, user sub)."""
    h = make_pool(folder, login_with={"email": True}, multifactor={"mode": "OPTIONAL", "totp": True})
    try:
        sub = h.confirmed_user(ADA)
        token = h.password_sign_in(ADA).access_token
        secret = h.pool.run(software_token.associate, access_token=token)
        h.pool.run(software_token.verify, access_token=token, code=pyotp.TOTP(secret).at(h.clock.now()), name="app")
        return h.pool.config.pool_id, sub
    finally:
        h.store.close()


def _sealed_values(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        values = []
        for spec in SEALED:
            query = f"SELECT {spec.column} FROM {spec.table.name} WHERE {spec.column} IS NOT NULL"
            values += [row[0] for row in conn.execute(query)]
    return values


def test_sandbox_rotation_reseals_everything_and_drops_the_old_key(tmp_path: Path) -> None:
    paths = SandboxPaths(tmp_path, "tester")
    paths.state_dir.mkdir(parents=True)
    pool_id, sub = _populate(paths.state_dir)
    write_key_file(paths.master_key, OLD_KEY)
    before = _sealed_values(paths.database)
    assert before and {sealed_key_id(v) for v in before} == {key_id(OLD_KEY)}

    result = CliRunner().invoke(app, ["master-key", "rotate", "--dir", str(tmp_path), "--identifier", "tester"])
    assert result.exit_code == 0, result.output
    assert "Nothing is sealed under any other key now." in result.output
    new_key = read_key_file(paths.master_key)
    assert new_key != OLD_KEY
    assert not paths.master_key.with_name("master.key.previous").exists()
    after = _sealed_values(paths.database)
    assert len(after) == len(before)
    assert {sealed_key_id(v) for v in after} == {key_id(new_key)}

    store = open_store(paths.database_url, Sealer(new_key))  # the new key alone opens everything
    try:
        with store.begin() as tx:
            user = tx.get_user(pool_id, sub)
            assert user is not None and user.srp_verifier
            mfa = tx.get_mfa(pool_id, sub)
            assert mfa is not None and mfa.totp_secret
            assert all(k.private_pem.startswith("-----BEGIN") for k in tx.list_signing_keys(pool_id))
            assert [m.code for m in tx.list_messages(pool_id) if m.code]
        assert key_ids_in_use(store.engine) == {key_id(new_key): len(after)}
    finally:
        store.close()


def test_an_interrupted_sandbox_rotation_is_finished_by_running_it_again(tmp_path: Path) -> None:
    paths = SandboxPaths(tmp_path, "tester")
    paths.state_dir.mkdir(parents=True)
    _populate(paths.state_dir)
    # As if the command stopped right after writing both key files, before re-sealing anything.
    new_key = bytes(range(100, 132))
    write_key_file(paths.master_key.with_name("master.key.previous"), OLD_KEY)
    write_key_file(paths.master_key, new_key)
    result = CliRunner().invoke(app, ["master-key", "rotate", "--dir", str(tmp_path), "--identifier", "tester"])
    assert result.exit_code == 0, result.output
    assert "Finishing the rotation" in result.output
    assert read_key_file(paths.master_key) == new_key
    assert {sealed_key_id(v) for v in _sealed_values(paths.database)} == {key_id(new_key)}


def test_database_rotation_takes_both_keys_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(tmp_path)
    url = f"sqlite:///{tmp_path / 'pool.db'}"
    monkeypatch.delenv("USERPOOL_MASTER_KEY_PREVIOUS", raising=False)
    monkeypatch.setenv("USERPOOL_MASTER_KEY", base64.b64encode(bytes(range(50, 82))).decode())
    refused = CliRunner().invoke(app, ["master-key", "rotate", "--database-url", url])
    assert refused.exit_code == 2
    assert "USERPOOL_MASTER_KEY_PREVIOUS" in refused.output
    monkeypatch.setenv("USERPOOL_MASTER_KEY_PREVIOUS", base64.b64encode(bytes(range(7, 39))).decode())
    wrong = CliRunner().invoke(app, ["master-key", "rotate", "--database-url", url])
    assert wrong.exit_code == 1
    assert "opens with neither key" in wrong.output
    monkeypatch.setenv("USERPOOL_MASTER_KEY_PREVIOUS", base64.b64encode(OLD_KEY).decode())
    done = CliRunner().invoke(app, ["master-key", "rotate", "--database-url", url])
    assert done.exit_code == 0, done.output
    assert {sealed_key_id(v) for v in _sealed_values(tmp_path / "pool.db")} == {key_id(bytes(range(50, 82)))}
