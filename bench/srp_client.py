"""The client's half of Cognito's SRP (what aws-amplify and pycognito compute), for the load generator.

Built on the server's public helpers in `userpool.core.srp` (the group, the padding, x) so both sides agree
by construction. The generator times these maths separately: they are the client's cost, not the server's.
`a` is 256 random bits, as in amazon-cognito-identity-js's 128-byte draw cut to what the group needs here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import gmpy2

from userpool.core import srp

_N = gmpy2.mpz(srp.N)
_INFO = b"Caldera Derived Key\x01"


def _powmod(base: int, exp: int) -> int:
    return int(gmpy2.powmod(base, exp, _N))


def release_gil() -> None:
    """Let gmpy2 release the GIL in this thread (the generator runs the maths off its event loop)."""
    gmpy2.get_context().allow_release_gil = True


@dataclass(frozen=True)
class Ephemeral:
    a: int
    A: int

    @property
    def srp_a(self) -> str:
        return format(self.A, "x")


def ephemeral() -> Ephemeral:
    """A fresh (a, A = g^a); independent of the server, so the generator may draw these ahead of time."""
    a = secrets.randbits(256) | 1
    return Ephemeral(a, _powmod(srp.G, a))


def password_x(pool_name: str, user_id: str, password: str, salt_hex: str) -> int:
    return srp.compute_x(pool_name, user_id, password, salt_hex)


def gx(x: int) -> int:
    """g^x: fixed per user and password, so a client (and the generator) computes it once."""
    return _powmod(srp.G, x)


def answer(
    eph: Ephemeral,
    *,
    pool_name: str,
    user_id: str,
    x: int,
    gx: int,
    srp_b: str,
    secret_block: str,
    timestamp: str,
) -> str:
    """PASSWORD_CLAIM_SIGNATURE for the challenge (SRP_B, SECRET_BLOCK) and the user's x (and g^x)."""
    b_pub = int(srp_b, 16)
    u = int(srp.hash_hex(srp.pad_hex(eph.A) + srp.pad_hex(b_pub)), 16)
    s = _powmod((b_pub - srp.K * gx) % srp.N, eph.a + u * x)
    prk = hmac.new(bytes.fromhex(srp.pad_hex(u)), bytes.fromhex(srp.pad_hex(s)), hashlib.sha256).digest()
    key = hmac.new(prk, _INFO, hashlib.sha256).digest()[:16]
    try:
        block = base64.b64decode(secret_block, validate=True)
    except binascii.Error:  # moto's SECRET_BLOCK is a UUID, not base64: sign its text
        block = secret_block.encode()
    return srp.claim_signature(key, pool_name, user_id, block, timestamp)
