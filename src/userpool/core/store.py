"""The storage the core needs, as Protocols, and nothing else.

A backend implements `Store`; `Store.begin()` opens one unit of work (a database transaction). Every
request runs in exactly one, so a refused request writes nothing. Stores raise `StoreConflict` for a lost
race and return None for "not found"; they never raise Cognito errors.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from userpool.core.console_records import AuditEntry, ConsoleAdmin, ConsoleSession, SignInEvent
from userpool.core.model import (
    AccessKey,
    AuthorizationCode,
    AuthSession,
    Client,
    Device,
    FederationState,
    Group,
    Message,
    MfaSettings,
    OneTimeCode,
    Pool,
    RefreshToken,
    SigningKey,
    Throttle,
    TokenSession,
    User,
    WebSession,
)

# What ListUsers can search (Cognito's searchable attributes). `status` is Enabled/Disabled,
# `cognito:user_status` the UserStatus. Values are matched as given for `username` and `sub`, lower-cased
# for the others (Cognito matches those without regard to case).
SEARCHABLE = (
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
)
CASE_SENSITIVE_SEARCH = frozenset({"username", "sub"})


def search_value(attribute: str, value: str) -> str:
    """A value as the search index keeps it, and as a query must give it."""
    return value if attribute in CASE_SENSITIVE_SEARCH else value.lower()


def search_terms(user: User) -> dict[str, str]:
    """The user's searchable values (the index rows a store keeps for ListUsers), empty ones left out."""
    raw = {
        "username": user.username,
        "sub": user.sub,
        "cognito:user_status": str(user.status),
        "status": "Enabled" if user.enabled else "Disabled",
    }
    for name in SEARCHABLE:
        if name not in raw and user.attributes.get(name):
            raw[name] = user.attributes[name]
    return {name: search_value(name, value) for name, value in raw.items() if value}


@dataclass(frozen=True)
class UserQuery:
    """One page of a pool's users: all of them (by `sub`), or those whose searchable `attribute` equals
    `value` (or starts with it, `prefix`), by (value, sub). `after` is the `Page.next` of the previous page:
    a keyset position, so rows inserted between pages neither repeat nor shift a page. The store
    lower-cases nothing: the core passes search values ready."""

    attribute: str | None = None
    value: str = ""
    prefix: bool = False
    limit: int = 60
    after: str | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """Up to `limit` items, and where the next page starts (None: this was the last one). `next` is the
    store's own cursor; the core hands it out only under a MAC, so the store sees back only its own."""

    items: Sequence[T]
    next: str | None = None


class Tx(Protocol):
    # pools and app clients
    def get_pool(self, pool_id: str) -> Pool | None: ...
    def list_pools(self) -> Sequence[Pool]: ...
    def put_pool(self, pool: Pool) -> None: ...  # insert or update
    def get_client(self, client_id: str) -> Client | None: ...
    def list_clients(self, pool_id: str) -> Sequence[Client]: ...
    def put_client(self, client: Client) -> None: ...
    def delete_client(self, client_id: str) -> None: ...  # with its token families and sign-ins

    # groups (case-sensitive names, as in Cognito)
    def list_groups(self, pool_id: str) -> Sequence[Group]: ...  # by precedence, then name
    def get_group(self, pool_id: str, name: str) -> Group | None: ...
    def put_group(self, group: Group) -> None: ...  # insert or update
    def delete_group(self, pool_id: str, name: str) -> None: ...  # and its memberships

    # group membership; `after` is the previous page's Page.next
    def add_user_to_group(self, pool_id: str, group_name: str, user_sub: str, at: float) -> None: ...  # idempotent
    def remove_user_from_group(self, pool_id: str, group_name: str, user_sub: str) -> None: ...
    def list_groups_for_user(
        self, pool_id: str, user_sub: str, *, limit: int | None = None, after: str | None = None
    ) -> Page[Group]: ...  # by name
    def list_users_in_group(
        self, pool_id: str, group_name: str, *, limit: int = 60, after: str | None = None
    ) -> Page[User]: ...  # by sub

    # listing and searching users (keyset pagination; index-backed for every searchable attribute)
    def list_users(self, pool_id: str, query: UserQuery) -> Page[User]: ...

    # administrators' access keys (`secret` sealed at rest)
    def put_access_key(self, key: AccessKey) -> None: ...  # insert or update
    def get_access_key(self, key_id: str) -> AccessKey | None: ...
    def list_access_keys(self) -> Sequence[AccessKey]: ...  # oldest first
    def delete_access_key(self, key_id: str) -> bool: ...  # True when there was one
    def touch_access_key(self, key_id: str, at: float) -> None: ...  # last_used_at

    # users; `insert_user`/`update_user` write `login_keys` too and raise StoreConflict when a login key
    # belongs to another user, or (update) when `version` changed since the user was read.
    def get_user(self, pool_id: str, sub: str) -> User | None: ...
    def find_user(self, pool_id: str, login_key: str) -> User | None: ...
    def insert_user(self, user: User) -> None: ...
    def update_user(self, user: User) -> None: ...  # bumps user.version on success
    def delete_user(self, pool_id: str, sub: str) -> None: ...  # with the user's codes, sessions, memberships
    def count_users(self, pool_id: str) -> int: ...

    # bulk import (`userpool users import`): a batch of users in a few statements, all or none of them
    def insert_users(self, users: Sequence[User]) -> None: ...  # StoreConflict: a sub or login key is taken
    def taken_login_keys(self, pool_id: str, login_keys: Collection[str]) -> dict[str, str]: ...  # key → sub
    def existing_subs(self, pool_id: str, subs: Collection[str]) -> set[str]: ...
    def add_group_members(self, pool_id: str, members: Sequence[tuple[str, str]], at: float) -> None: ...

    # one-time codes: at most one live code per (user, purpose); put replaces
    def put_code(self, code: OneTimeCode) -> None: ...
    def get_code(self, pool_id: str, user_sub: str, purpose: str) -> OneTimeCode | None: ...
    def delete_code(self, pool_id: str, user_sub: str, purpose: str) -> None: ...

    # sign-ins in progress; a read locks the row until the unit of work ends (every read is followed by a
    # write of it: spent, or an attempt counted), so two answers to one challenge are taken one at a time
    def put_auth_session(self, session: AuthSession) -> None: ...
    def get_auth_session(
        self, *, session_hash: str | None = None, secret_block_hash: str | None = None
    ) -> AuthSession | None: ...
    def delete_auth_session(self, session_id: str) -> None: ...

    # second factors (delete_user removes them, and the recovery codes)
    def get_mfa(self, pool_id: str, user_sub: str) -> MfaSettings | None: ...
    def put_mfa(self, settings: MfaSettings) -> None: ...  # insert or update all but totp_last_step
    def spend_totp_step(self, pool_id: str, user_sub: str, step: int) -> bool: ...  # True: later than any spent
    # recovery codes, as hashes; `take` deletes one and says whether it was there (so it works once)
    def replace_recovery_codes(self, pool_id: str, user_sub: str, code_hashes: Sequence[str], at: float) -> None: ...
    def take_recovery_code(self, pool_id: str, user_sub: str, code_hash: str) -> bool: ...
    def count_recovery_codes(self, pool_id: str, user_sub: str) -> int: ...

    # token families; `take`-style reads are not needed: revocation is a flag, refresh tokens do not rotate
    def put_token_session(self, session: TokenSession) -> None: ...
    def get_token_session(self, origin_jti: str) -> TokenSession | None: ...
    def find_token_session(self, refresh_hash: str) -> TokenSession | None: ...
    def revoke_token_session(self, origin_jti: str, at: float) -> None: ...
    def revoke_user_token_sessions(self, pool_id: str, user_sub: str, at: float) -> int: ...
    # the user's live families (not revoked, not expired at `now`), newest first, each with the time of its
    # newest refresh token (its last rotation; its creation when it never rotated)
    def list_user_token_sessions(
        self, pool_id: str, user_sub: str, now: float, limit: int
    ) -> Sequence[tuple[TokenSession, float]]: ...

    # refresh tokens of a family (rotation); `supersede` is atomic: True only for the caller that retired it
    def add_refresh_token(self, token: RefreshToken) -> None: ...
    def find_refresh_token(self, token_hash: str) -> RefreshToken | None: ...
    def supersede_refresh_token(self, token_hash: str, at: float) -> bool: ...

    # devices (delete_user removes them too)
    def put_device(self, device: Device) -> None: ...  # insert or update; `verifier` sealed at rest
    def get_device(self, pool_id: str, key: str) -> Device | None: ...
    def list_devices(self, pool_id: str, user_sub: str) -> Sequence[Device]: ...  # most recently used first
    def delete_device(self, pool_id: str, key: str) -> None: ...
    # a sign-in's new device: the group key the user's devices share (None: no device yet), and one
    # statement dropping the user's devices never confirmed and created before `before` (returns how many)
    def device_group_key(self, pool_id: str, user_sub: str) -> str | None: ...
    def delete_unconfirmed_devices(self, pool_id: str, user_sub: str, before: float) -> int: ...

    # signing keys
    def list_signing_keys(self, pool_id: str) -> Sequence[SigningKey]: ...
    def put_signing_key(self, key: SigningKey) -> None: ...
    def delete_signing_key(self, pool_id: str, kid: str) -> None: ...  # a retired key whose tokens expired

    # outgoing messages (the sandbox outbox)
    def add_message(self, message: Message) -> int: ...
    def list_messages(self, pool_id: str, *, after_id: int = 0) -> Sequence[Message]: ...

    # OAuth authorization codes: `take` returns and deletes in one step, so a code works once
    def put_authorization_code(self, code: AuthorizationCode) -> None: ...
    def take_authorization_code(self, code_hash: str) -> AuthorizationCode | None: ...

    # hosted Authenticator browser sessions
    def put_web_session(self, session: WebSession) -> None: ...
    def get_web_session(self, id_hash: str) -> WebSession | None: ...
    def delete_web_session(self, id_hash: str) -> None: ...
    def delete_user_web_sessions(self, pool_id: str, user_sub: str) -> int: ...

    # shared counters (lockout, rate limits). `get_throttle(lock=True)` locks the row (creating it if need
    # be) until the unit of work ends, so two processes counting at once count one after the other
    def get_throttle(self, pool_id: str, key: str, *, lock: bool = False) -> Throttle | None: ...
    def put_throttle(self, throttle: Throttle) -> None: ...  # insert or update
    def delete_throttle(self, pool_id: str, key: str) -> None: ...

    # sign-ins sent upstream (federation): `take` returns and deletes in one step, so a state works once
    def put_federation_state(self, state: FederationState) -> None: ...
    def take_federation_state(self, state_hash: str) -> FederationState | None: ...

    # housekeeping: drop expired codes, sign-ins, authorization codes, web and console sessions, counters,
    # federation states
    def purge_expired(self, now: float) -> int: ...

    # pool users' recent sign-ins; `add` keeps only the user's newest `keep`
    def add_sign_in_event(self, event: SignInEvent, *, keep: int = 20) -> None: ...
    def list_sign_in_events(self, pool_id: str, user_sub: str, *, limit: int = 20) -> Sequence[SignInEvent]: ...

    # the web console: operators (store-wide; `totp_secret` sealed) and their sessions
    def get_console_admin(self, name: str) -> ConsoleAdmin | None: ...
    def put_console_admin(self, admin: ConsoleAdmin) -> None: ...  # insert or update all but totp_last_step
    def list_console_admins(self) -> Sequence[ConsoleAdmin]: ...  # by name
    def spend_console_totp_step(self, name: str, step: int) -> bool: ...  # True: later than any spent
    def put_console_session(self, session: ConsoleSession) -> None: ...  # insert or update
    def get_console_session(self, id_hash: str) -> ConsoleSession | None: ...
    def delete_console_session(self, id_hash: str) -> None: ...
    def delete_admin_console_sessions(self, name: str) -> int: ...

    # the audit log of console changes, newest first; `before_id` pages back
    def add_audit(self, entry: AuditEntry) -> int: ...
    def list_audit(
        self,
        pool_id: str,
        *,
        actor: str | None = None,
        target: str | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> Sequence[AuditEntry]: ...


class Store(Protocol):
    @property
    def reads_in_process(self) -> bool:
        """Whether a unit of work that only reads is a call into this process (SQLite: pages of a local
        file, microseconds) rather than a wait on another (PostgreSQL: a round trip per statement)."""
        ...

    def begin(self, *, optimistic: bool = False) -> AbstractContextManager[Tx]:
        """One unit of work: commits when the block exits normally, rolls back when it raises.

        `optimistic`: take no write lock until the first write (reads never wait for writers); a backend
        that then cannot write consistently with what was read raises `StoreRetry` (nothing written) and
        the caller runs the unit of work again, not optimistically.
        """
        ...

    def close(self) -> None: ...
