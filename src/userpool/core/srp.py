"""SRP-6a as Amazon Cognito speaks it: the server side of USER_SRP_AUTH and device SRP.

The maths is RFC 5054's 3072-bit group with SHA-256 and Cognito's own choices: Java-BigInteger style hex
padding, x = H(salt | H(poolName | userId | ":" | password)), and a 16-byte HKDF key labelled
"Caldera Derived Key". Every value a client sends is checked before use (A mod N != 0, u != 0).
Pure: no I/O, no randomness of its own (callers pass b and salts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

try:  # gmpy2 makes the 3072-bit exponentiations several times faster; plain ints are exact too
    import gmpy2

    def _powmod(base: int, exp: int, mod: int) -> int:
        return int(gmpy2.powmod(base, exp, mod))

    _mpz: Any = gmpy2.mpz

except ImportError:  # pragma: no cover - depends on the install

    def _powmod(base: int, exp: int, mod: int) -> int:
        return pow(base, exp, mod)

    _mpz = int


N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
_INFO = b"Caldera Derived Key\x01"

# Cognito's TIMESTAMP: "Thu Nov 26 10:57:15 UTC 2026"; the day of month is never zero-padded.
_TIMESTAMP = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]|[12]\d|3[01]) (\d\d):(\d\d):(\d\d) UTC (\d{4})"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class SrpError(ValueError):
    """A value from the client that SRP must refuse (A mod N == 0, malformed hex)."""


def pad_hex(value: int | str) -> str:
    """Hex the way Java's BigInteger.toByteArray() lays out bytes: even length, a 00 byte if the top bit is set."""
    h = value.lower() if isinstance(value, str) else format(value, "x")
    if len(h) % 2:
        h = "0" + h
    elif h[0] in "89abcdef":
        h = "00" + h
    return h


def hash_hex(hex_string: str) -> str:
    """SHA-256 of the bytes a hex string spells, as 64 lowercase hex digits."""
    return hashlib.sha256(bytes.fromhex(hex_string)).hexdigest()


def _h_int(hex_string: str) -> int:
    return int(hash_hex(hex_string), 16)


K = _h_int(pad_hex(N) + pad_hex(G))


def canonical_salt(raw: bytes) -> str:
    """Salt as hex without redundant leading zeros: pycognito hashes the string as sent, Amplify re-pads it."""
    value = int.from_bytes(raw, "big")
    if value == 0:
        raise SrpError("salt must not be zero")
    return format(value, "x")


def compute_x(pool_name: str, user_id: str, password: str, salt_hex: str) -> int:
    inner = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).hexdigest()
    return _h_int(pad_hex(salt_hex) + inner)


def make_verifier(pool_name: str, user_id: str, password: str, salt_hex: str) -> int:
    """v = g^x mod N, kept per user in place of the password for SRP sign-in."""
    return _powmod(G, compute_x(pool_name, user_id, password, salt_hex), N)


def parse_client_public(srp_a: str) -> int:
    """SRP_A arrives as unpadded hex; refuse anything that is not hex or is 0 mod N (RFC 5054 §2.5.4)."""
    if not srp_a or len(srp_a) > 1024 or not re.fullmatch(r"[0-9a-fA-F]+", srp_a):
        raise SrpError("SRP_A must be a hexadecimal number")
    a_pub = int(srp_a, 16)
    if a_pub % N == 0:
        raise SrpError("SRP_A must not be 0 mod N")
    return a_pub


class _FixedBase:
    """g^e mod N for exponents below 2^bits, from a table of g^(d·16^i): one multiplication per 4 bits of
    the exponent (64 for the server's 256-bit b) instead of a square-and-multiply exponentiation (about 256
    squarings and 50 multiplications); about four times faster. The base never changes, so the table (1,024
    values, 384 KiB) is built once per process, on first use. Not constant-time, and neither is powmod."""

    WINDOW = 4

    def __init__(self, base: int, modulus: int, bits: int) -> None:
        self._base, self._modulus, self._bits = base, modulus, bits
        self._table: list[list[Any]] | None = None

    def _build(self) -> list[list[Any]]:
        m = _mpz(self._modulus)
        rows, step = [], _mpz(self._base)
        for _ in range(-(-self._bits // self.WINDOW)):
            row = [_mpz(1)]
            for _ in range((1 << self.WINDOW) - 1):
                row.append(row[-1] * step % m)
            rows.append(row)
            step = row[-1] * step % m  # base^(16^(i+1))
        return rows

    def pow(self, exponent: int) -> int:
        if not 0 <= exponent < 1 << self._bits:
            return _powmod(self._base, exponent, self._modulus)
        table = self._table
        if table is None:
            table = self._table = self._build()
        m = _mpz(self._modulus)
        acc, mask, i = _mpz(1), (1 << self.WINDOW) - 1, 0
        while exponent:
            digit = exponent & mask
            if digit:
                acc = acc * table[i][digit] % m
            exponent >>= self.WINDOW
            i += 1
        return int(acc)


_G_POW = _FixedBase(G, N, 256)


def server_public(verifier: int, b: int) -> int:
    """B = k·v + g^b mod N (g^b from the fixed-base table when b has at most 256 bits, as the flows draw it)."""
    return (K * verifier + _G_POW.pow(b)) % N


def session_key(a_pub: int, b_pub: int, b: int, verifier: int) -> bytes:
    """The 16-byte key both sides derive: HKDF over S = (A·v^u)^b mod N, salted with u."""
    u_hex = hash_hex(pad_hex(a_pub) + pad_hex(b_pub))
    u = int(u_hex, 16)
    if u == 0:
        raise SrpError("u must not be zero")
    s = _powmod(a_pub * _powmod(verifier, u, N), b, N)
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
    return hmac.new(prk, _INFO, hashlib.sha256).digest()[:16]


def claim_signature(key: bytes, pool_name: str, user_id: str, secret_block: bytes, timestamp: str) -> str:
    """PASSWORD_CLAIM_SIGNATURE: base64 HMAC-SHA256 over poolName | userId | SECRET_BLOCK | TIMESTAMP."""
    msg = pool_name.encode() + user_id.encode() + secret_block + timestamp.encode()
    return base64.standard_b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def signature_matches(expected: str, received: str) -> bool:
    return hmac.compare_digest(expected.encode(), received.encode())


def timestamp_well_formed(timestamp: str) -> bool:
    """The shape alone ("EEE MMM d HH:mm:ss z yyyy"); `parse_timestamp` also checks the date is real."""
    return _TIMESTAMP.fullmatch(timestamp) is not None


def parse_timestamp(timestamp: str) -> float | None:
    """Epoch seconds of a Cognito TIMESTAMP, or None when it is not in the one format clients send.

    The weekday must agree with the date: Cognito refuses a wrong weekday too.
    """
    import calendar  # stdlib maths only; kept local so the module's import stays cheap

    m = _TIMESTAMP.fullmatch(timestamp)
    if not m:
        return None
    weekday, month, day, hh, mm, ss, year = m.groups()
    parts: Any = (int(year), _MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss))
    if parts[3] > 23 or parts[4] > 59 or parts[5] > 60:
        return None
    try:
        if _DAYS[calendar.weekday(parts[0], parts[1], parts[2])] != weekday:
            return None
    except ValueError:  # 31 Feb and friends
        return None
    return float(calendar.timegm((*parts, 0, 0, 0)))


def format_timestamp(epoch: float) -> str:
    """The TIMESTAMP a client would send at `epoch` (used by tests and the load generator)."""
    import time

    t = time.gmtime(epoch)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday} {clock} UTC {t.tm_year}"
