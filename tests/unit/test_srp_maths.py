"""The server's SRP maths: the fixed-base table gives exactly g^b mod N, for the exponents flows draw and others."""

from __future__ import annotations

import secrets

from userpool.core import srp


def test_fixed_base_power_is_g_to_the_b_mod_n() -> None:
    exponents = [0, 1, 2, 15, 16, 17, (1 << 256) - 1, 1 << 255, *(secrets.randbits(256) for _ in range(50))]
    for b in exponents:
        assert srp._G_POW.pow(b) == pow(srp.G, b, srp.N), b


def test_exponents_beyond_the_table_fall_back_to_powmod() -> None:
    for b in (1 << 256, secrets.randbits(300) | 1 << 299):
        assert srp._G_POW.pow(b) == pow(srp.G, b, srp.N)


def test_server_public_is_k_v_plus_g_to_the_b() -> None:
    v, b = secrets.randbits(3000), secrets.randbits(256)
    assert srp.server_public(v, b) == (srp.K * v + pow(srp.G, b, srp.N)) % srp.N
