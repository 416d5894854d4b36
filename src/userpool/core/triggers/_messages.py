"""The custom message trigger: the text of every message that carries a code (or a temporary password).

The trigger never sees the code: it gets the placeholders (`codeParameter` "{####}", `linkParameter`
"{##Click Here##}", `usernameParameter` "{username}" for an invitation) and answers with text that uses
them; the pool puts the code in afterwards (`core.delivery.compose`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from userpool.core.config import CODE_PLACEHOLDER, USERNAME_PLACEHOLDER
from userpool.core.context import Ctx
from userpool.core.model import User
from userpool.core.triggers._dispatch import Response, dispatch, string, user_attributes

CustomMessageSource = Literal[
    "CustomMessage_SignUp",
    "CustomMessage_AdminCreateUser",
    "CustomMessage_ResendCode",
    "CustomMessage_ForgotPassword",
    "CustomMessage_UpdateUserAttribute",
    "CustomMessage_VerifyUserAttribute",
    "CustomMessage_Authentication",
]
# What Cognito offers as the link placeholder of a LINK-style verification email.
LINK_PARAMETER = "{##Click Here##}"


@dataclass(frozen=True)
class CustomMessage:
    """response of the custom message trigger: None for a member the trigger left alone (the pool's own
    template is used for it)."""

    sms_message: str | None = None
    email_message: str | None = None
    email_subject: str | None = None


def custom_message(
    ctx: Ctx,
    *,
    source: CustomMessageSource,
    client_id: str | None,
    user: User,
    link: bool = False,
    client_metadata: Mapping[str, str] | None = None,
) -> CustomMessage:
    """Ask the trigger for the message text; with no trigger, nothing to change. `link`: the email goes
    out LINK style, so `linkParameter` is offered."""
    request: dict[str, object] = {
        "userAttributes": user_attributes(user.attributes, user.status.value),
        "codeParameter": CODE_PLACEHOLDER,
        "linkParameter": LINK_PARAMETER if link else None,
        "usernameParameter": USERNAME_PLACEHOLDER if source == "CustomMessage_AdminCreateUser" else None,
    }
    if client_metadata:
        request["clientMetadata"] = dict(client_metadata)
    return dispatch(
        ctx,
        "custom_message",
        source,
        username=user.username,
        client_id=client_id,
        request=request,
        response={"smsMessage": None, "emailMessage": None, "emailSubject": None},
        parse=_custom_message,
    )


def _custom_message(response: Response) -> CustomMessage:
    return CustomMessage(
        sms_message=string("custom_message", response, "smsMessage"),
        email_message=string("custom_message", response, "emailMessage"),
        email_subject=string("custom_message", response, "emailSubject"),
    )
