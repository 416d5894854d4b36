"""Pagination tokens for the admin listings: the store's keyset cursor, under a MAC bound to the listing.

A token only ever goes back to the listing (and the filter) that made it, and the store never sees a
cursor it did not make: a changed or borrowed token is InvalidParameterException.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException


def _mac(ctx: Ctx, listing: str, cursor: str) -> str:
    return ctx.keyed.digest("admin-page", f"{listing}\x00{cursor}")[:32]


def encode(ctx: Ctx, listing: str, cursor: str | None) -> str | None:
    """The token for the page after `cursor` of `listing` (e.g. "list_users:email ^= \"a\""), or None."""
    if cursor is None:
        return None
    raw = f"{_mac(ctx, listing, cursor)}{cursor}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(ctx: Ctx, listing: str, token: str | None) -> str | None:
    if not token:
        return None
    invalid = InvalidParameterException("Invalid pagination token: give back the token the previous page returned")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise invalid from None
    mac, cursor = raw[:32], raw[32:]
    if not cursor or not hmac.compare_digest(mac.encode(), _mac(ctx, listing, cursor).encode()):
        raise invalid
    return cursor


def limit(value: int | None, maximum: int) -> int:
    size = maximum if value is None else value
    if not 1 <= size <= maximum:
        raise InvalidParameterException(f"Limit must be between 1 and {maximum}")
    return size
