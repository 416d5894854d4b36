"""Cognito's Lambda triggers as the definition's Python callables: a closed set of ten names, each with
Cognito's event (so a Lambda's logic ports by renaming) and a typed response, all called through one
dispatcher (`_dispatch.dispatch`) that bounds, times and logs them.

| trigger | Cognito's trigger sources | wired in |
|---|---|---|
| pre_sign_up | PreSignUp_SignUp, _AdminCreateUser (_ExternalProvider) | flows/sign_up.sign_up, admin.create_user |
| post_confirmation | PostConfirmation_ConfirmSignUp, _ConfirmForgotPassword | confirm_sign_up, recovery, federation |
| custom_message | CustomMessage_SignUp, _ResendCode, _ForgotPassword, _UpdateUserAttribute, | delivery.compose |
| | _VerifyUserAttribute, _AdminCreateUser, _Authentication | |
| pre_token_generation | TokenGeneration_HostedAuth, _Authentication, _NewPasswordChallenge, | tokens._mint |
| | _AuthenticateDevice, _RefreshTokens | |
| user_migration | UserMigration_Authentication, _ForgotPassword | flows/migration.py |
| pre_authentication | PreAuthentication_Authentication | sign_in (password, SRP), custom_auth |
| post_authentication | PostAuthentication_Authentication | challenges.post_authentication |
| define/create_auth_challenge, verify_auth_challenge_response | …_Authentication | flows/custom_auth.py |

Failures: the callable raised → UserLambdaValidationException "<Name> failed with error <message>."; it
ran past `TIMEOUT` → UnexpectedLambdaException; it answered something else than its event or a member of
the wrong type → InvalidLambdaResponseException. Each fails the action, which then writes nothing.
One exception: a user_migration trigger that raises declines the migration (`user_migration` returns None),
as a migration Lambda says "not in the old directory" by failing.
"""

from userpool.core.triggers._account import (
    PostConfirmationSource,
    PreSignUp,
    PreSignUpSource,
    UserMigration,
    UserMigrationSource,
    post_confirmation,
    pre_sign_up,
    user_migration,
)
from userpool.core.triggers._dispatch import COGNITO_NAMES, TIMEOUT, TRIGGERS, TriggerName, configured, dispatch
from userpool.core.triggers._messages import LINK_PARAMETER, CustomMessage, CustomMessageSource, custom_message
from userpool.core.triggers._sign_in import (
    ChallengeResult,
    CreateAuthChallenge,
    DefineAuthChallenge,
    create_auth_challenge,
    define_auth_challenge,
    post_authentication,
    pre_authentication,
    verify_auth_challenge_response,
)
from userpool.core.triggers._tokens import PROTECTED, TokenOverrides, TokenSource, pre_token_generation

__all__ = [
    "COGNITO_NAMES",
    "LINK_PARAMETER",
    "PROTECTED",
    "TIMEOUT",
    "TRIGGERS",
    "ChallengeResult",
    "CreateAuthChallenge",
    "CustomMessage",
    "CustomMessageSource",
    "DefineAuthChallenge",
    "PostConfirmationSource",
    "PreSignUp",
    "PreSignUpSource",
    "TokenOverrides",
    "TokenSource",
    "TriggerName",
    "UserMigration",
    "UserMigrationSource",
    "configured",
    "create_auth_challenge",
    "custom_message",
    "define_auth_challenge",
    "dispatch",
    "post_authentication",
    "post_confirmation",
    "pre_authentication",
    "pre_sign_up",
    "pre_token_generation",
    "user_migration",
    "verify_auth_challenge_response",
]
