"""Every string the hosted pages show, keyed by a stable id (Amplify Authenticator's English).

Templates and handlers use ids only (`t("sign_in.title")`); each language in `i18n/` is one more dict with
the same keys, and the definition's `authenticator.translations` may override any id per language. The
language of a request is set once, at the edge (`use_catalogue`), and `t` reads it. Core errors map to
message ids by their code (Cognito's exception name) in `ERRORS`, per page where a page needs a different
answer; an error with no entry shows `error.unknown`.

No web framework here: the definition imports this module to check translation ids when it loads.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

log = logging.getLogger("userpool.web")

EN: dict[str, str] = {
    # sign in
    "sign_in.title": "Sign In",
    "sign_in.submit": "Sign in",
    "sign_in.create_account": "Create Account",
    "sign_in.forgot_password": "Forgot your password?",
    "sign_in.with_provider": "Sign In with {provider}",
    "sign_in.or": "or",
    "sign_in.providers": "Sign in with another account",
    # sign up
    "sign_up.title": "Create Account",
    "sign_up.submit": "Create Account",
    "sign_up.have_account": "Back to Sign In",
    "sign_up.password_rules": "Your password must have:",
    "password.rule_length": "At least {count} characters",
    "password.rule_upper": "An uppercase letter",
    "password.rule_lower": "A lowercase letter",
    "password.rule_number": "A number",
    "password.rule_symbol": "A symbol",
    "password.rule_common": "Not a commonly used password",
    "password.rule_met": "done",
    "password.rule_unmet": "not yet",
    # confirm sign-up
    "confirm.title_email": "We Emailed You",
    "confirm.title_sms": "We Texted You",
    "confirm.body_email": "Your code is on the way. To log in, enter the code we emailed to {destination}. "
    "It may take a minute to arrive.",
    "confirm.body_sms": "Your code is on the way. To log in, enter the code we texted to {destination}. "
    "It may take a minute to arrive.",
    "confirm.body": "Your code is on the way. To log in, enter the code we sent you. It may take a minute to arrive.",
    "confirm.submit": "Confirm",
    "confirm.resend": "Resend Code",
    # forgot password / reset
    "forgot.title": "Reset Password",
    "forgot.submit": "Send code",
    "reset.title": "Reset Password",
    "reset.submit": "Submit",
    "reset.resend": "Resend Code",
    "common.back_to_sign_in": "Back to Sign In",
    # signed in / out
    "signed_in.title": "Signed In",
    "signed_in.body": "You are signed in as {name}.",
    "signed_in.sign_out": "Sign Out",
    "signed_out.title": "You have signed out",
    "signed_out.sign_in": "Sign In",
    # the challenges after the password (MFA, a new password) and recovery codes
    "confirm_sign_in.title_SMS": "Confirm SMS Code",
    "confirm_sign_in.title_EMAIL": "Confirm Email Code",
    "confirm_sign_in.title_TOTP": "Confirm TOTP Code",
    "confirm_sign_in.body_SMS": "We texted a code to {destination}. It may take a minute to arrive.",
    "confirm_sign_in.body_EMAIL": "We emailed a code to {destination}. It may take a minute to arrive.",
    "confirm_sign_in.body_TOTP": "Enter the code from your authenticator app.",
    "confirm_sign_in.submit": "Confirm",
    "confirm_sign_in.recovery_title": "Use a recovery code",
    "confirm_sign_in.recovery_body": "Lost your phone or app? Enter one of your recovery codes instead. "
    "Each code works once.",
    "confirm_sign_in.recovery_submit": "Use recovery code",
    "select_mfa.title": "Multi-Factor Authentication",
    "select_mfa.body": "How do you want to confirm that it is you?",
    "select_mfa.submit": "Confirm",
    "mfa.SMS": "Text message (SMS)",
    "mfa.TOTP": "Authenticator app (TOTP)",
    "mfa.EMAIL": "Email",
    "setup_totp.title": "Setup TOTP",
    "setup_totp.body": "Your account needs a second factor. Scan the QR code with an authenticator app, or type "
    "its secret key, then enter the code the app shows.",
    "setup_totp.secret": "Secret key",
    "setup_totp.open": "Open in an authenticator app",
    "setup_totp.submit": "Confirm",
    "setup_totp.qr": "QR code of the secret key, for an authenticator app",
    "select_mfa.setup_title": "Set Up Multi-Factor Authentication",
    "select_mfa.setup_body": "Your account needs a second factor. How do you want to receive your sign-in codes?",
    "setup_email.title": "Setup Email",
    "setup_email.body": "Your account needs a second factor. Enter the email address we should send your "
    "sign-in codes to.",
    "setup_email.submit": "Send code",
    "verify_user.title": "Account recovery requires verified contact information",
    "verify_user.body": "Verify where we can reach you, so that you can reset your password if you forget it.",
    "verify_user.legend": "Send a code to",
    "verify_user.choice": "{attribute}: {destination}",
    "verify_user.submit": "Verify",
    "verify_user.skip": "Skip",
    "confirm_verify_user.title": "Verify Contact",
    "confirm_verify_user.body": "Enter the code we sent to {destination}. It may take a minute to arrive.",
    "confirm_verify_user.submit": "Submit",
    "force_new_password.title": "Change Password",
    "force_new_password.body": "Your password is temporary. Choose your own to continue.",
    "force_new_password.submit": "Change Password",
    "recovery_codes.title": "Recovery Codes",
    "recovery_codes.body": "A recovery code signs you in once, in place of a code from your phone, app or email.",
    "recovery_codes.remaining": "Unused recovery codes: {count}.",
    "recovery_codes.generate": "Generate new recovery codes",
    "recovery_codes.replaces": "New codes replace all the old ones.",
    "recovery_codes.shown_once": "Save these codes somewhere safe now: they will not be shown again.",
    "recovery_codes.needs_mfa": "Recovery codes stand in for multi-factor authentication: turn it on first.",
    "recovery_codes.back": "Back",
    # fields
    "field.email": "Email",
    "field.phone_number": "Phone Number",
    "field.username": "Username",
    "field.email_or_phone": "Email or Phone Number",
    "field.password": "Password",
    "field.confirm_password": "Confirm Password",
    "field.confirmation_code": "Confirmation Code",
    "field.code": "Code",
    "field.new_password": "New Password",
    "placeholder.email": "Enter your Email",
    "placeholder.phone_number": "Enter your Phone Number",
    "placeholder.username": "Enter your Username",
    "placeholder.email_or_phone": "Enter your Email or Phone Number",
    "placeholder.password": "Enter your Password",
    "placeholder.confirm_password": "Please confirm your Password",
    "placeholder.code": "Enter your code",
    "placeholder.new_password": "Enter your new password",
    "hint.phone_number": "Include the country code, e.g. +14155550123",
    "field.recovery_code": "Recovery Code",
    "placeholder.recovery_code": "xxxxxx-xxxxxx-xxxxxx-xxxxxx",
    # standard attributes on the sign-up form
    "attribute.name": "Name",
    "attribute.given_name": "Given Name",
    "attribute.family_name": "Family Name",
    "attribute.middle_name": "Middle Name",
    "attribute.nickname": "Nickname",
    "attribute.preferred_username": "Preferred Username",
    "attribute.profile": "Profile",
    "attribute.picture": "Picture",
    "attribute.website": "Website",
    "attribute.gender": "Gender",
    "attribute.birthdate": "Birthdate",
    "attribute.zoneinfo": "Zoneinfo",
    "attribute.locale": "Locale",
    "attribute.address": "Address",
    "attribute.email": "Email",
    "attribute.phone_number": "Phone Number",
    # the page around the form
    "page.language": "Language",
    "page.logo": "Logo",
    # notices (shown with role="status")
    "notice.verified": "Thank you: your contact information is verified.",
    "notice.confirmed": "Your account is confirmed. Sign in to continue.",
    "notice.password_reset": "Your password has been reset. Sign in with your new password.",
    "notice.code_resent": "We sent you a new code.",
    "notice.reset_required": "You need to reset your password before you can sign in.",
    "notice.sign_in_again": "Your sign-in timed out or was ended. Please sign in again.",
    "notice.mfa_setup_elsewhere": "Your account needs multi-factor authentication, which this page cannot set "
    "up. Set it up in the app, then sign in again.",
    # errors (shown with role="alert")
    "error.passwords_must_match": "Your passwords must match",
    "error.password_rules": "Your password must have: {rules}.",
    "error.password_common": "Password is too common. Choose one that is harder to guess.",
    "error.field_required": "{field} is required.",
    "error.incorrect_credentials": "Incorrect username or password.",
    "error.account_exists": "An account with the given {login} already exists.",
    "error.code_mismatch": "Invalid verification code provided, please try again.",
    "error.code_expired": "Invalid code provided, please request a code again.",
    "error.limit_exceeded": "Attempt limit exceeded, please try after some time.",
    "error.already_confirmed": "This account is already confirmed. Sign in to continue.",
    "error.delivery_failed": "We could not send you a code. Please try again later.",
    "error.unknown_client": "This app is not set up to use the hosted sign-in.",
    "error.detail": "{detail}",
    "error.unknown": "Something went wrong. Please try again.",
    # whole-page errors
    "page_error.title": "An error was encountered with the requested page.",
    "page_error.invalid_client": "The app that sent you here is not known to this user pool.",
    "page_error.redirect_mismatch": "The address the app asked to return to is not registered for it.",
    "page_error.invalid_request": "The request is missing a parameter or has an invalid one.",
    "page_error.link": "This confirmation link does not work (any more).",
    "page_error.bad_form": "The form could not be read. Please go back and try again.",
    "page_error.csrf_title": "This form has expired",
    "page_error.csrf": "For your security the form could not be accepted. Please go back, reload the page "
    "and try again.",
    "page_error.server": "Something went wrong on our side. Please try again later.",
    "page_error.invalid_state": (
        "This sign-in has expired, was already used, or was started in another "
        "browser. Go back to the app and sign in again."
    ),
    "page_error.unknown_provider": "This app does not offer sign-in with that provider.",
    "page_error.sign_up_hidden": "New accounts cannot be created here. Ask the app's administrator for one.",
}

# Core error code → message id; "<page>:<code>" overrides for one page.
ERRORS: dict[str, str] = {
    "NotAuthorizedException": "error.incorrect_credentials",
    "UserNotFoundException": "error.incorrect_credentials",
    "UsernameExistsException": "error.account_exists",
    "AliasExistsException": "error.account_exists",
    "CodeMismatchException": "error.code_mismatch",
    "ExpiredCodeException": "error.code_expired",
    "LimitExceededException": "error.limit_exceeded",
    "TooManyRequestsException": "error.limit_exceeded",
    "TooManyFailedAttemptsException": "error.limit_exceeded",
    "InvalidPasswordException": "error.detail",  # the policy's own words: which rule the password broke
    "InvalidParameterException": "error.detail",  # e.g. "Invalid email address format."
    "UserLambdaValidationException": "error.detail",  # a trigger's refusal, in its own words
    "CodeDeliveryFailureException": "error.delivery_failed",
    "ResourceNotFoundException": "error.unknown_client",
    "EnableSoftwareTokenMFAException": "error.code_mismatch",
    "challenge:ExpiredCodeException": "error.detail",  # an expired code, or a TOTP code used before
    "confirm:NotAuthorizedException": "error.already_confirmed",
    "confirm:UserNotFoundException": "error.code_mismatch",
    "reset:UserNotFoundException": "error.code_mismatch",
    "forgot:UserNotFoundException": "error.unknown",
}


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


_texts: ContextVar[Mapping[str, str]] = ContextVar("userpool_web_texts", default=EN)


@contextmanager
def use_catalogue(texts: Mapping[str, str]) -> Iterator[None]:
    """Within this block (one request), `t` answers from `texts` (a language over English)."""
    token = _texts.set(texts)
    try:
        yield
    finally:
        _texts.reset(token)


def t(message_id: str, **values: str) -> str:
    """The text for an id, `{placeholders}` filled (a missing value is blank). An unknown id raises KeyError."""
    texts = _texts.get()
    text = texts[message_id] if message_id in texts else EN[message_id]
    return text.format_map(_Values(values))


def placeholders(text: str) -> set[str]:
    """The `{names}` a text uses; ValueError when its braces are not well formed."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def error_text(page: str, code: str, detail: str, **values: str) -> str:
    """What a page shows for a core error. Unmapped codes get the generic text and a log line."""
    message_id = ERRORS.get(f"{page}:{code}") or ERRORS.get(code)
    if message_id is None:
        log.warning("hosted page %s: unmapped error %s", page, code)
        return t("error.unknown")
    return t(message_id, detail=detail, **values)
