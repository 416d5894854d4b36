"""SRP's PASSWORD_VERIFIER: the challenge (USER_SRP_AUTH and custom authentication with SRP both ask it) and
checking a proof answer (DEVICE_PASSWORD_VERIFIER shares the maths)."""

from __future__ import annotations

import base64
import binascii

from userpool.core import srp
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException, NotAuthorizedException
from userpool.core.flows._challenge import WRONG, require
from userpool.core.model import User

PASSWORD_VERIFIER = "PASSWORD_VERIFIER"

TIMESTAMP_SKEW = 15 * 60  # a client's clock may be off; the proof is single-use anyway


def client_public(srp_a: str) -> int:
    try:
        return srp.parse_client_public(srp_a)
    except srp.SrpError as exc:
        raise InvalidParameterException(str(exc)) from None


def proof_answer(responses: dict[str, str]) -> str:
    """Check a verifier answer has its parts (Cognito's InvalidParameterException); returns its SECRET_BLOCK."""
    for name in ("PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP", "USERNAME"):
        require(responses, name)
    secret_block = require(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
    if not srp.timestamp_well_formed(responses["TIMESTAMP"]):
        raise InvalidParameterException("TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.")
    return secret_block


def check_proof(ctx: Ctx, state: dict[str, str], responses: dict[str, str], pool_name: str, user_id: str) -> None:
    """PASSWORD_CLAIM_SIGNATURE against the challenge's SRP state, or the one refusal for any wrong answer."""
    wrong = NotAuthorizedException(WRONG, keep_writes=True)
    timestamp = responses["TIMESTAMP"]
    when = srp.parse_timestamp(timestamp)  # None for a date that does not exist or a wrong weekday
    if when is None or abs(when - ctx.now()) > TIMESTAMP_SKEW:
        raise wrong
    try:
        block = base64.standard_b64decode(responses["PASSWORD_CLAIM_SECRET_BLOCK"])
        key = srp.session_key(int(state["a"], 16), int(state["B"], 16), int(state["b"], 16), int(state["v"], 16))
    except (binascii.Error, srp.SrpError):
        raise wrong from None
    expected = srp.claim_signature(key, pool_name, user_id, block, timestamp)
    if not srp.signature_matches(expected, responses["PASSWORD_CLAIM_SIGNATURE"]):
        raise wrong


def simulated_user(ctx: Ctx, username: str) -> tuple[str, str, int]:
    """A stable fake (user id, salt, verifier) per name, so probing never tells a real user from a missing one."""
    key = username if ctx.pool.case_sensitive else username.lower()
    digest = ctx.keyed.digest("simulated-srp", key)
    salt = srp.canonical_salt(bytes.fromhex(digest[:32]) or b"\x01")
    verifier = int(ctx.keyed.digest("simulated-srp-verifier", key), 16) % srp.N
    if ctx.pool.username_attributes:
        h = digest[32:64]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}", salt, verifier
    return username, salt, verifier


def password_verifier(
    ctx: Ctx, user: User | None, username: str, a_pub: int
) -> tuple[dict[str, str], dict[str, str], str, User | None]:
    """PASSWORD_VERIFIER for `user` (None: a name no user has, answered with a simulated one):
    (ChallengeParameters, the state to park, the SECRET_BLOCK that also finds it, the user to park it for)."""
    known = user if user is not None and user.srp_verifier and user.srp_salt else None
    if known is not None:
        user_id, salt, verifier = known.username, known.srp_salt or "", int(known.srp_verifier or "0", 16)
    else:
        user_id, salt, verifier = simulated_user(ctx, username)
    b = int.from_bytes(ctx.random.token_bytes(32), "big")
    b_pub = srp.server_public(verifier, b)
    secret_block = base64.standard_b64encode(ctx.random.token_bytes(64)).decode()
    state = {"user_id": user_id, "a": format(a_pub, "x"), "b": format(b, "x"), "B": format(b_pub, "x")}
    state["v"] = format(verifier, "x")
    parameters = {
        "SALT": salt,
        "SRP_B": format(b_pub, "x"),
        "SECRET_BLOCK": secret_block,
        "USER_ID_FOR_SRP": user_id,
        "USERNAME": user_id,
    }
    return parameters, state, secret_block, known
