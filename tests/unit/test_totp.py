"""core/totp.py against RFC 6238's and RFC 4226's test vectors (tests/fixtures) and against pyotp."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from userpool.core import totp

VECTORS = json.loads((Path(__file__).parents[1] / "fixtures" / "rfc6238_totp_sha1.json").read_text())
SEED = VECTORS["totp_seed_ascii"].encode()


@pytest.mark.parametrize("row", VECTORS["totp"], ids=lambda r: str(r["time"]))
def test_rfc6238_appendix_b(row: dict[str, object]) -> None:
    when = float(str(row["time"]))
    assert totp.step_at(when) == row["step"]
    assert totp.totp(SEED, when, digits=VECTORS["totp_digits"]) == row["code"]


def test_rfc4226_appendix_d() -> None:
    assert [totp.hotp(SEED, counter) for counter in range(10)] == VECTORS["hotp"]


@given(st.binary(min_size=16, max_size=40), st.integers(min_value=0, max_value=2**33))
def test_agrees_with_pyotp(key: bytes, when: int) -> None:
    secret = totp.encode_secret(key)
    assert totp.totp(totp.decode_secret(secret), when) == pyotp.TOTP(secret).at(when)


def test_the_window_is_one_step_either_side() -> None:
    key = totp.decode_secret(totp.encode_secret(bytes(range(20))))
    now = 1_790_000_015.0
    for offset, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        code = totp.totp(key, now + offset)
        assert (totp.matching_step(key, code, now) is not None) is accepted, offset


def test_a_spent_step_is_not_matched_again() -> None:
    key = bytes(range(20))
    now = 1_790_000_015.0
    code = totp.totp(key, now)
    step = totp.matching_step(key, code, now)
    assert step == totp.step_at(now)
    assert totp.matching_step(key, code, now, after=step) is None
    assert totp.matching_step(key, code, now, after=step - 1) == step


def test_malformed_codes_never_match() -> None:
    key = bytes(range(20))
    for code in ("", "12345", "1234567", "12345a", " 123456"):
        assert totp.matching_steps(key, code, 1_790_000_000.0) == []


def test_secret_code_shape_is_what_cognito_clients_expect() -> None:
    secret = totp.encode_secret(bytes(range(totp.SECRET_BYTES)))
    assert len(secret) == 32 and secret.isalnum() and secret.isupper()  # SecretCode: [A-Za-z0-9]+, min 16
    assert totp.decode_secret(secret.lower()) == bytes(range(20))
    with pytest.raises(ValueError):
        totp.decode_secret("not base32!")


def test_provisioning_uri_is_read_by_authenticator_libraries() -> None:
    secret = totp.encode_secret(bytes(range(20)))
    uri = totp.provisioning_uri(secret, "ada@example.com", "My App")
    assert uri.startswith("otpauth://totp/My%20App:ada@example.com?")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP) and parsed.secret == secret and parsed.issuer == "My App"
