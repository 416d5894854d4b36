"""An in-process pool on a real SQLite store, with a clock the test moves (for the core's unit tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycognito.aws_srp import AWSSRP

from userpool.bootstrap import open_pool
from userpool.core.flows import sign_in, sign_up
from userpool.core.model import Message
from userpool.core.tokens import AuthResult
from userpool.courier import SandboxCourier
from userpool.crypto.sealing import Sealer
from userpool.definition import define_auth
from userpool.service import UserPool
from userpool.store import SqlStore, open_store

PASSWORD = "Corr3ct-Horse!"


class MovableClock:
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class PoolHarness:
    pool: UserPool
    store: SqlStore
    clock: MovableClock
    sent: list[Message]

    @property
    def client_id(self) -> str:
        return self.pool.default_client_id

    def code_for(self, to: str) -> str:
        code = [m.code for m in self.sent if m.to.lower() == to.lower() and m.code][-1]
        assert code is not None
        return code

    def count_users(self) -> int:
        with self.store.begin() as tx:
            return tx.count_users(self.pool.config.pool_id)

    def count_rows(self, table: str) -> int:
        """Rows in one of the store's tables: what a refused action must not have left behind."""
        import sqlalchemy as sa

        with self.store.engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())

    def sign_up(self, email: str, password: str = PASSWORD, **attrs: str) -> str:
        result = self.pool.run(
            sign_up.sign_up,
            client_id=self.client_id,
            username=email,
            password=password,
            attributes={"email": email, **attrs},
        )
        return result.user_sub

    def confirmed_user(self, email: str, password: str = PASSWORD) -> str:
        sub = self.sign_up(email, password)
        self.pool.run(sign_up.confirm_sign_up, client_id=self.client_id, username=email, code=self.code_for(email))
        return sub

    def password_sign_in(self, username: str, password: str = PASSWORD) -> AuthResult:
        step = self.pool.run(
            sign_in.initiate_auth,
            client_id=self.client_id,
            flow="USER_PASSWORD_AUTH",
            params={"USERNAME": username, "PASSWORD": password},
        )
        assert isinstance(step, AuthResult)
        return step

    def respond(self, challenge: str, responses: dict[str, str], session: str | None = None) -> Any:
        return self.pool.run(
            sign_in.respond_to_auth_challenge,
            client_id=self.client_id,
            challenge=challenge,
            responses=responses,
            session=session,
        )

    def sign_in_step(self, username: str, password: str = PASSWORD) -> AuthResult | sign_in.Challenge:
        """USER_PASSWORD_AUTH, whatever it answers (tokens or the first challenge after the password)."""
        return self.pool.run(
            sign_in.initiate_auth,
            client_id=self.client_id,
            flow="USER_PASSWORD_AUTH",
            params={"USERNAME": username, "PASSWORD": password},
        )

    def set_attributes(self, sub: str, **attributes: str) -> None:
        """Write attributes straight to the store (a verified phone, say, without its code journey)."""
        with self.store.begin() as tx:
            user = tx.get_user(self.pool.config.pool_id, sub)
            assert user is not None
            user.attributes.update(attributes)
            tx.update_user(user)

    def messages(self, purpose: str) -> list[Message]:
        return [m for m in self.sent if m.purpose == purpose]

    def srp_start(self, username: str, password: str) -> tuple[AWSSRP, sign_in.Challenge]:
        client = AWSSRP(
            username=username,
            password=password,
            pool_id=self.pool.config.pool_id,
            client_id=self.client_id,
            client=object(),
        )
        step = self.pool.run(
            sign_in.initiate_auth, client_id=self.client_id, flow="USER_SRP_AUTH", params=client.get_auth_params()
        )
        assert isinstance(step, sign_in.Challenge)
        return client, step

    def srp_answer(self, client: AWSSRP, challenge: sign_in.Challenge, **override: Any) -> dict[str, str]:
        # pycognito stamps the proof with the real time, so the pool's clock starts at the real time too.
        responses: dict[str, str] = client.process_challenge(challenge.parameters, {"USERNAME": "x"})
        responses.update(override)
        return responses

    def srp_sign_in(self, username: str, password: str = PASSWORD, *, with_session: bool = False) -> Any:
        client, challenge = self.srp_start(username, password)
        return self.pool.run(
            sign_in.respond_to_auth_challenge,
            client_id=self.client_id,
            challenge="PASSWORD_VERIFIER",
            responses=self.srp_answer(client, challenge),
            session=challenge.session if with_session else None,
        )


def make_pool(tmp_path: Path, *, clock: MovableClock | None = None, **definition: Any) -> PoolHarness:
    import time

    clock = clock or MovableClock(time.time())
    key = bytes(range(32))  # a fixed master key: tests need no secrecy, only a valid key
    store = open_store(f"sqlite:///{tmp_path / 'pool.db'}", Sealer(key))
    sent: list[Message] = []
    defn = define_auth(**(definition or {"login_with": {"email": True}}))
    pool, _ = open_pool(store, defn, endpoint="http://127.0.0.1:1", master_key=key, courier=SandboxCourier(sent.append))
    pool.clock = clock
    return PoolHarness(pool=pool, store=store, clock=clock, sent=sent)
