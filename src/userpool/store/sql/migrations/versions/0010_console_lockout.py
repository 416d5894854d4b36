"""The console's failed sign-ins are counted by the users' lockout (`throttles`, or Redis): its own
`console_throttle` table goes. A count in it is dropped, which at worst lifts a lock on an operator name early.

Revision ID: 0010
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.drop_table("console_throttle")


def downgrade() -> None:
    op.create_table(
        "console_throttle",
        sa.Column("key_hash", sa.Text, primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
