"""Remembered devices (Cognito's device tracking): the records, the device half of sign-in, and the five
actions a signed-in user has for them.

    sign-in ends in tokens, no known device ─▶ NewDeviceMetadata {DeviceKey, DeviceGroupKey}   [unconfirmed]
    ConfirmDevice(verifier, salt) ─▶ [confirmed]: remembered at once, or after UpdateDeviceStatus when the
                                     pool asks the user first (UserConfirmationNecessary)
    sign-in with DEVICE_KEY ─▶ DEVICE_SRP_AUTH ─▶ DEVICE_PASSWORD_VERIFIER ─▶ tokens carrying device_key
    ForgetDevice ─▶ gone: it no longer authenticates; sessions it started keep running (as in Cognito)

The device proves itself with SRP over a random password only it knows: the pool name becomes the device's
DeviceGroupKey and the user id its DeviceKey (`core/srp.py`). `DeviceStep` is the sign-in step (its place
among the others: `challenges.py`); pycognito answers both challenges without a Session, so DEVICE_SRP_AUTH
is also found by the device key and DEVICE_PASSWORD_VERIFIER by its SECRET_BLOCK.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import string
from collections.abc import Mapping
from dataclasses import replace

from userpool.core import srp, tokens, triggers
from userpool.core.clients import check_secret_hash
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException, NotAuthorizedException, ResourceNotFoundException
from userpool.core.flows._challenge import (
    WRONG,
    Answer,
    Challenge,
    Passed,
    Progress,
    check_can_sign_in,
    load_pending,
    names_user,
    park,
    require,
)
from userpool.core.flows._srp_proof import check_proof, client_public, proof_answer
from userpool.core.model import Client, Device, User
from userpool.core.tokens import AuthResult, NewDevice, hash_token

DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"
# Amplify clears its stored device and signs in again on exactly this message (retryOnResourceNotFoundException).
NO_DEVICE = "Device does not exist."
MAX_LIST = 60  # ListDevices' Limit; Amplify's fetchDevices asks for 60
UNCONFIRMED_TTL = 86400  # a device never confirmed (boto3 scripts, failed ConfirmDevice) is dropped after this
_GROUP_ALPHABET = string.ascii_letters + string.digits
_SALT_BYTES = (8, 64)  # clients send 16 random bytes, PAD-ded (15-17 bytes)
_VERIFIER_BYTES = (1, 385)  # a 3072-bit number, plus PAD's sign byte


def _no_device(*, keep_writes: bool = False) -> ResourceNotFoundException:
    return ResourceNotFoundException(NO_DEVICE, keep_writes=keep_writes)


# -- sign-in ---------------------------------------------------------------------------------------------


def for_sign_in(ctx: Ctx, user: User, device_key: str | None) -> Device | None:
    """The confirmed device of this user a sign-in named (it must then pass DEVICE_SRP_AUTH), or None.

    Called only after the password (or its SRP proof) was right, so a stranger learns nothing about devices.
    An unconfirmed device counts as none: the sign-in gets a new one."""
    if not ctx.pool.device_tracking or not device_key:
        return None
    device = ctx.tx.get_device(ctx.pool.pool_id, device_key)
    if device is None or device.user_sub != user.sub:
        raise _no_device()
    return device if device.confirmed else None


def start_session(
    ctx: Ctx,
    client: Client,
    user: User,
    *,
    auth_time: int | None = None,
    trigger_source: triggers.TokenSource = "TokenGeneration_Authentication",
    client_metadata: Mapping[str, str] | None = None,
) -> AuthResult:
    """Tokens for a sign-in without a known device. With tracking on, the sign-in gets a new device, and its
    token family is bound to it (so the client's later refreshes with that DEVICE_KEY match)."""
    device = _register(ctx, user) if ctx.pool.device_tracking else None
    result = tokens.start_session(
        ctx,
        client,
        user,
        device_key=device.key if device is not None else None,
        auth_time=auth_time,
        trigger_source=trigger_source,
        client_metadata=client_metadata,
    )
    if device is None:
        return result
    return replace(result, new_device=NewDevice(device.key, device.group_key))


def _register(ctx: Ctx, user: User) -> Device:
    # Two indexed statements, whatever the number of devices: a client that never confirms its devices
    # (a script, a load generator) adds one per sign-in, and reading them all made each sign-in slower.
    now = ctx.now()
    ctx.tx.delete_unconfirmed_devices(ctx.pool.pool_id, user.sub, now - UNCONFIRMED_TTL)
    group_key = ctx.tx.device_group_key(ctx.pool.pool_id, user.sub)  # one group per user, as Cognito has it
    device = Device(
        pool_id=ctx.pool.pool_id,
        user_sub=user.sub,
        key=f"{ctx.pool.region}_{ctx.random.uuid4()}",
        group_key=group_key or "-" + "".join(_GROUP_ALPHABET[ctx.random.below(62)] for _ in range(9)),
        created_at=now,
        last_modified_at=now,
        last_authenticated_at=now,
    )
    ctx.tx.put_device(device)
    return device


def confirmed_device(ctx: Ctx, user_sub: str, device_key: str, *, keep_writes: bool = False) -> Device:
    """The user's confirmed device, or "Device does not exist." (forgotten, another user's, never confirmed)."""
    device = ctx.tx.get_device(ctx.pool.pool_id, device_key)
    if device is None or device.user_sub != user_sub or not device.confirmed or device.verifier is None:
        raise _no_device(keep_writes=keep_writes)
    return device


def srp_handle(ctx: Ctx, device_key: str) -> str:
    """What finds a pending DEVICE_SRP_AUTH without its Session: pycognito answers with the device key alone."""
    return f"device-srp:{ctx.pool.pool_id}:{device_key}"


def verifier_challenge(ctx: Ctx, device: Device, a_pub: int) -> tuple[dict[str, str], dict[str, str]]:
    """DEVICE_PASSWORD_VERIFIER's (parameters without USERNAME, saved state): B from the device's verifier."""
    verifier = int(device.verifier or "0", 16)
    b = int.from_bytes(ctx.random.token_bytes(32), "big")
    b_pub = srp.server_public(verifier, b)
    secret_block = base64.standard_b64encode(ctx.random.token_bytes(64)).decode()
    params = {"SALT": device.salt or "", "SRP_B": format(b_pub, "x"), "SECRET_BLOCK": secret_block}
    state = {
        "device_key": device.key,
        "group_key": device.group_key,
        "a": format(a_pub, "x"),
        "b": format(b, "x"),
        "B": format(b_pub, "x"),
        "v": format(verifier, "x"),
    }
    return params, state


def authenticated(ctx: Ctx, device: Device) -> None:
    device.last_authenticated_at = ctx.now()
    ctx.tx.put_device(device)


class DeviceStep:
    """The sign-in named one of the user's confirmed devices: it proves itself before tokens."""

    name = "device"
    challenges = (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER)

    def applies(self, ctx: Ctx, user: User, progress: Progress) -> bool:
        return bool(progress.device_key)

    def start(self, ctx: Ctx, client: Client, user: User, progress: Progress) -> Challenge:
        handle = srp_handle(ctx, progress.device_key)
        older = ctx.tx.get_auth_session(secret_block_hash=hash_token(handle))
        if older is not None:  # the device's newer sign-in replaces one it left unfinished
            ctx.tx.delete_auth_session(older.id)
        return park(ctx, client, DEVICE_SRP_AUTH, user, user.username, {}, progress.to_state(), handle)

    def answer(self, ctx: Ctx, client: Client, answer: Answer) -> Challenge | Passed:
        if answer.challenge == DEVICE_SRP_AUTH:
            return self._srp(ctx, client, answer)
        return self._verify(ctx, client, answer)

    def _srp(self, ctx: Ctx, client: Client, answer: Answer) -> Challenge:
        responses = answer.responses
        device_key = require(responses, "DEVICE_KEY")
        username = require(responses, "USERNAME")
        a_pub = client_public(require(responses, "SRP_A"))
        pending = load_pending(ctx, client, answer, srp_handle(ctx, device_key))
        user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub or "")
        if user is None or not names_user(ctx, username, user):
            raise NotAuthorizedException(WRONG, keep_writes=True)
        device = confirmed_device(ctx, user.sub, device_key, keep_writes=True)
        params, state = verifier_challenge(ctx, device, a_pub)
        params["USERNAME"] = user.username  # pycognito computes SECRET_HASH with it, Amplify answers with it
        state = {**pending.state, **state}
        return park(ctx, client, DEVICE_PASSWORD_VERIFIER, user, username, params, state, params["SECRET_BLOCK"])

    def _verify(self, ctx: Ctx, client: Client, answer: Answer) -> Passed:
        responses = answer.responses
        secret_block = proof_answer(responses)
        device_key = require(responses, "DEVICE_KEY")
        pending = load_pending(ctx, client, answer, secret_block)
        state = pending.state
        user = ctx.tx.get_user(ctx.pool.pool_id, pending.user_sub or "")
        if user is None or device_key != state["device_key"] or not names_user(ctx, responses["USERNAME"], user):
            raise NotAuthorizedException(WRONG, keep_writes=True)
        check_proof(ctx, state, responses, state["group_key"], device_key)  # the device's SRP: group and key
        device = confirmed_device(ctx, user.sub, device_key, keep_writes=True)  # forgotten meanwhile?
        check_can_sign_in(user)
        check_secret_hash(client, user.username, responses.get("SECRET_HASH"))
        authenticated(ctx, device)
        return Passed(user, Progress.from_state(state))


STEP = DeviceStep()


# -- the actions -----------------------------------------------------------------------------------------


def _decode(value: object, member: str, sizes: tuple[int, int]) -> bytes:
    if not isinstance(value, str):
        raise InvalidParameterException(f"DeviceSecretVerifierConfig.{member} is required")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterException(f"DeviceSecretVerifierConfig.{member} must be base64") from None
    if not sizes[0] <= len(raw) <= sizes[1]:
        raise InvalidParameterException(
            f"DeviceSecretVerifierConfig.{member} must be {sizes[0]} to {sizes[1]} bytes, got {len(raw)}"
        )
    return raw


def confirm_device(
    ctx: Ctx, *, access_token: str, device_key: str, verifier_config: dict[str, object] | None, name: str | None
) -> bool:
    """Store the device's SRP verifier; True when the user must still say "remember" (UpdateDeviceStatus)."""
    user = tokens.authenticate(ctx, access_token).user
    config = verifier_config or {}
    salt = _decode(config.get("Salt"), "Salt", _SALT_BYTES)
    verifier = int.from_bytes(_decode(config.get("PasswordVerifier"), "PasswordVerifier", _VERIFIER_BYTES), "big")
    if not 0 < verifier < srp.N:
        raise InvalidParameterException("DeviceSecretVerifierConfig.PasswordVerifier is not a valid SRP verifier")
    device = ctx.tx.get_device(ctx.pool.pool_id, device_key)
    if device is None or device.user_sub != user.sub:
        raise _no_device()
    if device.confirmed:  # re-keying a device would let any holder of an access token take it over
        raise InvalidParameterException("Device has already been confirmed.")
    # The salt is echoed as SALT exactly as the client made it: both client families hash PAD(salt), and
    # their salts are PAD-ded already, so the hex of the bytes is what they hashed at registration.
    device.salt = salt.hex()
    device.verifier = format(verifier, "x")
    device.name = name or ""
    device.confirmed = True
    device.remembered = not ctx.pool.device_only_remembered_on_user_prompt
    device.last_modified_at = ctx.now()
    ctx.tx.put_device(device)
    return ctx.pool.device_only_remembered_on_user_prompt


def get_device(ctx: Ctx, *, access_token: str | None, device_key: str) -> Device:
    user = tokens.authenticate(ctx, access_token).user
    return confirmed_device(ctx, user.sub, device_key)


def _page_mac(ctx: Ctx, user_sub: str, offset: int) -> str:
    return ctx.keyed.digest("list-devices", f"{user_sub}:{offset}")[:32]


def _page_token(ctx: Ctx, user_sub: str, offset: int) -> str:
    raw = f"{offset}:{_page_mac(ctx, user_sub, offset)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _page_offset(ctx: Ctx, user_sub: str, token: str) -> int:
    """The offset a PaginationToken stands for; a token not made here for this user is refused."""
    invalid = InvalidParameterException("Invalid pagination token")
    try:
        offset_text, mac = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":")
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise invalid from None
    if offset < 1 or not hmac.compare_digest(mac, _page_mac(ctx, user_sub, offset)):
        raise invalid
    return offset


def list_devices(
    ctx: Ctx, *, access_token: str, limit: int | None, pagination_token: str | None
) -> tuple[list[Device], str | None]:
    """The user's confirmed devices, most recently used first, `limit` at a time."""
    return list_user_devices(ctx, tokens.authenticate(ctx, access_token).user, limit, pagination_token)


def list_user_devices(
    ctx: Ctx, user: User, limit: int | None, pagination_token: str | None
) -> tuple[list[Device], str | None]:
    """ListDevices and AdminListDevices: the user's confirmed devices, most recently used first."""
    size = MAX_LIST if limit is None else limit
    if not 1 <= size <= MAX_LIST:
        raise InvalidParameterException(f"Limit must be between 1 and {MAX_LIST}")
    start = _page_offset(ctx, user.sub, pagination_token) if pagination_token else 0
    devices = [d for d in ctx.tx.list_devices(ctx.pool.pool_id, user.sub) if d.confirmed]
    page = devices[start : start + size]
    more = start + size < len(devices)
    return page, _page_token(ctx, user.sub, start + size) if more else None


def forget_device(ctx: Ctx, *, access_token: str | None, device_key: str) -> None:
    """The device stops authenticating; token families it started keep running, as in Cognito."""
    forget_user_device(ctx, tokens.authenticate(ctx, access_token).user, device_key)


def forget_user_device(ctx: Ctx, user: User, device_key: str) -> None:
    device = ctx.tx.get_device(ctx.pool.pool_id, device_key)
    if device is None or device.user_sub != user.sub:
        raise _no_device()
    ctx.tx.delete_device(ctx.pool.pool_id, device_key)


def update_device_status(ctx: Ctx, *, access_token: str, device_key: str, status: str | None) -> None:
    if status not in ("remembered", "not_remembered"):
        raise InvalidParameterException("DeviceRememberedStatus must be remembered or not_remembered")
    set_device_status(ctx, tokens.authenticate(ctx, access_token).user, device_key, status)


def set_device_status(ctx: Ctx, user: User, device_key: str, status: str | None) -> None:
    if status not in ("remembered", "not_remembered"):
        raise InvalidParameterException("DeviceRememberedStatus must be remembered or not_remembered")
    device = confirmed_device(ctx, user.sub, device_key)
    device.remembered = status == "remembered"
    device.last_modified_at = ctx.now()
    ctx.tx.put_device(device)
