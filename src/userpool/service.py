"""Running a flow: one unit of work per call, errors decided once, messages delivered after commit.

The JSON API, the hosted Authenticator and the CLI all call flows through `UserPool.run`, so a sign-up is
the same sign-up wherever it starts.

Each call first runs optimistically (`Store.begin(optimistic=True)`: on SQLite no write lock until the
flow's first write, so argon2id never runs under it and read-only actions never take it). If the store
answers `StoreRetry` — another writer committed after this flow read, so it may not write on that basis —
the flow runs once more, not optimistically (the lock is taken up front, waiting for it), with the same
inputs; argon2id results of the first attempt are reused (`_RememberingHasher`), so the retry is cheap.
See `store/sql/engine.py` for why this cannot lose an update.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from userpool import waits
from userpool.core import audit, rate_limits
from userpool.core.config import PoolConfig
from userpool.core.context import Ctx, Origin
from userpool.core.errors import CognitoError, StoreBusy, StoreRetry, TooManyRequestsException
from userpool.core.ports import Clock, Counters, Keyed, PasswordHasher, Random, TokenSigner, TriggerRunner
from userpool.core.store import Store
from userpool.courier import Courier

# Where the current request came from: set by the server's middleware (server.py), read into each Ctx.
# A context variable, so it follows the request onto the worker thread that runs the flow.
ORIGIN: ContextVar[Origin] = ContextVar("userpool_origin", default=Origin())  # noqa: B039 - frozen, shared

# The audit entry for the change the current admin request makes (set by the signed admin API and the CLI
# around the one flow that makes it; the console passes its entries explicitly): written by `audit.audited`
# in that flow's unit of work, so a change that commits has its entry and a refused one has none.
AUDIT: ContextVar[audit.Audit | None] = ContextVar("userpool_audit", default=None)

# Whether a flow run in this context found a user by a name it was given (`Ctx.found_named_user`): set by
# `UserPool.run` whether the flow answered or refused, read by the equal-time floors (api/equal_time.py).
FOUND_NAMED_USER: ContextVar[bool] = ContextVar("userpool_found_named_user", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class UserPool:
    """One deployed pool: its settings, store and ports. `config` is swapped whole on redeploy."""

    config: PoolConfig
    store: Store
    clock: Clock
    random: Random
    hasher: PasswordHasher
    keyed: Keyed
    signer: TokenSigner
    courier: Courier
    default_client_id: str
    triggers: TriggerRunner | None = None  # runs the definition's triggers (bootstrap wires a thread runner)
    counters: Counters | None = None  # shared counters elsewhere than the store (Redis); None: the store's

    def limit(self, action: str, address: str) -> None:
        """Spend a token of `address`'s bucket for a class of `action` (core/rate_limits.py), in a unit of
        work of its own, so it stays spent whatever the action then does. Refusal: the class's error."""
        if action in self.config.security.rate_limits and address:
            self.run(rate_limits.take, action=action, address=address)

    def run(self, flow: Callable[Concatenate[Ctx, P], R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `flow` in one unit of work, optimistic first (on SQLite: the write lock only at its first write;
        run again, waiting for the lock, when that write cannot be had — see store/sql/engine.py)."""
        return self._attempts(True, flow, *args, **kwargs)

    def run_writing(self, flow: Callable[Concatenate[Ctx, P], R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """`run` for a unit of work that writes within its first statements and hashes no password (an SRP
        proof spends its challenge first): it takes the write lock up front instead, as the optimistic attempt
        would mostly fail at that first write when other sign-ins commit meanwhile (measured: 60% of SRP
        units of work under load), and each failure is the unit's reads and work done twice."""
        with waits.up_front_lock_waits():  # the same queue for every name: not the flow's own time
            return self._attempts(False, flow, *args, **kwargs)

    def _attempts(
        self, optimistic: bool, flow: Callable[Concatenate[Ctx, P], R], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        config = self.config  # one request sees one definition, even across a redeploy
        hasher = _RememberingHasher(self.hasher)
        try:
            try:
                return self._run(config, hasher, optimistic, flow, *args, **kwargs)
            except StoreRetry:
                # Nothing was written. Again, waiting for the write lock this time: it cannot lose this way twice.
                return self._run(config, hasher, False, flow, *args, **kwargs)
        except StoreBusy:
            # Nothing was written. Cognito's throttling answer: the SDKs (Amplify, botocore) retry it.
            raise TooManyRequestsException("The user pool is busy; retry the request.") from None

    def _run(
        self,
        config: PoolConfig,
        hasher: PasswordHasher,
        optimistic: bool,
        flow: Callable[Concatenate[Ctx, P], R],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        with self.store.begin(optimistic=optimistic) as tx:
            ctx = Ctx(
                tx=tx,
                pool=config,
                clock=self.clock,
                random=self.random,
                hasher=hasher,
                keyed=self.keyed,
                signer=self.signer,
                triggers=self.triggers,
                origin=ORIGIN.get(),
                shared=self.counters,
            )
            entry = AUDIT.get()
            try:
                try:
                    if entry is None:
                        result = flow(ctx, *args, **kwargs)
                    else:
                        result = audit.audited(ctx, entry, flow, *args, **kwargs)
                finally:
                    if ctx.found_named_user:
                        FOUND_NAMED_USER.set(True)
            except CognitoError as err:
                if not err.keep_writes:
                    raise
                # Commit what the flow deliberately kept (a counted attempt, a spent code), then refuse.
                outcome: CognitoError | None = err
            else:
                outcome = None
            if outcome is not None:
                ctx.outbox.clear()  # nothing is sent for a refused request
            self.courier.record(tx, ctx.outbox)
        if outcome is not None:
            raise outcome
        self.courier.deliver(ctx.outbox)
        return result


class _RememberingHasher:
    """The pool's hasher for one `run`: an argon2id result computed in a first attempt is reused by the
    retry (same hash and password, same answer), so a retried sign-in does not hash twice. Lives for one
    request only."""

    def __init__(self, inner: PasswordHasher) -> None:
        self._inner = inner
        self._verified: dict[tuple[str, str], bool] = {}
        self._hashed: dict[str, str] = {}
        self._burned: set[str] = set()

    def hash(self, password: str) -> str:
        encoded = self._hashed.get(password)
        if encoded is None:
            encoded = self._hashed[password] = self._inner.hash(password)
        return encoded

    def verify(self, encoded: str, password: str) -> bool:
        key = (encoded, password)
        ok = self._verified.get(key)
        if ok is None:
            ok = self._verified[key] = self._inner.verify(encoded, password)
        return ok

    def needs_rehash(self, encoded: str) -> bool:
        return self._inner.needs_rehash(encoded)

    def scheme(self, encoded: str) -> str | None:
        return self._inner.scheme(encoded)

    def burn(self, password: str) -> None:
        if password not in self._burned:
            self._inner.burn(password)
            self._burned.add(password)
