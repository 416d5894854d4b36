"""Devices, refresh-token rotation, and per-client settings.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

CLIENT_COLUMNS = (
    ("read_attributes", sa.Text, "[]"),
    ("write_attributes", sa.Text, "[]"),
    ("enable_token_revocation", sa.Boolean, sa.true()),
    ("refresh_token_rotation", sa.Boolean, sa.false()),
    ("refresh_token_reuse_grace", sa.Integer, "0"),
)


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a column's constraints, so Alembic rebuilds the table there.
    with op.batch_alter_table("clients") as batch:
        for name, kind, default in CLIENT_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    with op.batch_alter_table("clients") as batch:
        for name, _, _ in CLIENT_COLUMNS:
            batch.alter_column(name, server_default=None)  # defaults only for the rows that existed
    op.add_column("token_sessions", sa.Column("device_key", sa.Text, nullable=True))

    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("origin_jti", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("superseded_at", sa.Double, nullable=True),
    )
    op.create_index("ix_refresh_tokens_family", "refresh_tokens", ["origin_jti"])
    # Every family's first refresh token, so lookups go through one table from now on.
    op.execute(
        "INSERT INTO refresh_tokens (token_hash, origin_jti, created_at, superseded_at) "
        "SELECT refresh_hash, origin_jti, created_at, NULL FROM token_sessions"
    )

    op.create_table(
        "devices",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("user_sub", sa.Text, nullable=False),
        sa.Column("group_key", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("last_modified_at", sa.Double, nullable=False),
        sa.Column("last_authenticated_at", sa.Double, nullable=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("salt", sa.Text, nullable=True),
        sa.Column("verifier", sa.Text, nullable=True),
        sa.Column("confirmed", sa.Boolean, nullable=False),
        sa.Column("remembered", sa.Boolean, nullable=False),
        sa.Column("last_ip", sa.Text, nullable=False),
    )
    op.create_index("ix_devices_user", "devices", ["pool_id", "user_sub"])


def downgrade() -> None:
    op.drop_table("devices")
    op.drop_table("refresh_tokens")
    with op.batch_alter_table("token_sessions") as batch:
        batch.drop_column("device_key")
    with op.batch_alter_table("clients") as batch:
        for name, _, _ in CLIENT_COLUMNS:
            batch.drop_column(name)
