"""The admin API: access keys, group membership, and the index ListUsers searches.

`access_keys` holds administrators' SigV4 keys (secret sealed). `group_members` says who is in which
group; deleting a user or a group cascades. `user_search` keeps one row per searchable value of each user
(username, sub, status, email, names…), filled here for the users already there.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

# Frozen here (not imported), so this migration does the same thing whatever the code becomes later.
_ATTRIBUTES = ("email", "phone_number", "name", "given_name", "family_name", "preferred_username")
_SEARCH_TEXT = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _terms(row: Any) -> dict[str, str]:
    _pool_id, sub, username, status, enabled, attributes = row
    values = json.loads(attributes)
    terms = {
        "username": username,
        "sub": sub,
        "cognito:user_status": status.lower(),
        "status": "enabled" if enabled else "disabled",
    }
    terms.update({name: str(values[name]).lower() for name in _ATTRIBUTES if values.get(name)})
    return {k: v for k, v in terms.items() if v}


def upgrade() -> None:
    op.create_table(
        "access_keys",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("last_used_at", sa.Double, nullable=True),
    )
    op.create_table(
        "group_members",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("group_name", sa.Text, primary_key=True),
        sa.Column("user_sub", sa.Text, primary_key=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id", "user_sub"], ["users.pool_id", "users.sub"], name="fk_group_members_user", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "group_name"],
            ["groups.pool_id", "groups.name"],
            name="fk_group_members_group",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_group_members_user", "group_members", ["pool_id", "user_sub", "group_name"])
    search = op.create_table(
        "user_search",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("attribute", sa.Text, primary_key=True),
        sa.Column("value", _SEARCH_TEXT, primary_key=True),
        sa.Column("user_sub", sa.Text, primary_key=True),
        sa.ForeignKeyConstraint(
            ["pool_id", "user_sub"], ["users.pool_id", "users.sub"], name="fk_user_search_user", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_user_search_user", "user_search", ["pool_id", "user_sub"])
    bind = op.get_bind()
    users = sa.table(
        "users",
        sa.column("pool_id"),
        sa.column("sub"),
        sa.column("username"),
        sa.column("status"),
        sa.column("enabled"),
        sa.column("attributes"),
    )
    batch: list[dict[str, str]] = []
    for row in bind.execute(sa.select(users.c.pool_id, users.c.sub, users.c.username, users.c.status,
                                      users.c.enabled, users.c.attributes)):  # fmt: skip
        batch += [
            {"pool_id": row[0], "attribute": name, "value": value, "user_sub": row[1]}
            for name, value in _terms(row).items()
        ]
        if len(batch) >= 5000:
            bind.execute(sa.insert(search), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(search), batch)


def downgrade() -> None:
    op.drop_table("user_search")
    op.drop_table("group_members")
    op.drop_table("access_keys")
