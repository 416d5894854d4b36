"""The web console: operators, their sessions, the sign-in throttle, the audit log, and sign-in events.

`console_admins` holds operators (store-wide; argon2id password, TOTP secret sealed, last TOTP step spent).
`console_sessions` their browser sessions by the SHA-256 of the cookie's id. `console_throttle` counts
failed sign-ins per keyed hash of a name. `audit_log` records every change made through the console.
`sign_in_events` keeps each pool user's recent sign-ins (the newest few; deleting the user cascades).

Revision ID: 0009
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "console_admins",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("totp_secret", sa.Text, nullable=False),
        sa.Column("totp_last_step", sa.BigInteger, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("last_sign_in_at", sa.Double, nullable=True),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.Text, primary_key=True),
        sa.Column("admin_name", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("last_seen_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("client_ip", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_name"], ["console_admins.name"], name="fk_console_sessions_admin", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_console_sessions_admin", "console_sessions", ["admin_name"])
    op.create_index("ix_console_sessions_expires", "console_sessions", ["expires_at"])
    op.create_table(
        "console_throttle",
        sa.Column("key_hash", sa.Text, primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("client_ip", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["pool_id", "actor", "id"])
    op.create_index("ix_audit_log_target", "audit_log", ["pool_id", "target", "id"])
    op.create_table(
        "sign_in_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("user_sub", sa.Text, nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("client_ip", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id", "user_sub"], ["users.pool_id", "users.sub"], name="fk_sign_in_events_user", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_sign_in_events_user", "sign_in_events", ["pool_id", "user_sub", "id"])


def downgrade() -> None:
    op.drop_table("sign_in_events")
    op.drop_table("audit_log")
    op.drop_table("console_throttle")
    op.drop_table("console_sessions")
    op.drop_table("console_admins")
