"""Creating and confirming accounts: pre sign-up, post confirmation, and (lazy) user migration.

Each function builds its trigger's event, dispatches it, and returns the typed response; with no trigger
configured it returns what Cognito does without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from userpool.core.context import Ctx
from userpool.core.errors import UserLambdaValidationException
from userpool.core.model import User
from userpool.core.triggers._dispatch import (
    Response,
    boolean,
    dispatch,
    refuse,
    string,
    string_map,
    strings,
    user_attributes,
)

PreSignUpSource = Literal["PreSignUp_SignUp", "PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"]
PostConfirmationSource = Literal["PostConfirmation_ConfirmSignUp", "PostConfirmation_ConfirmForgotPassword"]
UserMigrationSource = Literal["UserMigration_Authentication", "UserMigration_ForgotPassword"]


def _with_metadata(request: dict[str, Any], client_metadata: Mapping[str, str] | None) -> dict[str, Any]:
    """Cognito sends `clientMetadata` only when the caller gave some."""
    if client_metadata:
        request["clientMetadata"] = dict(client_metadata)
    return request


@dataclass(frozen=True)
class PreSignUp:
    """response of the pre sign-up trigger (all False without one)."""

    auto_confirm_user: bool = False
    auto_verify_email: bool = False
    auto_verify_phone: bool = False


def pre_sign_up(
    ctx: Ctx,
    *,
    source: PreSignUpSource = "PreSignUp_SignUp",
    client_id: str | None,
    username: str,
    attributes: Mapping[str, str],
    validation_data: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> PreSignUp:
    """Before a user is created. Raising refuses the sign-up; the response may confirm the user and mark
    their email or phone verified."""
    request = {
        "userAttributes": user_attributes(attributes),
        "validationData": dict(validation_data) if validation_data is not None else None,
    }
    return dispatch(
        ctx,
        "pre_sign_up",
        source,
        username=username,
        client_id=client_id,
        request=_with_metadata(request, client_metadata),
        response={"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
        parse=_pre_sign_up,
    )


def _pre_sign_up(response: Response) -> PreSignUp:
    return PreSignUp(
        auto_confirm_user=boolean("pre_sign_up", response, "autoConfirmUser"),
        auto_verify_email=boolean("pre_sign_up", response, "autoVerifyEmail"),
        auto_verify_phone=boolean("pre_sign_up", response, "autoVerifyPhone"),
    )


def post_confirmation(
    ctx: Ctx,
    *,
    source: PostConfirmationSource,
    client_id: str | None,
    user: User,
    client_metadata: Mapping[str, str] | None = None,
) -> None:
    """After a confirmation is written (sign-up code, or a password reset). Its response carries nothing;
    raising fails the action, and the unit of work rolls the confirmation back."""
    request = {"userAttributes": user_attributes(user.attributes, user.status.value)}
    dispatch(
        ctx,
        "post_confirmation",
        source,
        username=user.username,
        client_id=client_id,
        request=_with_metadata(request, client_metadata),
        response={},
        parse=lambda response: None,
    )


@dataclass(frozen=True)
class UserMigration:
    """response of the user migration trigger: the user to create from another directory."""

    user_attributes: dict[str, str]
    final_user_status: Literal["CONFIRMED", "RESET_REQUIRED"] = "CONFIRMED"
    message_action: Literal["SUPPRESS"] | None = None  # None: Cognito would send a welcome message
    desired_delivery_mediums: tuple[str, ...] = ("SMS",)
    force_alias_creation: bool = False
    enable_sms_mfa: bool = False


def user_migration(
    ctx: Ctx,
    *,
    source: UserMigrationSource,
    client_id: str | None,
    username: str,
    password: str | None,
    validation_data: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> UserMigration | None:
    """A sign-in or forgot-password for a user the pool does not have: the trigger may bring them in.
    `password` is what the user typed (sign-in only; never sent for ForgotPassword).

    None: no such trigger, or it declined — it raised (the usual way a migration Lambda says "not in the old
    directory either" or "wrong password") or answered without userAttributes; the caller then answers as
    for any unknown user. A time-out or a malformed answer still fails the action with Cognito's error."""
    if "user_migration" not in ctx.pool.triggers:
        return None
    request: dict[str, Any] = {"validationData": dict(validation_data) if validation_data is not None else None}
    if password is not None:
        request["password"] = password
    try:
        return dispatch(
            ctx,
            "user_migration",
            source,
            username=username,
            client_id=client_id,
            request=_with_metadata(request, client_metadata),
            response={
                "userAttributes": None,
                "finalUserStatus": None,
                "messageAction": None,
                "desiredDeliveryMediums": None,
                "forceAliasCreation": None,
                "enableSMSMFA": None,
            },
            parse=lambda response: _user_migration(response, source),
        )
    except UserLambdaValidationException:
        return None


def _user_migration(response: Response, source: UserMigrationSource) -> UserMigration | None:
    attributes = string_map("user_migration", response, "userAttributes")
    status = string("user_migration", response, "finalUserStatus") or "CONFIRMED"  # Cognito: unset confirms
    if status not in ("CONFIRMED", "RESET_REQUIRED"):
        raise refuse("user_migration", "response.finalUserStatus must be CONFIRMED or RESET_REQUIRED")
    action = string("user_migration", response, "messageAction")
    if action not in (None, "SUPPRESS"):
        raise refuse("user_migration", "response.messageAction must be SUPPRESS or absent")
    mediums = strings("user_migration", response, "desiredDeliveryMediums") or ["SMS"]
    if not set(mediums) <= {"SMS", "EMAIL"}:
        raise refuse("user_migration", "response.desiredDeliveryMediums must list SMS or EMAIL")
    if not attributes:  # nothing to create: the trigger declined
        return None
    # Migrated by ForgotPassword, the user has no password yet: they must finish the reset first.
    confirmed = status == "CONFIRMED" and source == "UserMigration_Authentication"
    final: Literal["CONFIRMED", "RESET_REQUIRED"] = "CONFIRMED" if confirmed else "RESET_REQUIRED"
    return UserMigration(
        user_attributes=attributes,
        final_user_status=final,
        message_action="SUPPRESS" if action == "SUPPRESS" else None,
        desired_delivery_mediums=tuple(mediums),
        force_alias_creation=boolean("user_migration", response, "forceAliasCreation"),
        enable_sms_mfa=boolean("user_migration", response, "enableSMSMFA"),
    )
