"""Users imported with another system's password hash sign in with their password, and are moved to
argon2id (with an SRP verifier) at that first sign-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from tests.support.pool import PoolHarness
from userpool.core.errors import NotAuthorizedException, PasswordResetRequiredException
from userpool.core.model import User, UserStatus
from userpool.core.tokens import AuthResult
from userpool.crypto.legacy_hashes import firebase_scrypt_encode
from userpool.crypto.passwords import Argon2Hasher

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "legacy_password_hashes.json").read_text()
)["vectors"]


def encoded(vector: dict[str, Any]) -> str:
    if "firebase" in vector:
        f = vector["firebase"]
        return firebase_scrypt_encode(
            hash_b64=f["hash"],
            salt_b64=f["salt"],
            signer_key_b64=f["signer_key"],
            salt_separator_b64=f["salt_separator"],
            rounds=f["rounds"],
            mem_cost=f["mem_cost"],
        )
    return str(vector["hash"])


hasher = Argon2Hasher(memory_cost=1024, time_cost=1)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['scheme']}:{encoded(v)[:16]}")
def test_published_vectors_verify(vector: dict[str, Any]) -> None:
    stored = encoded(vector)
    assert hasher.scheme(stored) == vector["scheme"]
    assert hasher.verify(stored, vector["password"])
    assert not hasher.verify(stored, vector["password"] + "x")
    assert hasher.needs_rehash(stored)


@pytest.mark.parametrize("variant", ["$2a$", "$2b$", "$2y$"])
def test_bcrypt_variants_are_one_algorithm(variant: str) -> None:
    made = bcrypt.hashpw(b"s3cret-pass", bcrypt.gensalt(4)).decode()
    stored = variant + made[4:]
    assert hasher.scheme(stored) == "bcrypt"
    assert hasher.verify(stored, "s3cret-pass")
    assert not hasher.verify(stored, "s3cret-pasS")


def test_bcrypt_reads_72_bytes_as_the_systems_that_made_it() -> None:
    long = "p" * 80
    stored = bcrypt.hashpw(long.encode()[:72], bcrypt.gensalt(4)).decode()
    assert hasher.verify(stored, long)


@pytest.mark.parametrize("variant", ["argon2i", "argon2d", "argon2id"])
def test_any_argon2_variant_and_parameters(variant: str) -> None:
    from argon2 import PasswordHasher, Type

    kind = {"argon2i": Type.I, "argon2d": Type.D, "argon2id": Type.ID}[variant]
    stored = PasswordHasher(type=kind, memory_cost=2048, time_cost=3, parallelism=2).hash("pw-123456")
    assert hasher.scheme(stored) == variant
    assert hasher.verify(stored, "pw-123456")
    assert not hasher.verify(stored, "pw-123457")
    assert hasher.needs_rehash(stored)  # other parameters (or variant) than the pool's


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "plaintext",
        "$2b$04$short",
        "pbkdf2_sha256$x$salt$abc=",
        "pbkdf2_sha256$1000$salt$not base64!",
        "$pbkdf2-sha256$1000$$",
        "$firebase-scrypt$r=8,m=99$AA==$Bw==$AA==$AA==",  # 2^99 memory: refused, never run
        "$argon2id$v=19$m=1024",
        "$md5$whatever",
    ],
)
def test_malformed_or_unknown_hashes_are_refused(garbage: str) -> None:
    assert hasher.scheme(garbage) is None
    assert not hasher.verify(garbage, "anything")


def _plant(h: PoolHarness, email: str, password_hash: str | None, status: UserStatus = UserStatus.CONFIRMED) -> User:
    """A user as an import leaves them: another system's hash, no SRP verifier."""
    sub = h.confirmed_user(email, "Placeholder-1!")
    with h.store.begin() as tx:
        user = tx.get_user(h.pool.config.pool_id, sub)
        assert user is not None
        user.password_hash, user.srp_salt, user.srp_verifier, user.status = password_hash, None, None, status
        tx.update_user(user)
    return user


def _stored(h: PoolHarness, sub: str) -> User:
    with h.store.begin() as tx:
        user = tx.get_user(h.pool.config.pool_id, sub)
    assert user is not None
    return user


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['scheme']}:{encoded(v)[:16]}")
def test_legacy_user_signs_in_and_is_upgraded(harness: PoolHarness, vector: dict[str, Any]) -> None:
    user = _plant(harness, "legacy@example.com", encoded(vector))
    with pytest.raises(NotAuthorizedException):  # no verifier yet: SRP answers as for a wrong password
        harness.srp_sign_in("legacy@example.com", vector["password"])
    with pytest.raises(NotAuthorizedException):
        harness.password_sign_in("legacy@example.com", vector["password"] + "!")
    assert _stored(harness, user.sub).password_hash == encoded(vector)  # a wrong password changes nothing

    assert isinstance(harness.password_sign_in("legacy@example.com", vector["password"]), AuthResult)
    after = _stored(harness, user.sub)
    assert after.password_hash is not None and after.password_hash.startswith("$argon2id$")
    assert after.srp_verifier and after.srp_salt
    # From now on they are like everyone else: SRP works, and the password still does.
    assert isinstance(harness.srp_sign_in("legacy@example.com", vector["password"]), AuthResult)
    assert isinstance(harness.password_sign_in("legacy@example.com", vector["password"]), AuthResult)


def test_imported_without_a_password_must_reset_as_in_cognito(harness: PoolHarness) -> None:
    _plant(harness, "reset@example.com", None, UserStatus.RESET_REQUIRED)
    with pytest.raises(PasswordResetRequiredException):
        harness.password_sign_in("reset@example.com", "whatever-1A!")
    with pytest.raises(PasswordResetRequiredException):
        harness.srp_start("reset@example.com", "whatever-1A!")
