"""Time-based one-time passwords: RFC 4226 (HOTP) and RFC 6238 (TOTP), as authenticator apps compute them.

Cognito's parameters, which every authenticator app assumes from an `otpauth://totp/` URI without
parameters: HMAC-SHA1, 6 digits, 30-second steps. A code is accepted for the current step and one step
either side (±30 s of clock drift, Cognito's documented tolerance). Which step matched is returned, so the
caller can refuse a step that was used before (replay). Pure functions: no clock, no randomness.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30
WINDOW = 1  # steps either side of now
SECRET_BYTES = 20  # 160 bits, RFC 4226 §4's recommended length; base32 is then 32 characters

__all__ = [
    "DIGITS",
    "PERIOD",
    "SECRET_BYTES",
    "WINDOW",
    "decode_secret",
    "encode_secret",
    "hotp",
    "matching_step",
    "matching_steps",
    "provisioning_uri",
    "step_at",
    "totp",
]


def encode_secret(raw: bytes) -> str:
    """Base32 without padding: Cognito's SecretCode (pattern [A-Za-z0-9]+), what apps type or scan."""
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret (any case, spaces ignored, padding optional); ValueError if malformed."""
    text = secret.replace(" ", "").upper()
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        raise ValueError("not a base32 secret") from exc


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 §5.3: HMAC-SHA1 over the 8-byte counter, dynamic truncation, `digits` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_at(when: float, period: int = PERIOD) -> int:
    """RFC 6238 §4.2: T = floor((now - T0) / X), T0 = 0."""
    return int(when // period)


def totp(key: bytes, when: float, *, digits: int = DIGITS, period: int = PERIOD) -> str:
    return hotp(key, step_at(when, period), digits)


def matching_steps(key: bytes, code: str, when: float, *, window: int = WINDOW) -> list[int]:
    """Every step within the window whose code is `code`, oldest first (every candidate is compared, so the
    time taken does not depend on which one matched)."""
    if len(code) != DIGITS or not code.isdigit():
        return []
    now = step_at(when)
    found = []
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(key, step), code) and step >= 0:
            found.append(step)
    return found


def matching_step(key: bytes, code: str, when: float, *, after: int | None = None, window: int = WINDOW) -> int | None:
    """The newest step in the window that `code` is right for and that is later than `after` (the last step
    the user already spent), or None."""
    steps = [s for s in matching_steps(key, code, when, window=window) if after is None or s > after]
    return steps[-1] if steps else None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The `otpauth://` URI authenticator apps scan (Google Authenticator's Key Uri Format), as Amplify's
    `getSetupUri` builds it: label `issuer:account`, parameters secret and issuer."""
    label = quote(f"{issuer}:{account}", safe=":@")
    return f"otpauth://totp/{label}?{urlencode({'secret': secret, 'issuer': issuer})}"
