"""`SqlTx`: the core's `Tx` over one SQLAlchemy connection inside an open transaction.

Rows and records map one to one (see `tables.py`). Secrets are sealed here, on the way in, and opened on
the way out, so the core only ever sees plaintext and the database only ciphertext. The `Sealer` context
of a value is "<table>.<column>/<row key>", so a sealed value copied to another row or column does not open.

Writes that can lose a race (a taken login key or `sub`, a stale `version`, a taken session hash) raise
`StoreConflict`, leave no partial rows, and the transaction stays usable: a write of several statements runs
in a SAVEPOINT; a single statement needs one only on PostgreSQL (which aborts a transaction on any error,
where SQLite undoes just the statement), and an insert that may find its key taken uses ON CONFLICT DO
NOTHING and needs none at all.

The statements of the hot paths (a sign-in, a refresh, GetUser) are built once, at import, and executed with
parameters; `get_client` reads through the per-process cache (`cache.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import DBAPIError, IntegrityError

from userpool.core.errors import StoreConflict
from userpool.core.model import (
    AuthorizationCode,
    AuthSession,
    Client,
    Device,
    FederationState,
    Group,
    Message,
    OneTimeCode,
    Pool,
    RefreshToken,
    SigningKey,
    Throttle,
    TokenSession,
    User,
    UserStatus,
    WebSession,
)
from userpool.crypto.sealing import Sealer
from userpool.store.sql import tables as t
from userpool.store.sql._rows import Prepared, _insert_ignore, _upsert, _values
from userpool.store.sql.admin_rows import AdminRows
from userpool.store.sql.bulk_rows import BulkRows
from userpool.store.sql.cache import ReadCache
from userpool.store.sql.console_rows import ConsoleRows
from userpool.store.sql.mfa_rows import MfaRows

if TYPE_CHECKING:
    pass

_b = sa.bindparam
_u, _lk = t.users, t.user_logins
_lk_all = _lk.alias("all_logins")
# A user with every login key in one round trip: one row per key (a user has one to three).
_USER_WITH_KEYS = sa.select(_u, _lk_all.c.login_key.label("login_key_")).select_from(
    _u.outerjoin(_lk_all, sa.and_(_lk_all.c.pool_id == _u.c.pool_id, _lk_all.c.user_sub == _u.c.sub))
)
_USER_BY_SUB = Prepared(_USER_WITH_KEYS.where(_u.c.pool_id == _b("pool_id"), _u.c.sub == _b("sub")))
_USER_BY_LOGIN = Prepared(
    _USER_WITH_KEYS.join_from(_u, _lk, sa.and_(_lk.c.pool_id == _u.c.pool_id, _lk.c.user_sub == _u.c.sub)).where(
        _lk.c.pool_id == _b("pool_id"), _lk.c.login_key == _b("login_key")
    )
)
_USER_KEYS = sa.select(_lk.c.login_key).where(_lk.c.pool_id == _b("pool_id"), _lk.c.user_sub == _b("sub"))
_INSERT_USER = sa.insert(_u)
_INSERT_LOGINS = sa.insert(_lk)
_UPDATE_USER = sa.update(_u).where(
    _u.c.pool_id == _b("w_pool_id"), _u.c.sub == _b("w_sub"), _u.c.version == _b("w_version")
)
_CLIENT = Prepared(sa.select(t.clients).where(t.clients.c.id == _b("id")))
_TS_BY_ORIGIN = Prepared(sa.select(t.token_sessions).where(t.token_sessions.c.origin_jti == _b("origin_jti")))
_TS_BY_REFRESH = Prepared(sa.select(t.token_sessions).where(t.token_sessions.c.refresh_hash == _b("refresh_hash")))
_RT_BY_HASH = Prepared(sa.select(t.refresh_tokens).where(t.refresh_tokens.c.token_hash == _b("token_hash")))
_RT_SUPERSEDE = (
    sa.update(t.refresh_tokens)
    .where(t.refresh_tokens.c.token_hash == _b("w_token_hash"), t.refresh_tokens.c.superseded_at.is_(None))
    .values(superseded_at=_b("at"))
)
_AS_BY_SESSION = sa.select(t.auth_sessions).where(t.auth_sessions.c.session_hash == _b("h")).with_for_update()
_AS_BY_SECRET_BLOCK = sa.select(t.auth_sessions).where(t.auth_sessions.c.secret_block_hash == _b("h")).with_for_update()
_AS_DELETE = sa.delete(t.auth_sessions).where(t.auth_sessions.c.id == _b("id"))
_CODE = (
    sa.select(t.codes)
    .where(t.codes.c.pool_id == _b("pool_id"), t.codes.c.user_sub == _b("user_sub"), t.codes.c.purpose == _b("purpose"))
    .with_for_update()
)
_THROTTLE_WHERE = (t.throttles.c.pool_id == _b("pool_id"), t.throttles.c.key == _b("key"))
_THROTTLE = Prepared(sa.select(t.throttles).where(*_THROTTLE_WHERE))
_THROTTLE_LOCKED = sa.select(t.throttles).where(*_THROTTLE_WHERE).with_for_update()
_DEVICE = Prepared(sa.select(t.devices).where(t.devices.c.pool_id == _b("pool_id"), t.devices.c.key == _b("key")))
_d = t.devices
_DEVICES_OF = (_d.c.pool_id == _b("pool_id"), _d.c.user_sub == _b("user_sub"))
_DEVICE_GROUP = Prepared(sa.select(_d.c.group_key).where(*_DEVICES_OF).limit(1))
_DELETE_UNCONFIRMED = sa.delete(_d).where(*_DEVICES_OF, _d.c.confirmed == sa.false(), _d.c.created_at < _b("before"))

# Expired token families stay a day, so a refresh that comes just too late still finds its family.
TOKEN_SESSION_GRACE = 86400.0


def _dumps(value: object) -> str:
    # Keys keep their order: attributes come back in the order the core wrote them.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _tuple(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


_CLIENT_LISTS = (
    "explicit_auth_flows",
    "callback_urls",
    "logout_urls",
    "allowed_oauth_scopes",
    "allowed_oauth_flows",
    "read_attributes",
    "write_attributes",
)


class SqlTx(MfaRows, AdminRows, ConsoleRows, BulkRows):
    """One unit of work. Made by `SqlStore.begin()`; the store commits or rolls back, never this class."""

    def __init__(self, conn: Connection, sealer: Sealer, cache: ReadCache | None = None) -> None:
        self._conn = conn
        self._sealer = sealer
        self._cache = cache if cache is not None else ReadCache(ttl=0.0)
        self.wrote_cached = False  # this unit of work wrote a cached row: the store invalidates at its end

    # -- helpers ---------------------------------------------------------------------------------------

    @contextmanager
    def _guard(self, what: str, *, statements: int = 2) -> Iterator[None]:
        """Run a write in a SAVEPOINT; a lost race becomes StoreConflict and undoes only this write.

        One statement on SQLite needs no SAVEPOINT: a failed statement undoes itself there."""
        try:
            if statements == 1 and self._conn.dialect.name == "sqlite":
                yield
            else:
                with self._conn.begin_nested():
                    yield
        except IntegrityError as exc:
            raise StoreConflict(f"{what}: {type(exc.orig).__name__}") from exc
        except DBAPIError as exc:
            # PostgreSQL class 40 (deadlock, serialization failure) is a lost race too.
            if str(getattr(exc.orig, "sqlstate", "")).startswith("40"):
                raise StoreConflict(f"{what}: {type(exc.orig).__name__}") from exc
            raise

    def _execute(self, statement: sa.Executable) -> sa.CursorResult[Any]:
        return self._conn.execute(statement)

    def _one(self, statement: sa.Select[Any]) -> Row[Any] | None:
        return self._conn.execute(statement).first()

    def _put(self, table: sa.Table, values: Mapping[str, Any]) -> None:
        self._conn.execute(_upsert(self._conn.dialect.name, table, values), values)

    def _seal(self, value: str, context: str) -> str:
        return self._sealer.seal_text(value, context)

    def _open(self, sealed: str, context: str) -> str:
        return self._sealer.unseal_text(sealed, context)

    # -- pools and app clients -------------------------------------------------------------------------

    def get_pool(self, pool_id: str) -> Pool | None:
        row = self._one(sa.select(t.pools).where(t.pools.c.id == pool_id))
        return None if row is None else self._pool(row)

    def list_pools(self) -> Sequence[Pool]:
        """Every pool, oldest first."""
        rows = self._conn.execute(sa.select(t.pools).order_by(t.pools.c.created_at, t.pools.c.id))
        return [self._pool(row) for row in rows]

    def put_pool(self, pool: Pool) -> None:
        """Insert, or replace every column of the pool with this id."""
        self._put(t.pools, _values(pool, secret=self._sealer.seal(pool.secret, f"pools.secret/{pool.id}")))

    def _pool(self, row: Row[Any]) -> Pool:
        r = row._asdict()
        return Pool(**{**r, "secret": self._sealer.unseal(r["secret"], f"pools.secret/{r['id']}")})

    def get_client(self, client_id: str) -> Client | None:
        """The client (a copy: callers may change it), from the per-process cache when it is there."""
        hit, cached = self._cache.get(("client", client_id))
        if not hit:
            generation = self._cache.generation
            row = _CLIENT.first(self._conn, {"id": client_id})
            cached = None if row is None else self._client(row)
            self._cache.put(("client", client_id), cached, generation)
        if cached is None:
            return None
        copy = object.__new__(Client)  # a shallow copy (every field is immutable), without replace()'s cost
        copy.__dict__.update(cast(Client, cached).__dict__)
        return copy

    def list_clients(self, pool_id: str) -> Sequence[Client]:
        """The pool's clients, oldest first."""
        query = sa.select(t.clients).where(t.clients.c.pool_id == pool_id)
        rows = self._conn.execute(query.order_by(t.clients.c.created_at, t.clients.c.id))
        return [self._client(row._asdict()) for row in rows]

    def put_client(self, client: Client) -> None:
        """Insert, or replace every column of the client with this id."""
        secret = None if client.secret is None else self._seal(client.secret, f"clients.secret/{client.id}")
        encoded = {name: _dumps(list(getattr(client, name))) for name in _CLIENT_LISTS}
        self._cached_write()
        self._put(t.clients, _values(client, secret=secret, **encoded))

    def delete_client(self, client_id: str) -> None:
        """Delete the client; its sign-ins in progress and token families go with it (their tokens stop working)."""
        self._cached_write()
        ts = t.token_sessions
        families = sa.select(ts.c.origin_jti).where(ts.c.client_id == client_id)
        self._execute(sa.delete(t.refresh_tokens).where(t.refresh_tokens.c.origin_jti.in_(families)))
        for table in (t.token_sessions, t.auth_sessions, t.authorization_codes):
            self._execute(sa.delete(table).where(table.c.client_id == client_id))
        self._execute(sa.delete(t.clients).where(t.clients.c.id == client_id))

    def _cached_write(self) -> None:
        self.wrote_cached = True
        self._cache.invalidate()

    def _client(self, r: dict[str, Any]) -> Client:
        for name in _CLIENT_LISTS:
            r[name] = _tuple(r[name])
        if r["secret"] is not None:
            r["secret"] = self._open(r["secret"], f"clients.secret/{r['id']}")
        return Client(**r)

    # -- groups ----------------------------------------------------------------------------------------------

    def list_groups(self, pool_id: str) -> Sequence[Group]:
        """The pool's groups by precedence (groups without one last), then name."""
        g = t.groups
        query = sa.select(g).where(g.c.pool_id == pool_id)
        rows = self._conn.execute(query.order_by(g.c.precedence.is_(None), g.c.precedence, g.c.name))
        return [Group(**row._asdict()) for row in rows]

    def get_group(self, pool_id: str, name: str) -> Group | None:
        g = t.groups
        row = self._one(sa.select(g).where(g.c.pool_id == pool_id, g.c.name == name))
        return None if row is None else Group(**row._asdict())

    def put_group(self, group: Group) -> None:
        """Insert, or replace every column of the group with this name."""
        self._put(t.groups, _values(group))

    def delete_group(self, pool_id: str, name: str) -> None:
        """Delete the group and its memberships."""
        m = t.group_members
        self._execute(sa.delete(m).where(m.c.pool_id == pool_id, m.c.group_name == name))
        self._execute(sa.delete(t.groups).where(t.groups.c.pool_id == pool_id, t.groups.c.name == name))

    # -- users -----------------------------------------------------------------------------------------

    def get_user(self, pool_id: str, sub: str) -> User | None:
        return self._user(_USER_BY_SUB.rows(self._conn, {"pool_id": pool_id, "sub": sub}))

    def find_user(self, pool_id: str, login_key: str) -> User | None:
        """The user who owns `login_key` (exactly as given: the core normalises keys) in the pool."""
        return self._user(_USER_BY_LOGIN.rows(self._conn, {"pool_id": pool_id, "login_key": login_key}))

    def insert_user(self, user: User) -> None:
        """Insert the user and one `user_logins` row per login key.

        StoreConflict when the `sub` or any login key is already taken in the pool; then nothing of this
        user is written and the transaction stays usable.
        """
        with self._guard("insert_user"):
            self._conn.execute(_INSERT_USER, self._user_values(user))
            self._add_logins(user.pool_id, user.sub, user.login_keys)
            self._index_user(user, replace=False)

    def update_user(self, user: User) -> None:
        """Write the user if its row still has `user.version`, then bump `user.version`.

        Login keys are brought in line with `user.login_keys`. StoreConflict (and nothing written) when
        the row changed since it was read, was deleted, or a new login key belongs to another user.
        """
        lk = t.user_logins
        values = self._user_values(user)
        values["version"] = user.version + 1
        key_cols = ("pool_id", "sub")
        params = {k: v for k, v in values.items() if k not in key_cols}
        params.update(w_pool_id=user.pool_id, w_sub=user.sub, w_version=user.version)
        with self._guard("update_user"):
            # The version check and the write are one statement: PostgreSQL re-checks the WHERE after
            # waiting on a concurrent writer's row lock; on SQLite a writer that read an older version
            # cannot get the write lock at all (see engine.py), or holds it from BEGIN IMMEDIATE.
            changed = self._conn.execute(_UPDATE_USER, params).rowcount
            if changed != 1:
                raise StoreConflict(f"update_user: user {user.sub} changed or vanished since it was read")
            mine = sa.and_(lk.c.pool_id == user.pool_id, lk.c.user_sub == user.sub)
            current = set(self._conn.execute(_USER_KEYS, {"pool_id": user.pool_id, "sub": user.sub}).scalars())
            if removed := current - user.login_keys:
                self._execute(sa.delete(lk).where(mine, lk.c.login_key.in_(removed)))
            self._add_logins(user.pool_id, user.sub, user.login_keys - current)
            self._index_user(user, replace=True)
        user.version += 1

    def delete_user(self, pool_id: str, sub: str) -> None:
        """Delete the user with its login keys, codes, token families, sign-ins, web sessions and
        authorization codes. Deleting a user that does not exist is not an error."""
        # The user row first: that waits for a concurrent update_user to finish, and the foreign key then
        # cascades to every login key, those that update added included.
        self._execute(sa.delete(t.users).where(t.users.c.pool_id == pool_id, t.users.c.sub == sub))
        ts = t.token_sessions
        families = sa.select(ts.c.origin_jti).where(ts.c.pool_id == pool_id, ts.c.user_sub == sub)
        self._execute(sa.delete(t.refresh_tokens).where(t.refresh_tokens.c.origin_jti.in_(families)))
        dependants = (
            t.user_logins, t.codes, t.token_sessions, t.auth_sessions, t.web_sessions, t.authorization_codes, t.devices,
            t.user_mfa, t.recovery_codes, t.group_members, t.user_search,
        )  # fmt: skip
        for table in dependants:
            self._execute(sa.delete(table).where(table.c.pool_id == pool_id, table.c.user_sub == sub))

    def count_users(self, pool_id: str) -> int:
        query = sa.select(sa.func.count()).select_from(t.users).where(t.users.c.pool_id == pool_id)
        return int(self._conn.execute(query).scalar_one())

    def _user_values(self, user: User) -> dict[str, Any]:
        verifier = user.srp_verifier
        values = _values(
            user,
            status=str(user.status),
            attributes=_dumps(user.attributes),
            pending_attributes=_dumps(user.pending_attributes),
            srp_verifier=None
            if verifier is None
            else self._seal(verifier, f"users.srp_verifier/{user.pool_id}/{user.sub}"),
        )
        del values["login_keys"]  # stored as user_logins rows
        return values

    def _add_logins(self, pool_id: str, sub: str, keys: Iterable[str]) -> None:
        # Sorted: two calls claiming overlapping keys lock them in the same order, so they cannot deadlock.
        rows = [{"pool_id": pool_id, "login_key": key, "user_sub": sub} for key in sorted(keys)]
        if rows:
            self._conn.execute(_INSERT_LOGINS, rows)

    def _user(self, rows: Sequence[dict[str, Any]]) -> User | None:
        """The user from `_USER_WITH_KEYS` rows (one per login key, the same user columns in each)."""
        if not rows:
            return None
        r = dict(rows[0])
        del r["login_key_"]
        return self._user_from(r, frozenset(row["login_key_"] for row in rows if row["login_key_"] is not None))

    def _user_row(self, row: Row[Any]) -> User:
        """The user from a plain `users` row (listings); its login keys cost one more query."""
        return self._user_from(row._asdict())

    def _user_from(self, r: dict[str, Any], login_keys: frozenset[str] | None = None) -> User:
        if login_keys is None:
            lk = t.user_logins
            login_keys = frozenset(
                self._conn.execute(
                    sa.select(lk.c.login_key).where(lk.c.pool_id == r["pool_id"], lk.c.user_sub == r["sub"])
                ).scalars()
            )
        r.update(
            status=UserStatus(r["status"]),
            attributes=json.loads(r["attributes"]),
            pending_attributes=json.loads(r["pending_attributes"]),
            login_keys=login_keys,
        )
        if r["srp_verifier"] is not None:
            r["srp_verifier"] = self._open(r["srp_verifier"], f"users.srp_verifier/{r['pool_id']}/{r['sub']}")
        return User(**r)

    # -- one-time codes --------------------------------------------------------------------------------

    def put_code(self, code: OneTimeCode) -> None:
        """Insert, or replace the code for the same (pool, user, purpose)."""
        self._put(t.codes, _values(code))

    def get_code(self, pool_id: str, user_sub: str, purpose: str) -> OneTimeCode | None:
        """The code even when expired: the core checks `expires_at`. Every read is followed by a write of
        the same row (an attempt or a send counted), so on PostgreSQL the row is locked until commit and a
        concurrent request counts on top of this one; SQLite's BEGIN IMMEDIATE serialises them anyway."""
        row = self._conn.execute(_CODE, {"pool_id": pool_id, "user_sub": user_sub, "purpose": purpose}).first()
        return None if row is None else OneTimeCode(**row._asdict())

    def delete_code(self, pool_id: str, user_sub: str, purpose: str) -> None:
        c = t.codes
        self._execute(sa.delete(c).where(c.c.pool_id == pool_id, c.c.user_sub == user_sub, c.c.purpose == purpose))

    # -- sign-ins in progress --------------------------------------------------------------------------

    def put_auth_session(self, session: AuthSession) -> None:
        """Insert, or replace the sign-in with this id. StoreConflict when another sign-in holds the same
        `session_hash` or `secret_block_hash`."""
        state = self._seal(_dumps(session.state), f"auth_sessions.state/{session.id}")
        with self._guard("put_auth_session", statements=1):
            self._put(t.auth_sessions, _values(session, state=state))

    def get_auth_session(
        self, *, session_hash: str | None = None, secret_block_hash: str | None = None
    ) -> AuthSession | None:
        """The sign-in with this session hash, or this SRP secret-block hash (give exactly one). Expired
        sign-ins are returned too: the core checks `expires_at`."""
        if (session_hash is None) == (secret_block_hash is None):
            raise TypeError("get_auth_session takes exactly one of session_hash and secret_block_hash")
        query, match = (
            (_AS_BY_SESSION, session_hash) if session_hash is not None else (_AS_BY_SECRET_BLOCK, secret_block_hash)
        )
        # Locked until the unit of work ends: a second answer to the same challenge waits, then finds it spent
        # or sees the attempt this one counted.
        row = self._conn.execute(query, {"h": match}).first()
        if row is None:
            return None
        r = row._asdict()
        return AuthSession(**{**r, "state": json.loads(self._open(r["state"], f"auth_sessions.state/{r['id']}"))})

    def delete_auth_session(self, session_id: str) -> None:
        self._conn.execute(_AS_DELETE, {"id": session_id})

    # -- token families --------------------------------------------------------------------------------

    def put_token_session(self, session: TokenSession) -> None:
        """Insert, or replace the family with this `origin_jti`. StoreConflict when another family holds
        the same `refresh_hash`."""
        with self._guard("put_token_session", statements=1):
            self._put(t.token_sessions, _values(session, scopes=_dumps(list(session.scopes))))

    def get_token_session(self, origin_jti: str) -> TokenSession | None:
        return self._token_session(_TS_BY_ORIGIN.first(self._conn, {"origin_jti": origin_jti}))

    def find_token_session(self, refresh_hash: str) -> TokenSession | None:
        """The family of this refresh token, revoked or expired ones included (the core checks both)."""
        return self._token_session(_TS_BY_REFRESH.first(self._conn, {"refresh_hash": refresh_hash}))

    def revoke_token_session(self, origin_jti: str, at: float) -> None:
        """Mark the family revoked at `at`; a family revoked before keeps its first revocation time."""
        ts = t.token_sessions
        self._execute(
            sa.update(ts).where(ts.c.origin_jti == origin_jti, ts.c.revoked_at.is_(None)).values(revoked_at=at)
        )

    def revoke_user_token_sessions(self, pool_id: str, user_sub: str, at: float) -> int:
        """Revoke every live family of the user; returns how many were revoked now (not before)."""
        ts = t.token_sessions
        stmt = sa.update(ts).where(ts.c.pool_id == pool_id, ts.c.user_sub == user_sub, ts.c.revoked_at.is_(None))
        return int(self._execute(stmt.values(revoked_at=at)).rowcount)

    def list_user_token_sessions(
        self, pool_id: str, user_sub: str, now: float, limit: int
    ) -> list[tuple[TokenSession, float]]:
        ts, rt = t.token_sessions, t.refresh_tokens
        last = sa.select(sa.func.max(rt.c.created_at)).where(rt.c.origin_jti == ts.c.origin_jti).scalar_subquery()
        query = (
            sa.select(ts, last.label("last_active"))
            .where(ts.c.pool_id == pool_id, ts.c.user_sub == user_sub)
            .where(ts.c.revoked_at.is_(None), ts.c.expires_at > now)
            .order_by(ts.c.created_at.desc(), ts.c.origin_jti)
            .limit(limit)
        )
        found = []
        for row in self._execute(query):
            r = row._asdict()
            last_active = r.pop("last_active")
            session = TokenSession(**{**r, "scopes": _tuple(r["scopes"])})
            found.append((session, session.created_at if last_active is None else float(last_active)))
        return found

    def _token_session(self, r: dict[str, Any] | None) -> TokenSession | None:
        if r is None:
            return None
        return TokenSession(**{**r, "scopes": _tuple(r["scopes"])})

    # -- refresh tokens (rotation) ---------------------------------------------------------------------

    def add_refresh_token(self, token: RefreshToken) -> None:
        """StoreConflict when the hash is taken (256-bit tokens: only a bug or an attack gets here)."""
        inserted = self._conn.execute(_insert_ignore(self._conn.dialect.name, t.refresh_tokens), _values(token))
        if inserted.first() is None:
            raise StoreConflict("add_refresh_token: the token hash is taken")

    def find_refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = _RT_BY_HASH.first(self._conn, {"token_hash": token_hash})
        return None if row is None else RefreshToken(**row)

    def supersede_refresh_token(self, token_hash: str, at: float) -> bool:
        """Retire the token; True only for the one caller that retired it (two refreshes racing with one
        token: exactly one rotates, the other sees a reuse)."""
        return self._conn.execute(_RT_SUPERSEDE, {"w_token_hash": token_hash, "at": at}).rowcount == 1

    # -- devices ---------------------------------------------------------------------------------------

    def put_device(self, device: Device) -> None:
        context = f"devices.verifier/{device.pool_id}/{device.key}"
        verifier = None if device.verifier is None else self._seal(device.verifier, context)
        self._put(t.devices, _values(device, verifier=verifier))

    def get_device(self, pool_id: str, key: str) -> Device | None:
        row = _DEVICE.first(self._conn, {"pool_id": pool_id, "key": key})
        return None if row is None else self._device(row)

    def list_devices(self, pool_id: str, user_sub: str) -> Sequence[Device]:
        """The user's devices, most recently used first."""
        d = t.devices
        used = sa.func.coalesce(d.c.last_authenticated_at, d.c.created_at)
        query = sa.select(d).where(d.c.pool_id == pool_id, d.c.user_sub == user_sub)
        return [self._device(row._asdict()) for row in self._conn.execute(query.order_by(used.desc(), d.c.key))]

    def device_group_key(self, pool_id: str, user_sub: str) -> str | None:
        row = _DEVICE_GROUP.first(self._conn, {"pool_id": pool_id, "user_sub": user_sub})
        return None if row is None else str(row["group_key"])

    def delete_unconfirmed_devices(self, pool_id: str, user_sub: str, before: float) -> int:
        params = {"pool_id": pool_id, "user_sub": user_sub, "before": before}
        return int(self._conn.execute(_DELETE_UNCONFIRMED, params).rowcount)

    def delete_device(self, pool_id: str, key: str) -> None:
        self._execute(sa.delete(t.devices).where(t.devices.c.pool_id == pool_id, t.devices.c.key == key))

    def _device(self, r: dict[str, Any]) -> Device:
        if r["verifier"] is not None:
            r["verifier"] = self._open(r["verifier"], f"devices.verifier/{r['pool_id']}/{r['key']}")
        return Device(**r)

    # -- signing keys ----------------------------------------------------------------------------------

    def list_signing_keys(self, pool_id: str) -> Sequence[SigningKey]:
        """The pool's keys, active or not, oldest first."""
        k = t.signing_keys
        rows = self._conn.execute(sa.select(k).where(k.c.pool_id == pool_id).order_by(k.c.created_at, k.c.kid))
        keys = []
        for row in rows:
            r = row._asdict()
            keys.append(
                SigningKey(**{**r, "private_pem": self._open(r["private_pem"], f"signing_keys.private_pem/{r['kid']}")})
            )
        return keys

    def put_signing_key(self, key: SigningKey) -> None:
        """Insert, or replace the key with this `kid` (to deactivate it, for instance)."""
        self._put(
            t.signing_keys, _values(key, private_pem=self._seal(key.private_pem, f"signing_keys.private_pem/{key.kid}"))
        )

    def delete_signing_key(self, pool_id: str, kid: str) -> None:
        k = t.signing_keys
        self._execute(sa.delete(k).where(k.c.pool_id == pool_id, k.c.kid == kid))

    # -- outgoing messages -----------------------------------------------------------------------------

    def add_message(self, message: Message) -> int:
        """Append the message; returns its id (also set on `message.id`). Ids only ever increase."""
        # Body and code carry one-time codes: sealed like every other secret, bound to the pool and recipient.
        context = f"{message.pool_id}/{message.to}"
        values = _values(
            message,
            recipient=message.to,
            body=self._seal(message.body, f"messages.body/{context}"),
            code=None if message.code is None else self._seal(message.code, f"messages.code/{context}"),
        )
        del values["to"], values["id"]
        new_id = int(self._execute(sa.insert(t.messages).values(values).returning(t.messages.c.id)).scalar_one())
        message.id = new_id
        return new_id

    def list_messages(self, pool_id: str, *, after_id: int = 0) -> Sequence[Message]:
        """The pool's messages with an id above `after_id`, oldest first."""
        m = t.messages
        query = sa.select(m).where(m.c.pool_id == pool_id, m.c.id > after_id).order_by(m.c.id)
        messages = []
        for row in self._conn.execute(query):
            r = row._asdict()
            r["to"] = r.pop("recipient")
            context = f"{r['pool_id']}/{r['to']}"
            r["body"] = self._open(r["body"], f"messages.body/{context}")
            if r["code"] is not None:
                r["code"] = self._open(r["code"], f"messages.code/{context}")
            messages.append(Message(**r))
        return messages

    # -- OAuth authorization codes ---------------------------------------------------------------------

    def put_authorization_code(self, code: AuthorizationCode) -> None:
        self._put(t.authorization_codes, _values(code, scopes=_dumps(list(code.scopes))))

    def take_authorization_code(self, code_hash: str) -> AuthorizationCode | None:
        """Delete the code and return it, in one statement: of two racing callers exactly one gets it (the
        other's DELETE finds no row once the first commits). Expired codes are returned too."""
        ac = t.authorization_codes
        row = self._execute(sa.delete(ac).where(ac.c.code_hash == code_hash).returning(*ac.c)).first()
        if row is None:
            return None
        r = row._asdict()
        return AuthorizationCode(**{**r, "scopes": _tuple(r["scopes"])})

    # -- hosted Authenticator browser sessions ---------------------------------------------------------

    def put_web_session(self, session: WebSession) -> None:
        self._put(t.web_sessions, _values(session))

    def get_web_session(self, id_hash: str) -> WebSession | None:
        """The session even when expired: the core checks `expires_at`."""
        row = self._one(sa.select(t.web_sessions).where(t.web_sessions.c.id_hash == id_hash))
        return None if row is None else WebSession(**row._asdict())

    def delete_web_session(self, id_hash: str) -> None:
        self._execute(sa.delete(t.web_sessions).where(t.web_sessions.c.id_hash == id_hash))

    def delete_user_web_sessions(self, pool_id: str, user_sub: str) -> int:
        """End every hosted sign-in of the user (global sign-out, password reset); returns how many."""
        w = t.web_sessions
        return self._execute(sa.delete(w).where(w.c.pool_id == pool_id, w.c.user_sub == user_sub)).rowcount

    # -- shared counters -------------------------------------------------------------------------------

    def get_throttle(self, pool_id: str, key: str, *, lock: bool = False) -> Throttle | None:
        """The counter, or None. With `lock`, a missing row is first created empty (count 0) so that the
        row lock holds even for the first count: two processes counting the same key at once count one
        after the other instead of both writing 1."""
        params = {"pool_id": pool_id, "key": key}
        if not lock:
            found = _THROTTLE.first(self._conn, params)
            return None if found is None else Throttle(**found)
        empty = {**params, "count": 0.0, "stamp": 0.0, "until": 0.0, "expires_at": 0.0}
        self._conn.execute(_insert_ignore(self._conn.dialect.name, t.throttles), empty).close()
        row = self._conn.execute(_THROTTLE_LOCKED, params).first()
        return None if row is None else Throttle(**row._asdict())

    def put_throttle(self, throttle: Throttle) -> None:
        self._put(t.throttles, _values(throttle))

    def delete_throttle(self, pool_id: str, key: str) -> None:
        th = t.throttles
        self._execute(sa.delete(th).where(th.c.pool_id == pool_id, th.c.key == key))

    # -- sign-ins sent to an external identity provider ------------------------------------------------

    def put_federation_state(self, state: FederationState) -> None:
        sealed = self._seal(_dumps(state.secrets), f"federation_states.secrets/{state.state_hash}")
        self._put(t.federation_states, _values(state, secrets=sealed))

    def take_federation_state(self, state_hash: str) -> FederationState | None:
        """Delete and return in one statement, like authorization codes: a state comes back once."""
        fs = t.federation_states
        row = self._execute(sa.delete(fs).where(fs.c.state_hash == state_hash).returning(*fs.c)).first()
        if row is None:
            return None
        r = row._asdict()
        opened = self._open(r["secrets"], f"federation_states.secrets/{r['state_hash']}")
        return FederationState(**{**r, "secrets": json.loads(opened)})

    # -- housekeeping ----------------------------------------------------------------------------------

    def purge_expired(self, now: float) -> int:
        """Delete codes, sign-ins, authorization codes, web and console sessions and counters whose
        `expires_at` is before `now`, and token families that expired more than a day before `now`; returns
        the number of rows deleted."""
        deleted = 0
        expiring = (t.codes, t.auth_sessions, t.authorization_codes, t.web_sessions, t.console_sessions)
        for table in (*expiring, t.throttles, t.federation_states):
            deleted += self._execute(sa.delete(table).where(table.c.expires_at < now)).rowcount
        ts = t.token_sessions
        deleted += self._execute(sa.delete(ts).where(ts.c.expires_at < now - TOKEN_SESSION_GRACE)).rowcount
        return deleted
