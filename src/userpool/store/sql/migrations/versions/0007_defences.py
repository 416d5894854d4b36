"""The defences' shared counters: failed attempts per user (lockout) and token buckets per client address
(rate limits), one row per (pool, key), dropped once `expires_at` has passed.

Revision ID: 0007
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "throttles",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("count", sa.Double, nullable=False),
        sa.Column("stamp", sa.Double, nullable=False),
        sa.Column("until", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
    )
    op.create_index("ix_throttles_expires", "throttles", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_throttles_expires", table_name="throttles")
    op.drop_table("throttles")
