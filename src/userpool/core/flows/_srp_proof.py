"""Checking an SRP proof answer (PASSWORD_VERIFIER and DEVICE_PASSWORD_VERIFIER share the maths)."""

from __future__ import annotations

import base64
import binascii

from userpool.core import srp
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException, NotAuthorizedException
from userpool.core.flows._challenge import WRONG, require

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
