"""Migrations: idempotent, one head, reversible, and in step with `tables.py`, on each backend."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from userpool.core.store import UserQuery
from userpool.store.sql import migrate, tables
from userpool.store.sql.engine import alembic_config, head_revision
from userpool.store.sql.tables import metadata

from . import records as r

if TYPE_CHECKING:
    from .conftest import Backend


HEAD = "0010"


def _revision(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def test_one_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD]


def test_opening_twice_is_idempotent_and_keeps_data(backend: Backend) -> None:
    first = backend.open()
    with first.begin() as tx:
        tx.insert_user(r.user("sub-1", "email:ada@example.com"))
    second = backend.open()  # migrates again while the first store is still open
    first.close()
    with second.begin() as tx:
        assert tx.find_user(r.POOL, "email:ada@example.com") == r.user("sub-1", "email:ada@example.com")
    with second.engine.connect() as conn:
        assert _revision(conn) == HEAD


def test_migrated_schema_matches_tables_py(backend: Backend) -> None:
    store = backend.open()
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_schema_enforces_foreign_keys(backend: Backend) -> None:
    store = backend.open()
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO user_logins (pool_id, login_key, user_sub) VALUES ('p', 'k', 'nobody')"))


def test_downgrade_to_base_and_back(backend: Backend) -> None:
    store = backend.open()
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with store.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {"alembic_version"}
    migrate(store.engine, schema=backend.schema)
    with store.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {*metadata.tables, "alembic_version"}
        assert _revision(conn) == HEAD


def test_upgrading_an_older_database_keeps_its_data(backend: Backend) -> None:
    store = backend.open()
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    with store.begin() as tx:
        # The user as the code of 0001 wrote it: without the columns later migrations added to `users`.
        values = tx._user_values(r.user("sub-1", "email:ada@example.com"))
        del values["temporary_password_expires_at"]  # 0005
        tx._conn.execute(sa.insert(tables.users).values(values))
        tx._add_logins(r.POOL, "sub-1", ["email:ada@example.com"])
    migrate(store.engine, schema=backend.schema)
    with store.begin() as tx:
        assert tx.find_user(r.POOL, "email:ada@example.com") is not None
        assert tx.list_groups(r.POOL) == []
        # 0006 indexed the users already there: ListUsers' search finds them
        found = tx.list_users(r.POOL, UserQuery("email", "ada@example.com")).items
        assert [u.sub for u in found] == ["sub-1"]
        assert [u.sub for u in tx.list_users(r.POOL, UserQuery("status", "disabled")).items] == ["sub-1"]


def test_codes_from_before_0004_start_with_a_full_send_bucket(backend: Backend) -> None:
    store = backend.open()
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
        conn.execute(
            sa.text(
                "INSERT INTO codes (pool_id, user_sub, purpose, code_hash, created_at, expires_at, attempts, "
                "destination) VALUES (:pool, 'sub-1', 'sign_up', 'c0de', 1.0, 2.0, 1, 'email:ada@example.com')"
            ),
            {"pool": r.POOL},
        )
    migrate(store.engine, schema=backend.schema)
    with store.begin() as tx:
        code = tx.get_code(r.POOL, "sub-1", "sign_up")
    assert code is not None and (code.attempts, code.send_count, code.window_started_at) == (1, 0, 0.0)
    with store.begin() as tx:  # and the new columns take values like any other
        tx.put_code(r.code("sub-1", "sign_up", send_count=3, window_started_at=r.T0 + 0.5))
        assert tx.get_code(r.POOL, "sub-1", "sign_up") == r.code(
            "sub-1", "sign_up", send_count=3, window_started_at=r.T0 + 0.5
        )


def test_head_is_read_from_the_files_as_alembic_reads_it() -> None:
    """`migrate` skips alembic for a database at head; it must know head exactly as alembic does."""
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_a_database_at_head_is_opened_without_alembic(backend: Backend) -> None:
    backend.open()  # migrated (with alembic, in this process or an earlier one)
    script = (
        "import sys; from userpool.store.sql.engine import create_engine, migrate; "
        f"migrate(create_engine({backend.url!r}{', schema=' + repr(backend.schema) if backend.schema else ''})); "
        "print('alembic' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
