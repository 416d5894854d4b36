"""A sandbox whose amplify/auth/resource.py defines the sign-in triggers, for the real clients: a "secret
word" custom challenge (with or without the password first), a user migration from an in-file directory of
legacy users, and a pre authentication that blocks some accounts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.sandbox import Sandbox, start_sandbox

SECRET_WORD = "open sesame"
LEGACY_PASSWORD = "Legacy-Passw0rd!"
# The legacy directory's users (each test migrates its own: migration happens once per user).
LEGACY_USERS = ("legacy-boto@example.com", "legacy-reset@example.com", "legacy-amplify@example.com")

RESOURCE = f"""from userpool import define_auth

SECRET_WORD = {SECRET_WORD!r}
LEGACY_USERS = {{email: {LEGACY_PASSWORD!r} for email in {LEGACY_USERS!r}}}  # the old directory


def define_auth_challenge(event):
    session = event["request"]["session"]
    response = event["response"]
    last = session[-1] if session else None
    wrong = sum(1 for r in session if r["challengeName"] == "CUSTOM_CHALLENGE" and not r["challengeResult"])
    if last and last["challengeName"] == "SRP_A":
        response["challengeName"] = "PASSWORD_VERIFIER"
    elif last and last["challengeName"] == "CUSTOM_CHALLENGE" and last["challengeResult"]:
        response["issueTokens"] = True
    elif wrong >= 3:
        response["failAuthentication"] = True
    else:
        response["challengeName"] = "CUSTOM_CHALLENGE"
    return event


def create_auth_challenge(event):
    event["response"]["publicChallengeParameters"] = {{"question": "What is the secret word?"}}
    event["response"]["privateChallengeParameters"] = {{"answer": SECRET_WORD}}
    event["response"]["challengeMetadata"] = "SECRET-WORD"
    return event


def verify_auth_challenge_response(event):
    request = event["request"]
    event["response"]["answerCorrect"] = request["challengeAnswer"] == request["privateChallengeParameters"]["answer"]
    return event


def user_migration(event):
    email = event["userName"].lower()
    if email not in LEGACY_USERS:
        raise Exception("User not found in the legacy directory")
    if event["triggerSource"] == "UserMigration_Authentication" and event["request"]["password"] != LEGACY_USERS[email]:
        raise Exception("Bad password")
    event["response"]["userAttributes"] = {{"email": email, "email_verified": "true"}}
    event["response"]["finalUserStatus"] = "CONFIRMED"
    event["response"]["messageAction"] = "SUPPRESS"
    return event


def pre_authentication(event):
    if event["request"]["userAttributes"].get("email", "").startswith("blocked-"):
        raise Exception("This account is blocked")


auth = define_auth(
    login_with={{"email": True}},
    triggers={{
        "defineAuthChallenge": define_auth_challenge,
        "createAuthChallenge": create_auth_challenge,
        "verifyAuthChallengeResponse": verify_auth_challenge_response,
        "userMigration": user_migration,
        "preAuthentication": pre_authentication,
    }},
)
"""


@contextmanager
def custom_auth_sandbox(app_dir: Path) -> Iterator[Sandbox]:
    box = start_sandbox(app_dir, RESOURCE)
    try:
        yield box
    finally:
        box.stop()
