"""NEW_PASSWORD_REQUIRED: a user with a temporary password (FORCE_CHANGE_PASSWORD, made by an administrator)
chooses their own before anything else of the sign-in happens.

    first factor with the temporary password ─▶ [NEW_PASSWORD_REQUIRED] ──NEW_PASSWORD (+ userAttributes.*)──▶
        password policy checked, password set, status CONFIRMED ─▶ the remaining steps

ChallengeParameters carry `userAttributes` (a JSON object of the user's attributes, without `sub` and the
`*_verified` flags, which a client could not send back) and `requiredAttributes` (a JSON list of the
pool's required attributes the user lacks, each prefixed `userAttributes.`): amazon-cognito-identity-js
parses both unconditionally. A refused answer (a weak password, a missing attribute) leaves the challenge
in place, so the user can try again with the same Session.
"""

from __future__ import annotations

import json

from userpool.core import attributes as attrs
from userpool.core.clients import check_writable, readable
from userpool.core.context import Ctx
from userpool.core.credentials import set_password
from userpool.core.errors import InvalidParameterException
from userpool.core.flows._challenge import (
    Answer,
    Challenge,
    Passed,
    Progress,
    answering_user,
    load_pending,
    park,
    require,
)
from userpool.core.identity import save_user
from userpool.core.model import Client, User, UserStatus

NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
PREFIX = "userAttributes."
_HIDDEN = frozenset({"sub", "email_verified", "phone_number_verified"})


def _missing(ctx: Ctx, user: User) -> list[str]:
    return [s.name for s in ctx.pool.attributes.values() if s.required and not user.attributes.get(s.name)]


def _given(responses: dict[str, str]) -> dict[str, str]:
    return {k[len(PREFIX) :]: v for k, v in responses.items() if k.startswith(PREFIX) and len(k) > len(PREFIX)}


class NewPasswordStep:
    name = "new_password"
    challenges = (NEW_PASSWORD_REQUIRED,)

    def applies(self, ctx: Ctx, user: User, progress: Progress) -> bool:
        return user.status == UserStatus.FORCE_CHANGE_PASSWORD

    def start(self, ctx: Ctx, client: Client, user: User, progress: Progress) -> Challenge:
        shown = {k: v for k, v in readable(client, user.attributes).items() if k not in _HIDDEN}
        params = {
            "USER_ID_FOR_SRP": user.username,
            "userAttributes": json.dumps(shown, ensure_ascii=False),
            "requiredAttributes": json.dumps([PREFIX + name for name in _missing(ctx, user)]),
        }
        return park(ctx, client, NEW_PASSWORD_REQUIRED, user, user.username, params, progress.to_state())

    def answer(self, ctx: Ctx, client: Client, answer: Answer) -> Passed:
        pending = load_pending(ctx, client, answer)
        user = answering_user(ctx, client, pending, answer)
        password = require(answer.responses, "NEW_PASSWORD")
        values = _given(answer.responses)
        if "email" in values:
            values["email"] = values["email"].strip()
        check_writable(client, values)
        attrs.check_client_write(ctx.pool, values, existing=user.attributes)
        for name, value in values.items():
            spec = attrs.spec_for(ctx.pool, name)
            if spec is not None and spec.required and user.attributes.get(name) not in (None, "", value):
                raise InvalidParameterException(
                    f"Cannot modify the required attribute {name}, which already has a value; "
                    "use UpdateUserAttributes after signing in"
                )
        merged = {**user.attributes, **values}
        attrs.check_required(ctx.pool, merged)
        set_password(ctx, user, password)  # the policy decides first: a refusal leaves the challenge in place
        for name in values:
            if name in attrs.VERIFIABLE and user.attributes.get(name) != values[name]:
                merged[attrs.verified_flag(name)] = "false"
        user.attributes = merged
        user.status = UserStatus.CONFIRMED
        user.temporary_password_expires_at = None
        save_user(ctx, user)
        return Passed(user, Progress.from_state(pending.state))


STEP = NewPasswordStep()
