"""A pool with something in it, for the fuzzers to aim at: users in every state, live tokens and sign-ins.

`InProcess` is serve mode's app (JSON API, OAuth, hosted pages) on SQLite behind Starlette's TestClient:
thousands of requests a minute. `World` fills a pool through its JSON API only, so the same world can be
built in a real sandbox process too.
"""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
import sqlalchemy as sa
from pycognito.aws_srp import AWSSRP
from starlette.exceptions import StarletteDeprecationWarning

from tests.security.requests_model import Known
from tests.support.sandbox import PASSWORD
from userpool import define_auth
from userpool.bootstrap import open_pool
from userpool.core.model import Message
from userpool.courier import SandboxCourier
from userpool.crypto.passwords import Argon2Hasher
from userpool.crypto.sealing import Sealer
from userpool.definition.models import AuthDefinition
from userpool.server import build_app
from userpool.service import UserPool
from userpool.store import SqlStore, open_store
from userpool.web import hosted_routes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ENDPOINT = "http://127.0.0.1:9"
CALLBACK = "http://localhost:3000/callback"
TARGET = "AWSCognitoIdentityProviderService."
# Tokens no server issued: `alg: none`, a header nested 1,400 arrays deep (json's recursion limit), junk.
ODD_TOKENS = [
    "eyJhbGciOiJub25lIiwia2lkIjoieCJ9.eyJzdWIiOiJ4IiwidG9rZW5fdXNlIjoiYWNjZXNzIn0.",
    base64.urlsafe_b64encode(b"[" * 1400).rstrip(b"=").decode() + ".e30.c2ln",
    "a.b.c",
]
DEFINITION: dict[str, Any] = {
    "login_with": {"email": True},
    "multifactor": {"mode": "OPTIONAL", "totp": True, "email": True},
    "senders": {"email": {"from_email": "noreply@example.com"}},
    "clients": [
        {
            "name": "rotating",
            "refresh_token_rotation": {"enabled": True, "retry_grace_period_seconds": 0},
            "auth_flows": ["USER_SRP_AUTH", "USER_PASSWORD_AUTH", "CUSTOM_AUTH"],
            "callback_urls": [CALLBACK],
            "logout_urls": ["http://localhost:3000/"],
        },
        {
            "name": "backend",
            "generate_secret": True,
            "auth_flows": ["USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"],
            "callback_urls": [CALLBACK],
        },
    ],
}


if "security" in AuthDefinition.model_fields:  # the defences of issue 9: one test address must not be throttled
    DEFINITION["security"] = {"rate_limits": None}


@dataclass
class InProcess:
    pool: UserPool
    store: SqlStore
    http: TestClient
    sent: list[Message]

    @property
    def engine(self) -> sa.Engine:
        return self.store.engine

    def clients(self) -> dict[str, str]:
        with self.store.begin() as tx:
            return {c.name: c.id for c in tx.list_clients(self.pool.config.pool_id)}

    def code_for(self, to: str) -> str:
        return str([m.code for m in self.sent if m.to.lower() == to.lower() and m.code][-1])


@contextmanager
def in_process(folder: Path) -> Iterator[InProcess]:
    key = bytes(range(32))
    store = open_store(f"sqlite:///{folder / 'pool.db'}", Sealer(key))
    sent: list[Message] = []
    pool, _ = open_pool(
        store,
        define_auth(**DEFINITION),
        endpoint=ENDPOINT,
        master_key=key,
        courier=SandboxCourier(sent.append),
        hasher=Argon2Hasher(memory_cost=1024, time_cost=1),  # the suites test logic, not argon2's cost
    )
    app = build_app(pool, sandbox_mode=False, extra_routes=hosted_routes())
    try:
        with TestClient(app, base_url=ENDPOINT, follow_redirects=False) as http:
            yield InProcess(pool, store, http, sent)
    finally:
        store.close()


Post = Callable[[str, Any], httpx.Response]


def poster(http: httpx.Client | TestClient, endpoint: str = "") -> Post:
    def post(action: str, body: Any) -> httpx.Response:
        target = action if "." in action else TARGET + action
        return http.post(
            endpoint + "/",
            content=json.dumps(body),
            headers={"content-type": "application/x-amz-json-1.1", "x-amz-target": target},
        )

    return post


@dataclass
class World:
    """Users and credentials made through the JSON API; `known` is what the fuzzers draw from."""

    post: Post
    code_for: Callable[[str], str]
    pool_id: str
    clients: dict[str, str]  # name → id; the default client is the one not named in DEFINITION
    known: Known = field(default_factory=Known)
    totp_secret: str = ""
    totp_user: str = ""

    def call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(action, body)
        assert response.status_code == 200, (action, response.status_code, response.text[:300])
        result: dict[str, Any] = response.json()
        return result

    @property
    def default_client(self) -> str:
        return next(cid for name, cid in self.clients.items() if name not in ("rotating", "backend"))

    def confirmed_user(self, prefix: str = "fz", client: str = "") -> str:
        email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"
        client = client or self.default_client
        attrs = [{"Name": "email", "Value": email}]
        self.call("SignUp", {"ClientId": client, "Username": email, "Password": PASSWORD, "UserAttributes": attrs})
        self.call("ConfirmSignUp", {"ClientId": client, "Username": email, "ConfirmationCode": self.code_for(email)})
        return email

    def sign_in(self, email: str, client: str = "") -> dict[str, Any]:
        params = {"USERNAME": email, "PASSWORD": PASSWORD}
        result = self.call(
            "InitiateAuth",
            {"ClientId": client or self.default_client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": params},
        )
        return result

    def build(self) -> World:
        """Fill the pool: run once, then `refresh` before each batch (fuzzed requests spend what they find)."""
        k = self.known
        k.add("ClientId", *self.clients.values(), "1example23456789abcdefghij")
        k.add("Password", PASSWORD, "short", "N3w-Passw0rd!x", "")
        k.add("Code", "123456", "000000", "12345678", "abc")
        k.add("AttributeName", "email", "phone_number", "name", "custom:x")
        k.add("AuthFlow", "USER_PASSWORD_AUTH", "USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH")
        unconfirmed = f"fz-unconfirmed-{uuid.uuid4().hex[:8]}@example.com"
        self.call(
            "SignUp",
            {
                "ClientId": self.default_client,
                "Username": unconfirmed,
                "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": unconfirmed}],
            },
        )
        k.add("Username", unconfirmed, "nobody-" + uuid.uuid4().hex[:6] + "@example.com", "")
        k.add("Code", self.code_for(unconfirmed))
        # A user with TOTP on: their sign-ins stop at SOFTWARE_TOKEN_MFA, a session the fuzzers may answer.
        self.totp_user = self.confirmed_user("fz-totp")
        tokens = self.sign_in(self.totp_user)["AuthenticationResult"]
        associated = self.post("AssociateSoftwareToken", {"AccessToken": tokens["AccessToken"]})
        if associated.status_code != 200:  # a pool without TOTP
            return self.refresh()
        secret = associated.json()["SecretCode"]
        code = pyotp.TOTP(secret).now()
        self.call("VerifySoftwareToken", {"AccessToken": tokens["AccessToken"], "UserCode": code})
        self.call(
            "SetUserMFAPreference",
            {"AccessToken": tokens["AccessToken"], "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}},
        )
        self.totp_secret = secret
        k.add("Username", self.totp_user)
        return self.refresh()

    def refresh(self) -> World:
        """New users, tokens and sessions, replacing the spent ones."""
        k = self.known
        for member in ("AccessToken", "RefreshToken", "Session", "DeviceKey", "SRP_A", "PASSWORD_CLAIM_SECRET_BLOCK"):
            k.values.pop(member, None)
        k.values["Username"] = k.get("Username")[-3:]
        email = self.confirmed_user()
        k.add("Username", email)
        for name, client in self.clients.items():
            if name == "backend":
                continue
            result = self.sign_in(email, client)["AuthenticationResult"]
            k.add("AccessToken", result["AccessToken"], result["IdToken"])  # an ID token where an access one goes
            k.add("RefreshToken", result["RefreshToken"])
            if "NewDeviceMetadata" in result:
                k.add("DeviceKey", result["NewDeviceMetadata"]["DeviceKey"])
        k.add("AccessToken", *ODD_TOKENS)
        srp = AWSSRP(
            username=email, password=PASSWORD, pool_id=self.pool_id, client_id=self.default_client, client=object()
        )
        params = srp.get_auth_params()
        k.add("SRP_A", params["SRP_A"])
        challenge = self.call(
            "InitiateAuth", {"ClientId": self.default_client, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": params}
        )
        k.add("Session", challenge.get("Session") or "")
        k.add("PASSWORD_CLAIM_SECRET_BLOCK", challenge["ChallengeParameters"]["SECRET_BLOCK"])
        mfa = self.post(
            "InitiateAuth",
            {
                "ClientId": self.default_client,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": self.totp_user, "PASSWORD": PASSWORD},
            },
        )
        if self.totp_secret and mfa.status_code == 200 and "Session" in mfa.json():
            k.add("Session", mfa.json()["Session"])
            k.add("Code", pyotp.TOTP(self.totp_secret).now())
        return self


def in_process_world(app: InProcess) -> World:
    return World(
        post=poster(app.http), code_for=app.code_for, pool_id=app.pool.config.pool_id, clients=app.clients()
    ).build()
