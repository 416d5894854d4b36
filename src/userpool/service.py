"""Running a flow: one unit of work per call, errors decided once, messages delivered after commit.

The JSON API, the hosted Authenticator and the CLI all call flows through `UserPool.run`, so a sign-up is
the same sign-up wherever it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from userpool.core import rate_limits
from userpool.core.config import PoolConfig
from userpool.core.context import Ctx
from userpool.core.errors import CognitoError, StoreBusy, TooManyRequestsException
from userpool.core.ports import Clock, Counters, Keyed, PasswordHasher, Random, TokenSigner, TriggerRunner
from userpool.core.store import Store
from userpool.courier import Courier

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
        try:
            return self._run(flow, *args, **kwargs)
        except StoreBusy:
            # Nothing was written. Cognito's throttling answer: the SDKs (Amplify, botocore) retry it.
            raise TooManyRequestsException("The user pool is busy; retry the request.") from None

    def _run(self, flow: Callable[Concatenate[Ctx, P], R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        config = self.config  # one request sees one definition, even across a redeploy
        with self.store.begin() as tx:
            ctx = Ctx(
                tx=tx,
                pool=config,
                clock=self.clock,
                random=self.random,
                hasher=self.hasher,
                keyed=self.keyed,
                signer=self.signer,
                triggers=self.triggers,
                shared=self.counters,
            )
            try:
                result = flow(ctx, *args, **kwargs)
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
