"""The initial schema.

Written out in full rather than imported from `tables.py`: a revision is a frozen record of what it did,
and `tables.py` will move on. The schema-drift test checks that the two still agree after `upgrade head`.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TABLES = (
    "web_sessions",
    "authorization_codes",
    "messages",
    "signing_keys",
    "token_sessions",
    "auth_sessions",
    "codes",
    "user_logins",
    "users",
    "clients",
    "pools",
)


def upgrade() -> None:
    op.create_table(
        "pools",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("definition_json", sa.Text, nullable=False),
    )

    op.create_table(
        "clients",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("secret", sa.Text, nullable=True),
        sa.Column("explicit_auth_flows", sa.Text, nullable=False),
        sa.Column("callback_urls", sa.Text, nullable=False),
        sa.Column("logout_urls", sa.Text, nullable=False),
        sa.Column("allowed_oauth_scopes", sa.Text, nullable=False),
        sa.Column("access_token_validity", sa.Integer, nullable=False),
        sa.Column("id_token_validity", sa.Integer, nullable=False),
        sa.Column("refresh_token_validity", sa.Integer, nullable=False),
        sa.Column("auth_session_validity", sa.Integer, nullable=False),
        sa.Column("prevent_user_existence_errors", sa.Boolean, nullable=False),
    )
    op.create_index("ix_clients_pool", "clients", ["pool_id"])

    op.create_table(
        "users",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("sub", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("pending_attributes", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("srp_salt", sa.Text, nullable=True),
        sa.Column("srp_verifier", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )

    op.create_table(
        "user_logins",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("login_key", sa.Text, primary_key=True),
        sa.Column("user_sub", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id", "user_sub"],
            ["users.pool_id", "users.sub"],
            name="fk_user_logins_user",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_user_logins_user", "user_logins", ["pool_id", "user_sub"])

    op.create_table(
        "codes",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("user_sub", sa.Text, primary_key=True),
        sa.Column("purpose", sa.Text, primary_key=True),
        sa.Column("code_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
    )
    op.create_index("ix_codes_expires", "codes", ["expires_at"])

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("user_sub", sa.Text, nullable=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("challenge", sa.Text, nullable=False),
        sa.Column("session_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("secret_block_hash", sa.Text, nullable=True),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_index("ux_auth_sessions_session_hash", "auth_sessions", ["session_hash"], unique=True)
    op.create_index("ux_auth_sessions_secret_block_hash", "auth_sessions", ["secret_block_hash"], unique=True)
    op.create_index("ix_auth_sessions_user", "auth_sessions", ["pool_id", "user_sub"])
    op.create_index("ix_auth_sessions_expires", "auth_sessions", ["expires_at"])

    op.create_table(
        "token_sessions",
        sa.Column("origin_jti", sa.Text, primary_key=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("user_sub", sa.Text, nullable=False),
        sa.Column("refresh_hash", sa.Text, nullable=False),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("revoked_at", sa.Double, nullable=True),
        sa.Column("scopes", sa.Text, nullable=False),
    )
    op.create_index("ux_token_sessions_refresh_hash", "token_sessions", ["refresh_hash"], unique=True)
    op.create_index("ix_token_sessions_user", "token_sessions", ["pool_id", "user_sub"])
    op.create_index("ix_token_sessions_expires", "token_sessions", ["expires_at"])

    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.Text, primary_key=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("use", sa.Text, nullable=False),
        sa.Column("private_pem", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_signing_keys_pool", "signing_keys", ["pool_id"])

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_messages_pool", "messages", ["pool_id", "id"])

    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.Text, primary_key=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("user_sub", sa.Text, nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("code_challenge", sa.Text, nullable=False),
        sa.Column("code_challenge_method", sa.Text, nullable=False),
        sa.Column("nonce", sa.Text, nullable=False),
    )
    op.create_index("ix_authorization_codes_user", "authorization_codes", ["pool_id", "user_sub"])
    op.create_index("ix_authorization_codes_expires", "authorization_codes", ["expires_at"])

    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.Text, primary_key=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("user_sub", sa.Text, nullable=False),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
    )
    op.create_index("ix_web_sessions_user", "web_sessions", ["pool_id", "user_sub"])
    op.create_index("ix_web_sessions_expires", "web_sessions", ["expires_at"])


def downgrade() -> None:
    # Children first (user_logins before users); dropping a table drops its indexes.
    for name in TABLES:
        op.drop_table(name)
