"""Sending a one-time code to the user's email or phone, and describing where it went (CodeDeliveryDetails).

Every message that carries a code is written by `compose`: the pool's template, or the custom message
trigger's text when the pool has one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from userpool.core import codes, triggers
from userpool.core.attributes import mask
from userpool.core.config import CODE_PLACEHOLDER, LINK_PLACEHOLDER, USERNAME_PLACEHOLDER, Template
from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException
from userpool.core.model import User

# Cognito's limits on a message, code included (custom message trigger documentation).
MAX_EMAIL_LENGTH = 20_000
MAX_SMS_LENGTH = 140
# Which custom-message source a code's purpose is, when the caller does not say.
_SOURCES: dict[str, triggers.CustomMessageSource] = {
    "sign_up": "CustomMessage_SignUp",
    "forgot_password": "CustomMessage_ForgotPassword",
}


@dataclass(frozen=True)
class CodeDelivery:
    destination: str  # masked
    medium: str  # EMAIL | SMS
    attribute: str  # email | phone_number


def _custom_template(
    source: triggers.CustomMessageSource,
    channel: Literal["EMAIL", "SMS"],
    custom: triggers.CustomMessage,
    template: Template,
    *,
    by_link: bool,
) -> Template:
    """The trigger's text where it gave some, the template's elsewhere. Text without the code placeholder
    (or, LINK style, a {##link##}) would send no code: refused, as Cognito refuses it."""
    text = custom.email_message if channel == "EMAIL" else custom.sms_message
    subject = custom.email_subject if channel == "EMAIL" else None
    if text is not None:
        member = "emailMessage" if channel == "EMAIL" else "smsMessage"
        if CODE_PLACEHOLDER not in text and not (by_link and LINK_PLACEHOLDER.search(text)):
            raise InvalidParameterException(
                f"The CustomMessage trigger's {member} must contain the code placeholder {CODE_PLACEHOLDER}."
            )
        if source == "CustomMessage_AdminCreateUser" and USERNAME_PLACEHOLDER not in text:
            raise InvalidParameterException(
                f"The CustomMessage trigger's {member} must contain the username placeholder {USERNAME_PLACEHOLDER}."
            )
    return Template(body=text if text is not None else template.body, subject=subject or template.subject)


def compose(
    ctx: Ctx,
    user: User,
    *,
    source: triggers.CustomMessageSource,
    channel: Literal["EMAIL", "SMS"],
    template: Template,
    code: str,
    client_id: str | None = None,
    link: str | None = None,
    username: str = "",
    client_metadata: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """(subject, body) of a message carrying `code` (a code, or an invitation's temporary password): the
    custom message trigger's text if the pool has one, else `template`. `link`: the email's LINK-style URL;
    `username`: what an invitation's {username} becomes. The trigger sees placeholders, never the code."""
    chosen = template
    if triggers.configured(ctx, "custom_message"):
        by_link = link is not None and channel == "EMAIL"
        custom = triggers.custom_message(
            ctx, source=source, client_id=client_id, user=user, link=by_link, client_metadata=client_metadata
        )
        chosen = _custom_template(source, channel, custom, template, by_link=by_link)
    subject, body = chosen.render(code, link=link if channel == "EMAIL" else None, username=username)
    limit = MAX_EMAIL_LENGTH if channel == "EMAIL" else MAX_SMS_LENGTH
    if chosen is not template and len(body) > limit:
        raise InvalidParameterException(
            f"The CustomMessage trigger's {'emailMessage' if channel == 'EMAIL' else 'smsMessage'} is longer "
            f"than {limit} characters."
        )
    return subject, body


def send_code(
    ctx: Ctx,
    user: User,
    *,
    purpose: str,
    ttl: int,
    attribute: str,
    value: str,
    email: Template,
    sms: Template,
    link: Callable[[str], str] | None = None,
    source: triggers.CustomMessageSource | None = None,
    client_id: str | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> CodeDelivery:
    """Issue a code and queue the message. With `link` (LINK style), an email carries the URL `link(code)`
    instead of a code to type; an SMS always carries the code. `source` is the custom message trigger's
    source (by default from `purpose`: sign-up, forgot password, else attribute verification)."""
    by_link = link is not None and attribute == "email"
    code = codes.issue(ctx, user, purpose, ttl, destination=f"{attribute}:{value}", for_link=by_link)
    source = source or _SOURCES.get(purpose, "CustomMessage_VerifyUserAttribute")
    channel: Literal["EMAIL", "SMS"] = "EMAIL" if attribute == "email" else "SMS"
    subject, body = compose(
        ctx,
        user,
        source=source,
        channel=channel,
        template=email if channel == "EMAIL" else sms,
        code=code,
        client_id=client_id,
        link=link(code) if link is not None and by_link else None,
        client_metadata=client_metadata,
    )
    ctx.send(to=value, channel=channel, subject=subject, body=body, purpose=purpose, code=code)
    if channel == "EMAIL":
        return CodeDelivery(mask(value), "EMAIL", "email")
    return CodeDelivery(mask(value), "SMS", "phone_number")


def simulated(ctx: Ctx, login: str, *, purpose: str, user: User | None = None) -> CodeDelivery:
    """What a user is told when the pool hides whether users exist and no code goes out (unknown, or with
    nowhere to send it): a plausible masked target. The pretend send counts against the resend cooldown
    like a real one — the user's, or the login name's when there is no user — so the limit reveals nothing."""
    codes.count_send(ctx, user.sub if user is not None else codes.unknown_subject(ctx, login), purpose)
    if login.startswith("+"):
        return CodeDelivery(mask(login), "SMS", "phone_number")
    return CodeDelivery(mask(login if "@" in login else f"{login}@{login}"), "EMAIL", "email")
