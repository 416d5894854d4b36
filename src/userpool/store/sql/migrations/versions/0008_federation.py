"""Federation: sign-ins sent to an external identity provider, waiting for its answer.

`federation_states` holds one row per sign-in that left for Google, an OIDC issuer, ...: found by the hash
of the `state` sent upstream, bound to the browser by a cookie's hash, its secrets (the app's authorization
request, the nonce, the PKCE verifier) sealed, and deleted when it comes back. Federated users themselves
need no table: their `identities` attribute and the `identity:<provider>:<subject>` login key (user_logins,
unique per pool) say who they are. `clients` gains `allowed_oauth_flows` (code, or client_credentials for
a backend with resource-server scopes); existing clients keep the code flow.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "federation_states",
        sa.Column("state_hash", sa.Text, primary_key=True),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("browser_hash", sa.Text, nullable=False),
        sa.Column("secrets", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
    )
    op.create_index("ix_federation_states_expires", "federation_states", ["expires_at"])
    op.add_column("clients", sa.Column("allowed_oauth_flows", sa.Text, nullable=False, server_default='["code"]'))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("allowed_oauth_flows")
    op.drop_index("ix_federation_states_expires", "federation_states")
    op.drop_table("federation_states")
