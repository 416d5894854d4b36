"""Multi-factor authentication: each user's second factors, recovery codes, temporary-password expiry.

`user_mfa` holds which factors are on, the preferred one, the authenticator app's secret (sealed, and a
pending one between AssociateSoftwareToken and VerifySoftwareToken) and the last TOTP step spent (replay
refusal). `recovery_codes` holds keyed hashes of single-use recovery codes. `users` gains the expiry of a
FORCE_CHANGE_PASSWORD user's temporary password.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "user_mfa",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("user_sub", sa.Text, primary_key=True),
        sa.Column("sms", sa.Boolean, nullable=False),
        sa.Column("totp", sa.Boolean, nullable=False),
        sa.Column("email", sa.Boolean, nullable=False),
        sa.Column("preferred", sa.Text, nullable=True),
        sa.Column("totp_secret", sa.Text, nullable=True),
        sa.Column("totp_pending", sa.Text, nullable=True),
        sa.Column("totp_name", sa.Text, nullable=False),
        sa.Column("totp_last_step", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("user_sub", sa.Text, primary_key=True),
        sa.Column("code_hash", sa.Text, primary_key=True),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.add_column("users", sa.Column("temporary_password_expires_at", sa.Double, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("temporary_password_expires_at")
    op.drop_table("recovery_codes")
    op.drop_table("user_mfa")
