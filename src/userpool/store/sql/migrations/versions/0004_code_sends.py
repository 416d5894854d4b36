"""The resend cooldown: each one-time code row counts the codes sent for its (user, purpose).

`send_count` is how many sends the token bucket still holds against the user, counted from
`window_started_at` (core/codes.py refills it). Rows that existed start with a full bucket.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = (
    ("send_count", sa.Integer, "0"),
    ("window_started_at", sa.Double, "0"),
)


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a column's constraints, so Alembic rebuilds the table there.
    with op.batch_alter_table("codes") as batch:
        for name, kind, default in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    with op.batch_alter_table("codes") as batch:
        for name, _, _ in COLUMNS:
            batch.alter_column(name, server_default=None)  # defaults only for the rows that existed


def downgrade() -> None:
    with op.batch_alter_table("codes") as batch:
        for name, _, _ in COLUMNS:
            batch.drop_column(name)
