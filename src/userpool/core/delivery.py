"""Sending a one-time code to the user's email or phone, and describing where it went (CodeDeliveryDetails)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from userpool.core import codes
from userpool.core.attributes import mask
from userpool.core.config import Template
from userpool.core.context import Ctx
from userpool.core.model import User


@dataclass(frozen=True)
class CodeDelivery:
    destination: str  # masked
    medium: str  # EMAIL | SMS
    attribute: str  # email | phone_number


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
) -> CodeDelivery:
    """Issue a code and queue the message. With `link` (LINK style), an email carries the URL `link(code)`
    instead of a code to type; an SMS always carries the code."""
    by_link = link is not None and attribute == "email"
    code = codes.issue(ctx, user, purpose, ttl, destination=f"{attribute}:{value}", for_link=by_link)
    if attribute == "email":
        subject, body = email.render(code, link=link(code) if link is not None and by_link else None)
        ctx.send(to=value, channel="EMAIL", subject=subject, body=body, purpose=purpose, code=code)
        return CodeDelivery(mask(value), "EMAIL", "email")
    _, body = sms.render(code)
    ctx.send(to=value, channel="SMS", subject="", body=body, purpose=purpose, code=code)
    return CodeDelivery(mask(value), "SMS", "phone_number")


def simulated(ctx: Ctx, login: str, *, purpose: str, user: User | None = None) -> CodeDelivery:
    """What a user is told when the pool hides whether users exist and no code goes out (unknown, or with
    nowhere to send it): a plausible masked target. The pretend send counts against the resend cooldown
    like a real one — the user's, or the login name's when there is no user — so the limit reveals nothing."""
    codes.count_send(ctx, user.sub if user is not None else codes.unknown_subject(ctx, login), purpose)
    if login.startswith("+"):
        return CodeDelivery(mask(login), "SMS", "phone_number")
    return CodeDelivery(mask(login if "@" in login else f"{login}@{login}"), "EMAIL", "email")
