"""Administrators' access keys: made, listed, switched off and on, deleted — and the SigV4 check that lets
a request signed with one call the admin actions.

A key is an id ("AKIA" + 16 base32 characters, as AWS spells them) and a 40-character secret, shown once
when the key is made and sealed at rest. A disabled or deleted key is refused like an unknown one, with
AWS's UnrecognizedClientException.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from userpool.core import sigv4
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException, ResourceNotFoundException, UnrecognizedClientException
from userpool.core.model import AccessKey

_ID_CHARS = string.ascii_uppercase + "234567"
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"
_UNRECOGNIZED = "The security token included in the request is invalid."
TOUCH_EVERY = 60.0  # seconds: last_used_at is kept to the minute, not rewritten on every request


def _random(ctx: Ctx, alphabet: str, n: int) -> str:
    return "".join(alphabet[ctx.random.below(len(alphabet))] for _ in range(n))


def create_key(ctx: Ctx, *, description: str = "") -> AccessKey:
    """A new enabled key; the only time its secret leaves the store in clear is this return value."""
    if len(description) > 256:
        raise InvalidParameterException("The description is at most 256 characters")
    key = AccessKey(
        id="AKIA" + _random(ctx, _ID_CHARS, 16),
        secret=_random(ctx, _SECRET_CHARS, 40),
        created_at=ctx.now(),
        description=description,
    )
    ctx.tx.put_access_key(key)
    return key


def list_keys(ctx: Ctx) -> Sequence[AccessKey]:
    return ctx.tx.list_access_keys()


def _get(ctx: Ctx, key_id: str) -> AccessKey:
    key = ctx.tx.get_access_key(key_id)
    if key is None:
        raise ResourceNotFoundException(f"No access key {key_id}; `userpool keys list` shows the keys there are.")
    return key


def set_enabled(ctx: Ctx, *, key_id: str, enabled: bool) -> AccessKey:
    key = _get(ctx, key_id)
    if key.enabled != enabled:
        key.enabled = enabled
        ctx.tx.put_access_key(key)
    return key


def delete_key(ctx: Ctx, *, key_id: str) -> None:
    _get(ctx, key_id)
    ctx.tx.delete_access_key(key_id)


def authenticate(ctx: Ctx, *, request: sigv4.SignedRequest) -> AccessKey:
    """The key that signed `request`, once its signature, scope and time are right (AWS's errors if not)."""
    auth = sigv4.parse_authorization(request)
    if request.headers.get("x-amz-security-token"):  # temporary credentials: this server issues none
        raise UnrecognizedClientException(_UNRECOGNIZED)
    key = ctx.tx.get_access_key(auth.key_id)
    if key is None or not key.enabled:
        raise UnrecognizedClientException(_UNRECOGNIZED)
    now = ctx.now()
    sigv4.verify(request, auth, key.secret, region=ctx.pool.region, now=now)
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        ctx.tx.touch_access_key(key.id, now)
    return key
