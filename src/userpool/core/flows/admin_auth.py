"""AdminInitiateAuth and AdminRespondToAuthChallenge: a server signs a user in with the user's password,
no SRP, as Cognito's ADMIN_USER_PASSWORD_AUTH (ADMIN_NO_SRP_AUTH is its old name).

    ADMIN_USER_PASSWORD_AUTH ─ the very password check of USER_PASSWORD_AUTH (sign_in.password_sign_in:
        user migration, pre authentication, same answer for unknown users) ─▶ the steps after it
        (NEW_PASSWORD_REQUIRED, MFA, devices: challenges.py) ─▶ tokens
    REFRESH_TOKEN_AUTH, CUSTOM_AUTH, USER_SRP_AUTH ─▶ the app-facing flows (sign_in.py), unchanged

The client must allow ADMIN_USER_PASSWORD_AUTH (the definition's `clients[].auth_flows`), as in Cognito.
"""

from __future__ import annotations

from collections.abc import Mapping

from userpool.core.clients import get_client
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException
from userpool.core.flows import challenges, sign_in
from userpool.core.flows._challenge import require
from userpool.core.flows.admin_users import check_pool

ADMIN_FLOWS = ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")


def admin_initiate_auth(
    ctx: Ctx,
    *,
    user_pool_id: str,
    client_id: str,
    flow: str,
    params: dict[str, str],
    client_metadata: Mapping[str, str] | None = None,
) -> sign_in.SignInStep:
    check_pool(ctx, user_pool_id)
    if flow not in ADMIN_FLOWS:
        return sign_in.initiate_auth(
            ctx, client_id=client_id, flow=flow, params=params, client_metadata=client_metadata
        )
    client = get_client(ctx, client_id)
    allowed = set(client.explicit_auth_flows)
    if not allowed & {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH"}:
        raise InvalidParameterException(f"{flow} flow not enabled for this client")
    username, password = require(params, "USERNAME"), require(params, "PASSWORD")
    user = sign_in.password_sign_in(ctx, client, username, password, params.get("SECRET_HASH"), client_metadata)
    outcome = challenges.begin(ctx, client, user, device_key=params.get("DEVICE_KEY"))
    if isinstance(outcome, challenges.Done):
        return challenges.issue_tokens(ctx, outcome, client_metadata)
    return outcome


def admin_respond_to_auth_challenge(
    ctx: Ctx,
    *,
    user_pool_id: str,
    client_id: str,
    challenge: str,
    responses: dict[str, str],
    session: str | None,
    client_metadata: Mapping[str, str] | None = None,
) -> sign_in.SignInStep:
    check_pool(ctx, user_pool_id)
    return sign_in.respond_to_auth_challenge(
        ctx,
        client_id=client_id,
        challenge=challenge,
        responses=responses,
        session=session,
        client_metadata=client_metadata,
    )
