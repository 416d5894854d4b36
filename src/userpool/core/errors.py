"""One error hierarchy for the whole pool.

Every error's class name *is* its stable code: Cognito's exception name, which the JSON API renders in
`__type` and `x-amzn-ErrorType`, and which the hosted pages map to a message id. Errors are raised by the
core and the store and rendered once, at the edge.
"""

from __future__ import annotations

from typing import ClassVar


class CognitoError(Exception):
    """Base class: a refusal the client caused, rendered with HTTP 400 unless `status` says otherwise."""

    status: ClassVar[int] = 400
    # Seconds until a throttled request may succeed, when the refusal knows it (core/rate_limits.py):
    # the adapters that can say so (the OAuth token endpoint's Retry-After) do.
    retry_after: float | None = None

    def __init__(self, message: str, *, keep_writes: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # A refusal that must still be remembered (a failed attempt counted, a code burned) sets this so the
        # unit of work commits what the flow wrote before raising; every other refusal writes nothing.
        self.keep_writes = keep_writes

    @property
    def code(self) -> str:
        return type(self).__name__


class InvalidParameterException(CognitoError): ...


class InvalidPasswordException(CognitoError): ...


class NotAuthorizedException(CognitoError): ...


class UserNotFoundException(CognitoError): ...


class UserNotConfirmedException(CognitoError): ...


class UsernameExistsException(CognitoError): ...


class AliasExistsException(CognitoError): ...


class CodeMismatchException(CognitoError): ...


class ExpiredCodeException(CognitoError): ...


class LimitExceededException(CognitoError): ...


class TooManyRequestsException(CognitoError): ...


class TooManyFailedAttemptsException(CognitoError): ...


class PasswordResetRequiredException(CognitoError): ...


class ResourceNotFoundException(CognitoError): ...


class UnsupportedTokenTypeException(CognitoError): ...


class UnsupportedOperationException(CognitoError): ...


class InvalidUserPoolConfigurationException(CognitoError): ...


class CodeDeliveryFailureException(CognitoError): ...


class InternalErrorException(CognitoError):
    status = 500


# A trigger refused the action: it raised ("PreSignUp failed with error <message>.").
class UserLambdaValidationException(CognitoError): ...


# A trigger did not answer within its time limit.
class UnexpectedLambdaException(CognitoError): ...


# A trigger answered with something that is not its event, or a response member of the wrong shape.
class InvalidLambdaResponseException(CognitoError): ...


# Not a Cognito exception: the JSON API's answer to an action it does not know (what AWS answers too).
class UnknownOperationException(CognitoError): ...


# AWS's answer to a body that is not JSON or not an object.
class SerializationException(CognitoError): ...


class StoreBusy(Exception):
    """Raised by a store that could not get the database in time (SQLite's write lock under load, a
    PostgreSQL lock timeout). Nothing was written; the request may be retried as it was."""


class StoreRetry(StoreBusy):
    """Raised by an optimistic unit of work (`Store.begin(optimistic=True)`) that could not write what it
    read: another writer committed first (SQLite), or the connection was lost before commit. Nothing was
    written; running the whole unit of work again is safe, and is what `UserPool.run` does."""


class StoreConflict(Exception):
    """Raised by a store when a write lost a race (unique key taken, row changed since it was read).

    The core turns it into the Cognito error that fits the action; it never reaches a client as is.
    """


class ConcurrentModificationException(CognitoError): ...


class RefreshTokenReuseException(CognitoError): ...


# Multi-factor authentication (botocore's names): the pool or the user has no software token (TOTP) set up.
class SoftwareTokenMFANotFoundException(CognitoError): ...


# VerifySoftwareToken with a code that does not match the authenticator app's secret.
class EnableSoftwareTokenMFAException(CognitoError): ...


# SigV4 (the admin actions): AWS's own answers, under AWS's names.
# No Authorization header on an action that needs one.
class MissingAuthenticationTokenException(CognitoError): ...


# An Authorization header that lacks a part (Credential, SignedHeaders, Signature) or X-Amz-Date.
class IncompleteSignatureException(CognitoError): ...


# A signature that does not verify, a request signed too long ago (or ahead), a wrong scope.
class InvalidSignatureException(CognitoError): ...


# An access key id this server does not know, or a disabled key.
class UnrecognizedClientException(CognitoError): ...


# CreateGroup with a name the pool already has.
class GroupExistsException(CognitoError): ...


# An admin action the user's status does not allow (AdminCreateUser RESEND for a user who already chose
# a password).
class UnsupportedUserStateException(CognitoError): ...


# An action of Cognito's threat protection (advanced security) add-on, which this pool does not have.
class UserPoolAddOnNotEnabledException(CognitoError): ...
