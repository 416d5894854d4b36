"""A dump of the whole database holds no usable secret: passwords, tokens, codes, sessions, TOTP and client
secrets and signing keys are hashed or sealed (the master key is never in the database)."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pyotp

from tests.support.pool import PASSWORD, make_pool
from userpool.core.flows import recovery, recovery_codes, software_token
from userpool.core.tokens import AuthResult

ADA = "ada@example.com"


def test_a_database_dump_holds_no_usable_secret(tmp_path: Path) -> None:
    h = make_pool(tmp_path, login_with={"email": True}, multifactor={"mode": "OPTIONAL", "totp": True})
    try:
        h.confirmed_user(ADA)
        signed_in = h.password_sign_in(ADA)
        secret = h.pool.run(software_token.associate, access_token=signed_in.access_token)
        app = pyotp.TOTP(secret)
        h.pool.run(software_token.verify, access_token=signed_in.access_token, code=app.at(h.clock.now()), name="a")
        codes = h.pool.run(recovery_codes.generate, access_token=signed_in.access_token)
        h.clock.advance(30)
        challenge = h.sign_in_step(ADA)  # parked: an MFA challenge waiting, with its session
        assert not isinstance(challenge, AuthResult)
        h.pool.run(recovery.forgot_password, client_id=h.client_id, username=ADA)
        reset_code = h.code_for(ADA)
        with h.store.begin() as tx:
            keys = tx.list_signing_keys(h.pool.config.pool_id)
            pool_secret = tx.get_pool(h.pool.config.pool_id)
        assert pool_secret is not None
        plaintexts = {
            "password": PASSWORD,
            "refresh token": signed_in.refresh_token,
            "access token": signed_in.access_token,
            "id token": signed_in.id_token,
            "totp secret": secret,
            "reset code": reset_code,
            "challenge session": challenge.session,
            "pool secret": base64.b64encode(pool_secret.secret).decode(),
            **{f"recovery code {i}": c for i, c in enumerate(codes)},
            **{f"signing key {k.kid}": k.private_pem.splitlines()[1] for k in keys},
        }
    finally:
        h.store.close()
    with sqlite3.connect(tmp_path / "pool.db") as conn:
        dump = "\n".join(conn.iterdump())
    assert "PRIVATE KEY" not in dump
    leaked = [name for name, value in plaintexts.items() if value and value in dump]
    assert leaked == []
