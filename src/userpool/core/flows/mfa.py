"""The MFA step of sign-in: Cognito's SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE and MFA_SETUP.

    pool OFF, or a remembered device ─────────────────────────────────────────────────▶ (skipped)
    the user's factors on (and usable):
        one, or a preferred one ─▶ [SMS_MFA | EMAIL_OTP | SOFTWARE_TOKEN_MFA] ─right code─▶ passed
        several, none preferred ─▶ [SELECT_MFA_TYPE] ─ANSWER─▶ [that factor's challenge] ─▶ …
    none on, pool OPTIONAL ───────────────────────────────────────────────────────────▶ (skipped)
    none on, pool REQUIRED: a verified phone (SMS) or email (EMAIL) the pool offers is used as if on;
        else [MFA_SETUP] ─AssociateSoftwareToken / VerifySoftwareToken (Session)─▶ [MFA_SETUP, verified] ─▶ passed
                         └─{EMAIL: address}─▶ [EMAIL_OTP to that address] ─right code─▶ email set, EMAIL on, passed

Codes: SMS and email codes are 6 random digits, live 3 minutes (Cognito's MFA code validity), and are kept
only as a keyed hash in this challenge's sealed state, so they work for this sign-in alone and once.
A wrong answer keeps the challenge (same Session, as Cognito) and is counted; the pool's `code_attempts`-th
wrong answer ends the sign-in. Each code challenge started also counts against a per-user cooldown bucket
(core/codes.py, purpose "mfa": 5 at once, then one per 5 minutes), so with the password alone at most 17
challenges x 5 answers = 85 guesses an hour are possible, below ASVS's 100 failed attempts an hour, and a
phone cannot be flooded with codes. Any code field also takes one of the user's recovery codes
(`recovery_codes.py`), or the answer can carry it as RECOVERY_CODE.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Literal

from userpool.core import codes, lockout
from userpool.core.attributes import mask, verified_flag
from userpool.core.context import Ctx
from userpool.core.delivery import compose
from userpool.core.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
)
from userpool.core.flows import mfa_settings, recovery_codes, software_token
from userpool.core.flows._challenge import (
    Answer,
    Challenge,
    Passed,
    Progress,
    answering_user,
    count_wrong,
    load_pending,
    park,
    require,
    step_state,
)
from userpool.core.flows.mfa_settings import FROM_WIRE, WIRE
from userpool.core.flows.software_token import MFA_SETUP
from userpool.core.identity import save_user
from userpool.core.model import MFA_FACTORS, AuthSession, Client, User

SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP = WIRE["SMS"], WIRE["TOTP"], WIRE["EMAIL"]
SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
CODE_FIELD = {SMS_MFA: "SMS_MFA_CODE", SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN_MFA_CODE", EMAIL_OTP: "EMAIL_OTP_CODE"}
RECOVERY_CODE = "RECOVERY_CODE"  # an explicit recovery code, in any code challenge's answer
CODE_TTL = 180  # Cognito: an MFA code is valid 3 minutes
SEND_PURPOSE = "mfa"  # the cooldown bucket every started code challenge counts against
WRONG_CODE = "Invalid code or auth state for the user."
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _code_hash(ctx: Ctx, user: User, code: str) -> str:
    return ctx.keyed.digest("mfa-code", f"{ctx.pool.pool_id}|{user.sub}|{code}")


def _choices(ctx: Ctx, user: User) -> tuple[str, ...]:
    """The factors this sign-in may ask for: the preferred one, else all that are on; in a REQUIRED pool
    with none on, the verified phone or email the pool offers."""
    settings = mfa_settings.load(ctx, user)
    on = mfa_settings.active(ctx, user, settings)
    if settings.preferred in on:
        return (settings.preferred,)
    if on or ctx.pool.mfa_mode != "REQUIRED":
        return on
    return tuple(f for f in ("SMS", "EMAIL") if mfa_settings.can_use(ctx, user, settings, f))


def _can_set_up(ctx: Ctx) -> tuple[str, ...]:
    """MFAS_CAN_SETUP: the pool's factors; Amplify sets up TOTP and email itself and ignores SMS, which needs
    a phone number collected first."""
    return tuple(f for f in MFA_FACTORS if f in ctx.pool.mfa_factors)


def send_code(ctx: Ctx, client: Client, user: User, factor: str, to: str) -> str:
    """Queue an SMS or email with a new code from the pool's MFA template (or the custom message trigger's
    text, source CustomMessage_Authentication); returns the code."""
    code = ctx.random.digits(codes.CODE_DIGITS)
    templates = ctx.pool.templates
    channel: Literal["EMAIL", "SMS"] = "SMS" if factor == "SMS" else "EMAIL"
    subject, body = compose(
        ctx,
        user,
        source="CustomMessage_Authentication",
        channel=channel,
        template=templates.mfa_sms if factor == "SMS" else templates.mfa_email,
        code=code,
        client_id=client.id,
        username=user.username,
    )
    purpose = "mfa_sms" if factor == "SMS" else "mfa_email"
    subject = subject if channel == "EMAIL" else ""
    ctx.send(to=to, channel=channel, subject=subject, body=body, purpose=purpose, code=code)
    return code


def ask(
    ctx: Ctx, client: Client, user: User, progress: Progress, factor: str, *, setup_email: str | None = None
) -> Challenge:
    """Park `factor`'s code challenge (sending the code for SMS and email)."""
    codes.count_send(ctx, user.sub, SEND_PURPOSE)
    name = WIRE[factor]
    params = {"USER_ID_FOR_SRP": user.username}
    state = {**progress.to_state(), "factor": factor, "attempts": "0"}
    if factor != "TOTP":
        to = setup_email or user.attributes[mfa_settings.ATTRIBUTE[factor]]
        code = send_code(ctx, client, user, factor, to)
        state |= {"code_hash": _code_hash(ctx, user, code), "code_expires_at": repr(ctx.now() + CODE_TTL)}
        if setup_email:
            state["setup_email"] = setup_email
        params |= {"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS" if factor == "SMS" else "EMAIL"}
        params |= {"CODE_DELIVERY_DESTINATION": mask(to)}
    return park(ctx, client, name, user, user.username, params, state)


class MfaStep:
    name = "mfa"
    challenges = (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE, MFA_SETUP)

    def applies(self, ctx: Ctx, user: User, progress: Progress) -> bool:
        if ctx.pool.mfa_mode == "OFF" or progress.remembered:  # a remembered device stands in for MFA
            return False
        return ctx.pool.mfa_mode == "REQUIRED" or bool(_choices(ctx, user))

    def start(self, ctx: Ctx, client: Client, user: User, progress: Progress) -> Challenge:
        choices = _choices(ctx, user)
        if len(choices) == 1:
            return ask(ctx, client, user, progress, choices[0])
        params = {"USER_ID_FOR_SRP": user.username}
        if choices:
            params["MFAS_CAN_CHOOSE"] = json.dumps([WIRE[f] for f in choices])
            state = {**progress.to_state(), "choices": ",".join(choices)}
            return park(ctx, client, SELECT_MFA_TYPE, user, user.username, params, state)
        can = _can_set_up(ctx)
        params["MFAS_CAN_SETUP"] = json.dumps([WIRE[f] for f in can])
        state = {**progress.to_state(), "can_setup": ",".join(can)}
        return park(ctx, client, MFA_SETUP, user, user.username, params, state)

    def answer(self, ctx: Ctx, client: Client, answer: Answer) -> Challenge | Passed:
        if answer.challenge == SELECT_MFA_TYPE:
            return self._select(ctx, client, answer)
        if answer.challenge == MFA_SETUP:
            return self._setup(ctx, client, answer)
        return self._code(ctx, client, answer)

    def _select(self, ctx: Ctx, client: Client, answer: Answer) -> Challenge:
        pending = load_pending(ctx, client, answer)
        user = answering_user(ctx, client, pending, answer)
        factor = FROM_WIRE.get(require(answer.responses, "ANSWER"), "")
        if factor not in pending.state.get("choices", "").split(","):
            choices = ", ".join(WIRE[f] for f in pending.state.get("choices", "").split(",") if f in WIRE)
            raise InvalidParameterException(f"ANSWER must be one of {choices}")
        return ask(ctx, client, user, Progress.from_state(pending.state), factor)

    def _setup(self, ctx: Ctx, client: Client, answer: Answer) -> Challenge | Passed:
        pending = load_pending(ctx, client, answer, spend=False)
        user = answering_user(ctx, client, pending, answer)
        progress = Progress.from_state(pending.state)
        email = answer.responses.get("EMAIL", "").strip()
        if software_token.setup_verified(pending):
            ctx.tx.delete_auth_session(pending.id)
            return Passed(user, progress)
        if email and "EMAIL" in pending.state.get("can_setup", "").split(","):
            if not _EMAIL.fullmatch(email):
                raise InvalidParameterException("Invalid email address format.")
            ctx.tx.delete_auth_session(pending.id)
            return ask(ctx, client, user, progress, "EMAIL", setup_email=email)
        raise InvalidParameterException(
            "MFA_SETUP needs a software token verified with VerifySoftwareToken (this Session), "
            "or an EMAIL to send a code to"
        )

    def _wrong(self, ctx: Ctx, user: User, pending: AuthSession, refusal: Exception) -> Exception:
        """A wrong MFA or recovery code: counted in the sign-in (five end it) and towards the lockout."""
        lockout.failed(ctx, lockout.SIGN_IN, user.sub)
        return count_wrong(ctx, pending, refusal)

    def _code(self, ctx: Ctx, client: Client, answer: Answer) -> Passed:
        pending = load_pending(ctx, client, answer, spend=False)
        user = answering_user(ctx, client, pending, answer)
        lockout.check(ctx, lockout.SIGN_IN, user.sub)
        state = step_state(pending.state)
        given = answer.responses.get(RECOVERY_CODE) or require(answer.responses, CODE_FIELD[answer.challenge])
        if RECOVERY_CODE in answer.responses or recovery_codes.looks_like(given):
            if not recovery_codes.use(ctx, user, given):
                raise self._wrong(ctx, user, pending, CodeMismatchException(WRONG_CODE, keep_writes=True))
        elif state["factor"] == "TOTP":
            try:
                software_token.check_sign_in_code(ctx, user, mfa_settings.load(ctx, user), given)
            except (CodeMismatchException, ExpiredCodeException) as refusal:
                raise self._wrong(ctx, user, pending, type(refusal)(refusal.message, keep_writes=True)) from None
        else:
            if float(state["code_expires_at"]) <= ctx.now():
                ctx.tx.delete_auth_session(pending.id)
                raise ExpiredCodeException("Invalid code provided, please request a code again.", keep_writes=True)
            if not hmac.compare_digest(state["code_hash"], _code_hash(ctx, user, given)):
                raise self._wrong(ctx, user, pending, CodeMismatchException(WRONG_CODE, keep_writes=True))
            if state.get("setup_email"):
                _finish_email_setup(ctx, user, state["setup_email"])
        ctx.tx.delete_auth_session(pending.id)
        return Passed(user, Progress.from_state(pending.state))


def _finish_email_setup(ctx: Ctx, user: User, email: str) -> None:
    """The code reached `email`: it is the user's email now, verified, and their EMAIL factor is on."""
    if user.attributes.get("email") != email:
        user.attributes["email"] = email
        user.pending_attributes.pop("email", None)
    user.attributes[verified_flag("email")] = "true"
    save_user(ctx, user)
    settings = mfa_settings.load(ctx, user)
    mfa_settings.turn_on(ctx, user, settings, "EMAIL", preferred=not settings.enabled() or None)
    mfa_settings.save(ctx, settings)


STEP = MfaStep()
