"""The schema, as SQLAlchemy Core tables on one `MetaData`.

Migration 0001 creates these tables; this module describes them for queries (and for the test that checks
the two agree). Only portable types: text, integers, doubles, booleans. Strings are unbounded TEXT, so
PostgreSQL never refuses a value SQLite accepted. Timestamps are epoch seconds as doubles, `auth_time`
values integers, dicts and tuples JSON text; sealed columns hold `v1.<kid>.<data>` text. Column names
follow the record fields (except `messages.recipient`), so rows map back by name.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Auto-incrementing 64-bit id: BIGSERIAL on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

pools = sa.Table(
    "pools",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("region", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("secret", sa.Text, nullable=False),  # sealed
    sa.Column("definition_json", sa.Text, nullable=False),
)

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("secret", sa.Text, nullable=True),  # sealed
    sa.Column("explicit_auth_flows", sa.Text, nullable=False),  # JSON list
    sa.Column("callback_urls", sa.Text, nullable=False),  # JSON list
    sa.Column("logout_urls", sa.Text, nullable=False),  # JSON list
    sa.Column("allowed_oauth_scopes", sa.Text, nullable=False),  # JSON list
    sa.Column("allowed_oauth_flows", sa.Text, nullable=False, server_default='["code"]'),  # JSON list
    sa.Column("access_token_validity", sa.Integer, nullable=False),
    sa.Column("id_token_validity", sa.Integer, nullable=False),
    sa.Column("refresh_token_validity", sa.Integer, nullable=False),
    sa.Column("auth_session_validity", sa.Integer, nullable=False),
    sa.Column("prevent_user_existence_errors", sa.Boolean, nullable=False),
    sa.Column("read_attributes", sa.Text, nullable=False),  # JSON list
    sa.Column("write_attributes", sa.Text, nullable=False),  # JSON list
    sa.Column("enable_token_revocation", sa.Boolean, nullable=False),
    sa.Column("refresh_token_rotation", sa.Boolean, nullable=False),
    sa.Column("refresh_token_reuse_grace", sa.Integer, nullable=False),
    sa.Index("ix_clients_pool", "pool_id"),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("precedence", sa.Integer, nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("role_arn", sa.Text, nullable=False),
    sa.Column("from_definition", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("sub", sa.Text, primary_key=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attributes", sa.Text, nullable=False),  # JSON object
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("pending_attributes", sa.Text, nullable=False),  # JSON object
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("srp_salt", sa.Text, nullable=True),
    sa.Column("srp_verifier", sa.Text, nullable=True),  # sealed
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("temporary_password_expires_at", sa.Double, nullable=True),  # migration 0005
)

# User.login_keys, one row per key. The primary key is what makes "one account per email" hold under a
# race: the second insert of a key fails in the database, whatever the callers checked before.
user_logins = sa.Table(
    "user_logins",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("login_key", sa.Text, primary_key=True),
    sa.Column("user_sub", sa.Text, nullable=False),
    sa.ForeignKeyConstraint(
        ["pool_id", "user_sub"],
        ["users.pool_id", "users.sub"],
        name="fk_user_logins_user",
        ondelete="CASCADE",
    ),
    sa.Index("ix_user_logins_user", "pool_id", "user_sub"),
)

codes = sa.Table(
    "codes",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("user_sub", sa.Text, primary_key=True),
    sa.Column("purpose", sa.Text, primary_key=True),
    sa.Column("code_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("send_count", sa.Integer, nullable=False),  # the resend cooldown (migration 0004)
    sa.Column("window_started_at", sa.Double, nullable=False),
    sa.Index("ix_codes_expires", "expires_at"),
)

auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("client_id", sa.Text, nullable=False),
    sa.Column("user_sub", sa.Text, nullable=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("challenge", sa.Text, nullable=False),
    sa.Column("session_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    # NULLs never collide in a unique index (SQLite and PostgreSQL agree), so only SRP rows take part.
    sa.Column("secret_block_hash", sa.Text, nullable=True),
    sa.Column("state", sa.Text, nullable=False),  # sealed JSON object
    sa.Index("ux_auth_sessions_session_hash", "session_hash", unique=True),
    sa.Index("ux_auth_sessions_secret_block_hash", "secret_block_hash", unique=True),
    sa.Index("ix_auth_sessions_user", "pool_id", "user_sub"),
    sa.Index("ix_auth_sessions_expires", "expires_at"),
)

token_sessions = sa.Table(
    "token_sessions",
    metadata,
    sa.Column("origin_jti", sa.Text, primary_key=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("client_id", sa.Text, nullable=False),
    sa.Column("user_sub", sa.Text, nullable=False),
    sa.Column("refresh_hash", sa.Text, nullable=False),
    sa.Column("auth_time", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("revoked_at", sa.Double, nullable=True),
    sa.Column("scopes", sa.Text, nullable=False),  # JSON list
    sa.Column("device_key", sa.Text, nullable=True),
    sa.Index("ux_token_sessions_refresh_hash", "refresh_hash", unique=True),
    sa.Index("ix_token_sessions_user", "pool_id", "user_sub"),
    sa.Index("ix_token_sessions_expires", "expires_at"),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.Text, primary_key=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("use", sa.Text, nullable=False),
    sa.Column("private_pem", sa.Text, nullable=False),  # sealed
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Index("ix_signing_keys_pool", "pool_id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),  # Message.to ("to" is an SQL keyword)
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=True),
    sa.Index("ix_messages_pool", "pool_id", "id"),
    # AUTOINCREMENT: ids never come back after a delete, so an `after_id` cursor never skips a message.
    sqlite_autoincrement=True,
)

authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
    sa.Column("code_hash", sa.Text, primary_key=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("client_id", sa.Text, nullable=False),
    sa.Column("user_sub", sa.Text, nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),  # JSON list
    sa.Column("auth_time", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("code_challenge", sa.Text, nullable=False),
    sa.Column("code_challenge_method", sa.Text, nullable=False),
    sa.Column("nonce", sa.Text, nullable=False),
    sa.Index("ix_authorization_codes_user", "pool_id", "user_sub"),
    sa.Index("ix_authorization_codes_expires", "expires_at"),
)

federation_states = sa.Table(
    "federation_states",
    metadata,
    sa.Column("state_hash", sa.Text, primary_key=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("browser_hash", sa.Text, nullable=False),
    sa.Column("secrets", sa.Text, nullable=False),  # sealed JSON: the app's request, nonce, PKCE verifier
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Index("ix_federation_states_expires", "expires_at"),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id_hash", sa.Text, primary_key=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("user_sub", sa.Text, nullable=False),
    sa.Column("auth_time", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Index("ix_web_sessions_user", "pool_id", "user_sub"),
    sa.Index("ix_web_sessions_expires", "expires_at"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("origin_jti", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("superseded_at", sa.Double, nullable=True),
    sa.Index("ix_refresh_tokens_family", "origin_jti"),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("user_sub", sa.Text, nullable=False),
    sa.Column("group_key", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("last_modified_at", sa.Double, nullable=False),
    sa.Column("last_authenticated_at", sa.Double, nullable=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("salt", sa.Text, nullable=True),
    sa.Column("verifier", sa.Text, nullable=True),  # sealed
    sa.Column("confirmed", sa.Boolean, nullable=False),
    sa.Column("remembered", sa.Boolean, nullable=False),
    sa.Column("last_ip", sa.Text, nullable=False),
    sa.Index("ix_devices_user", "pool_id", "user_sub"),
)

# A user's second factors (migration 0005). `totp_last_step` only ever grows, in one conditional UPDATE.
user_mfa = sa.Table(
    "user_mfa",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("user_sub", sa.Text, primary_key=True),
    sa.Column("sms", sa.Boolean, nullable=False),
    sa.Column("totp", sa.Boolean, nullable=False),
    sa.Column("email", sa.Boolean, nullable=False),
    sa.Column("preferred", sa.Text, nullable=True),
    sa.Column("totp_secret", sa.Text, nullable=True),  # sealed
    sa.Column("totp_pending", sa.Text, nullable=True),  # sealed
    sa.Column("totp_name", sa.Text, nullable=False),
    sa.Column("totp_last_step", sa.BigInteger, nullable=True),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

# Recovery codes: keyed hashes only; a row is deleted when its code is used.
recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("user_sub", sa.Text, primary_key=True),
    sa.Column("code_hash", sa.Text, primary_key=True),
    sa.Column("created_at", sa.Double, nullable=False),
)

# Administrators' access keys (migration 0006): the secret sealed, bound to the key id.
access_keys = sa.Table(
    "access_keys",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("secret", sa.Text, nullable=False),  # sealed
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("last_used_at", sa.Double, nullable=True),
)

# Who is in which group (migration 0006). Both foreign keys cascade: deleting a user or a group deletes
# its memberships in the database itself, whatever the caller forgets.
group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("group_name", sa.Text, primary_key=True),
    sa.Column("user_sub", sa.Text, primary_key=True),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.ForeignKeyConstraint(
        ["pool_id", "user_sub"], ["users.pool_id", "users.sub"], name="fk_group_members_user", ondelete="CASCADE"
    ),
    sa.ForeignKeyConstraint(
        ["pool_id", "group_name"], ["groups.pool_id", "groups.name"], name="fk_group_members_group", ondelete="CASCADE"
    ),
    sa.Index("ix_group_members_user", "pool_id", "user_sub", "group_name"),
)

# ListUsers' index (migration 0006): one row per searchable value of a user (core.store.search_terms),
# so `email = "…"` and `username ^= "…"` are range scans of the primary key, never a scan of `users`.
# Byte order ("C") on PostgreSQL, as SQLite's BINARY: a prefix is then exactly a key range.
SearchText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
user_search = sa.Table(
    "user_search",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("attribute", sa.Text, primary_key=True),
    sa.Column("value", SearchText, primary_key=True),
    sa.Column("user_sub", sa.Text, primary_key=True),
    sa.ForeignKeyConstraint(
        ["pool_id", "user_sub"], ["users.pool_id", "users.sub"], name="fk_user_search_user", ondelete="CASCADE"
    ),
    sa.Index("ix_user_search_user", "pool_id", "user_sub"),
)

# -- the web console (migration 0009) ---------------------------------------------------------------------

# Operators: store-wide, not pool users. `totp_last_step` only ever grows, in one conditional UPDATE.
console_admins = sa.Table(
    "console_admins",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("totp_secret", sa.Text, nullable=False),  # sealed
    sa.Column("totp_last_step", sa.BigInteger, nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("last_sign_in_at", sa.Double, nullable=True),
)

# Console browser sessions, by the SHA-256 of the id the cookie holds.
console_sessions = sa.Table(
    "console_sessions",
    metadata,
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
    sa.Index("ix_console_sessions_admin", "admin_name"),
    sa.Index("ix_console_sessions_expires", "expires_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("pool_id", sa.Text, nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),  # JSON object
    sa.Column("client_ip", sa.Text, nullable=False),
    sa.Column("user_agent", sa.Text, nullable=False),
    sa.Index("ix_audit_log_actor", "pool_id", "actor", "id"),
    sa.Index("ix_audit_log_target", "pool_id", "target", "id"),
)

# Pool users' recent sign-ins, a few per user; deleting the user deletes them.
sign_in_events = sa.Table(
    "sign_in_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
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
    sa.Index("ix_sign_in_events_user", "pool_id", "user_sub", "id"),
)

# Shared counters (migration 0007): failed attempts per user (lockout) and token buckets per client address
# (rate limits), so every server process sees the same counts.
throttles = sa.Table(
    "throttles",
    metadata,
    sa.Column("pool_id", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("count", sa.Double, nullable=False),
    sa.Column("stamp", sa.Double, nullable=False),
    sa.Column("until", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Index("ix_throttles_expires", "expires_at"),
)
