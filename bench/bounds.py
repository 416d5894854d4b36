"""The machine's own limits for an auth server: its cryptography, measured per core in the same run.

Each bound is operations per CPU-second of one thread (`time.thread_time`), so it holds on a noisy machine:
argon2id verification with the parameters the server uses, RSA-2048 PKCS#1 v1.5 signatures and
verifications (the server signs two tokens per sign-in and refresh and checks one per GetUser), and the
SRP server maths of one sign-in (`server_public` + `session_key`: three 3072-bit exponentiations).
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from userpool.core import srp
from userpool.crypto.passwords import OWASP_MEMORY_KIB, OWASP_PARALLELISM, OWASP_TIME_COST, Argon2Hasher

# A typical access token's signing input (header.payload), to sign and verify.
_MESSAGE = b"eyJhbGciOiJSUzI1NiIsImtpZCI6ImJlbmNoIn0." + secrets.token_urlsafe(600).encode()


def per_core(fn: Callable[[], Any], *, seconds: float, min_ops: int, rounds: int = 5) -> dict[str, float]:
    """The rate per CPU-second of one thread: the best of `rounds` rounds, each of at least `seconds / rounds`
    of CPU and `min_ops / rounds` calls. The best round is the machine's own figure; the others lost cache
    and memory bandwidth to whatever else ran (the mean of all rounds is kept too)."""
    fn()  # warm
    best, n_all, cpu_all, wall_all = 0.0, 0, 0.0, 0.0
    for _ in range(rounds):
        n, cpu0, wall0 = 0, time.thread_time(), time.perf_counter()
        while n < max(1, min_ops // rounds) or time.thread_time() - cpu0 < seconds / rounds:
            fn()
            n += 1
        cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
        best = max(best, n / cpu)
        n_all, cpu_all, wall_all = n_all + n, cpu_all + cpu, wall_all + wall
    return {"per_core_per_s": round(best, 2), "cpu_ms_per_op": round(1000 / best, 4), "ops": n_all,
            "mean_per_core_per_s": round(n_all / cpu_all, 2), "wall_per_s": round(n_all / wall_all, 2)}  # fmt: skip


def _argon2_worker(seconds: float, out: Any) -> None:
    hasher = Argon2Hasher()
    encoded = hasher.hash("Corr3ct-Horse!")
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        hasher.verify(encoded, "Corr3ct-Horse!")
        n += 1
    out.put((n, time.perf_counter() - t0))


def argon2_all_cores(seconds: float) -> dict[str, float]:
    """argon2id verifications per second with one process per core all hashing at once: the whole machine's
    rate, memory bandwidth shared as it is in a busy server (and whatever else runs on the machine)."""
    cores = os.cpu_count() or 1
    queue: Any = multiprocessing.get_context("spawn").Queue()
    workers = [
        multiprocessing.get_context("spawn").Process(target=_argon2_worker, args=(seconds, queue)) for _ in range(cores)
    ]
    for w in workers:
        w.start()
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    for w in workers:
        w.join(10)
    return {"processes": cores, "per_s": round(sum(n / wall for n, wall in results), 2)}


def measure(seconds: float = 2.0) -> dict[str, Any]:
    hasher = Argon2Hasher()
    encoded = hasher.hash("Corr3ct-Horse!")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = key.sign(_MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    public = key.public_key()
    verifier = srp.make_verifier("BENCH", "bench-user", "Corr3ct-Horse!", "1234abcd")
    client_a = srp.N - 12345  # any valid A; the server's work does not depend on its value

    def srp_server() -> None:
        b = int.from_bytes(secrets.token_bytes(32), "big")
        b_pub = srp.server_public(verifier, b)
        srp.session_key(client_a, b_pub, b, verifier)

    return {
        "cores": os.cpu_count() or 1,
        "argon2id_verify": {
            **per_core(lambda: hasher.verify(encoded, "Corr3ct-Horse!"), seconds=seconds, min_ops=3),
            "parameters": f"m={OWASP_MEMORY_KIB} KiB, t={OWASP_TIME_COST}, p={OWASP_PARALLELISM}",
        },
        "argon2id_verify_all_cores": argon2_all_cores(seconds),
        "argon2id_hash": per_core(lambda: hasher.hash("Corr3ct-Horse!"), seconds=seconds / 2, min_ops=3),
        "rsa2048_sign": per_core(
            lambda: key.sign(_MESSAGE, padding.PKCS1v15(), hashes.SHA256()), seconds=seconds, min_ops=20
        ),
        "rsa2048_verify": per_core(
            lambda: public.verify(signature, _MESSAGE, padding.PKCS1v15(), hashes.SHA256()),
            seconds=seconds / 2,
            min_ops=50,
        ),
        "srp_server": per_core(srp_server, seconds=seconds, min_ops=5),
        "srp_make_verifier": per_core(
            lambda: srp.make_verifier("BENCH", secrets.token_hex(8), "Corr3ct-Horse!", "1234abcd"),
            seconds=seconds / 2,
            min_ops=5,
        ),
    }


def cost_ms(bounds: dict[str, Any], recipe: dict[str, float]) -> float:
    """CPU milliseconds of the cryptography an operation cannot avoid: {"rsa2048_sign": 2, ...}."""
    return float(sum(bounds[name]["cpu_ms_per_op"] * count for name, count in recipe.items()))


# What each operation's server side must compute, at the least.
RECIPES: dict[str, dict[str, float]] = {
    "sign_up": {"argon2id_hash": 1, "srp_make_verifier": 1},
    "confirm": {},
    "password_sign_in": {"argon2id_verify": 1, "rsa2048_sign": 2},
    "srp_sign_in": {"srp_server": 1, "rsa2048_sign": 2},
    "refresh": {"rsa2048_sign": 2},
    "get_user": {"rsa2048_verify": 1},
    "hosted_sign_in": {"argon2id_verify": 1},
    "token_verifier": {"rsa2048_verify": 1},
}
