"""The records the pool keeps. Plain dataclasses: the store persists them, the flows reason about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class UserStatus(StrEnum):
    UNCONFIRMED = "UNCONFIRMED"
    CONFIRMED = "CONFIRMED"
    RESET_REQUIRED = "RESET_REQUIRED"
    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"
    EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"


@dataclass
class User:
    pool_id: str
    username: str  # Cognito's user name: immutable; the UUID `sub` when email/phone is the username
    sub: str
    status: UserStatus
    attributes: dict[str, str]  # wire form: every value a string, verified flags "true"/"false"
    created_at: float
    updated_at: float
    enabled: bool = True
    # A new email or phone number waiting for its code; the old value stays active until then (Cognito's
    # "keep original attribute value active when an update is pending").
    pending_attributes: dict[str, str] = field(default_factory=dict)
    password_hash: str | None = None  # argon2id, encoded
    srp_salt: str | None = None  # canonical lowercase hex, no redundant leading zeros
    srp_verifier: str | None = None  # hex of g^x mod N; sealed at rest by the store
    # Keys the user can be found by ("username:ada", "email:ada@example.com"); unique per pool, so the
    # database itself refuses a second account for one email even under a race.
    login_keys: frozenset[str] = frozenset()
    version: int = 0  # optimistic concurrency: a write based on a stale read fails with StoreConflict
    # FORCE_CHANGE_PASSWORD: when the temporary password stops working (the pool's
    # temporary_password_validity_days after it was set); None for a password the user chose.
    temporary_password_expires_at: float | None = None


MFA_FACTORS = ("SMS", "TOTP", "EMAIL")  # the pool's and the user's names for the three second factors


@dataclass
class MfaSettings:
    """A user's second factors: which are on, which one is preferred, and the authenticator app's secret.

    A factor that is on is asked for at each sign-in (unless a remembered device signs in). The TOTP secret
    works once VerifySoftwareToken saw a right code for it; until then it waits in `totp_pending`.
    """

    pool_id: str
    user_sub: str
    sms: bool = False
    totp: bool = False
    email: bool = False
    preferred: str | None = None  # "SMS" | "TOTP" | "EMAIL"
    totp_secret: str | None = None  # base32; sealed at rest
    totp_pending: str | None = None  # associated, not yet verified; sealed at rest
    totp_name: str = ""  # VerifySoftwareToken's FriendlyDeviceName
    # The newest TOTP time step spent; only `Tx.spend_totp_step` moves it (atomically), so `put_mfa` never
    # writes it and a code is never accepted twice, however requests race.
    totp_last_step: int | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    def enabled(self) -> tuple[str, ...]:
        return tuple(f for f in MFA_FACTORS if getattr(self, f.lower()))


@dataclass
class Pool:
    id: str  # <region>_<9 alphanumerics>
    name: str
    region: str
    created_at: float
    # Server-side key for simulated answers about unknown users (stable fake SRP salts); sealed at rest.
    secret: bytes = b""
    definition_json: str = "{}"  # the deployed definition, for the irreversible-change check


@dataclass
class Client:
    id: str  # 26 lowercase alphanumerics
    pool_id: str
    name: str
    created_at: float
    secret: str | None = None  # sealed at rest
    explicit_auth_flows: tuple[str, ...] = (
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_CUSTOM_AUTH",
    )
    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()
    allowed_oauth_scopes: tuple[str, ...] = (
        "phone",
        "email",
        "openid",
        "profile",
        "aws.cognito.signin.user.admin",
    )
    # Cognito's AllowedOAuthFlows: "code" (the hosted UI), or "client_credentials" (a backend, custom scopes)
    allowed_oauth_flows: tuple[str, ...] = ("code",)
    access_token_validity: int = 3600  # seconds
    id_token_validity: int = 3600
    refresh_token_validity: int = 30 * 86400
    auth_session_validity: int = 180  # a sign-in has 3 minutes to answer each challenge
    prevent_user_existence_errors: bool = True
    # Attributes this client may read and write; empty means all (write: all but the `*_verified` flags).
    read_attributes: tuple[str, ...] = ()
    write_attributes: tuple[str, ...] = ()
    enable_token_revocation: bool = True
    # Refresh-token rotation: each refresh returns a new refresh token and retires the old one; reusing a
    # retired one (after the grace period, for retries of a lost response) revokes the whole family.
    refresh_token_rotation: bool = False
    refresh_token_reuse_grace: int = 0  # seconds, 0-60 as Cognito's RetryGracePeriodSeconds


@dataclass
class Group:
    """A user group. Groups listed in the definition carry `from_definition`, so a redeploy that drops one
    from the list deletes it, while groups made at run time (the admin API) are left alone."""

    pool_id: str
    name: str
    created_at: float
    updated_at: float
    precedence: int | None = None  # lower wins when a user is in several (cognito:preferred_role)
    description: str = ""
    role_arn: str = ""
    from_definition: bool = False


@dataclass
class OneTimeCode:
    pool_id: str
    user_sub: str
    purpose: str  # "sign_up", "forgot_password", "verify:email", "verify:phone_number"
    code_hash: str  # keyed hash; the code itself is never stored
    created_at: float
    expires_at: float
    attempts: int = 0
    destination: str = ""  # where it was sent, to bind a verification code to the value it verifies
    # The resend cooldown (a token bucket per user and purpose, core/codes.py): sends not yet refilled,
    # counted from `window_started_at`. The row outlives its code (`code_hash` "") while they matter.
    send_count: int = 0
    window_started_at: float = 0.0


@dataclass
class Throttle:
    """A counter shared by every server process: a user's failed attempts (lockout) or a client address's
    token bucket (rate limits). What `count`, `stamp` and `until` mean is the counter's own
    (core/lockout.py, core/rate_limits.py); the row may be dropped once `expires_at` has passed."""

    pool_id: str
    key: str  # "<kind>|<subject>": "lockout:sign-in|<sub>", "rate:sign_in|127.0.0.1"
    count: float
    stamp: float
    until: float
    expires_at: float


@dataclass
class AuthSession:
    """A sign-in in progress, waiting for the answer to one challenge."""

    id: str
    pool_id: str
    client_id: str
    user_sub: str | None  # None: a simulated sign-in for a user who does not exist
    username: str  # the name the client signed in with
    challenge: str
    session_hash: str  # hash of the opaque `Session` handed to the client
    created_at: float
    expires_at: float
    secret_block_hash: str | None = None  # SRP: the client may answer with SECRET_BLOCK and no Session
    state: dict[str, str] = field(default_factory=dict)  # challenge state (SRP secrets); sealed at rest


@dataclass
class TokenSession:
    """One sign-in's token family: its refresh token and every access/ID token minted from it."""

    origin_jti: str
    pool_id: str
    client_id: str
    user_sub: str
    refresh_hash: str
    auth_time: int
    created_at: float
    expires_at: float
    revoked_at: float | None = None
    scopes: tuple[str, ...] = ("aws.cognito.signin.user.admin",)
    device_key: str | None = None  # the remembered device this sign-in used (its tokens carry device_key)


@dataclass
class RefreshToken:
    """One refresh token of a family, stored as a hash. Without rotation a family has one; with rotation,
    every refresh adds one and supersedes the one it was given."""

    token_hash: str
    origin_jti: str
    created_at: float
    superseded_at: float | None = None


@dataclass
class Device:
    """A device a user signed in from (Cognito's device tracking). Confirmed devices hold an SRP verifier of
    a random device password that only the device knows; remembered ones may skip MFA (later)."""

    pool_id: str
    user_sub: str
    key: str  # "<region>_<uuid>", DeviceKey
    group_key: str  # DeviceGroupKey: the device SRP's "pool name"
    created_at: float
    last_modified_at: float
    last_authenticated_at: float | None = None
    name: str = ""
    salt: str | None = None  # hex, from ConfirmDevice's DeviceSecretVerifierConfig
    verifier: str | None = None  # hex; sealed at rest
    confirmed: bool = False
    remembered: bool = False
    last_ip: str = ""


@dataclass
class SigningKey:
    kid: str
    pool_id: str
    use: str  # "id" or "access": Cognito signs the two token kinds with different keys
    private_pem: str  # sealed at rest
    created_at: float
    active: bool = True


@dataclass
class Message:
    """A message to a user. The sandbox keeps every one in its outbox; production hands it to a sender."""

    pool_id: str
    to: str
    channel: str  # "EMAIL" or "SMS"
    subject: str
    body: str
    created_at: float
    purpose: str = ""
    code: str | None = None
    id: int | None = None


@dataclass
class AuthorizationCode:
    """An OAuth 2.0 authorization code (RFC 6749 §4.1), single-use, bound to client, redirect URI and PKCE."""

    code_hash: str
    pool_id: str
    client_id: str
    user_sub: str
    redirect_uri: str
    scopes: tuple[str, ...]
    auth_time: int
    created_at: float
    expires_at: float
    code_challenge: str = ""
    code_challenge_method: str = ""
    nonce: str = ""


@dataclass
class WebSession:
    """A browser signed in to the hosted Authenticator (so /oauth2/authorize can skip the form)."""

    id_hash: str
    pool_id: str
    user_sub: str
    auth_time: int
    created_at: float
    expires_at: float


@dataclass
class AccessKey:
    """An administrator's AWS-style access key: SigV4 requests signed with its secret may call the admin
    actions. Keys belong to the store (every pool in it), like IAM credentials belong to an account."""

    id: str  # AKIA + 16 base32 characters, as AWS spells access key ids
    secret: str  # 40 characters; sealed at rest, shown once when the key is made
    created_at: float
    enabled: bool = True
    description: str = ""
    last_used_at: float | None = None


@dataclass
class GroupMembership:
    """A user in a group (AdminAddUserToGroup). Deleting either end deletes it."""

    pool_id: str
    group_name: str
    user_sub: str
    created_at: float


@dataclass
class FederationState:
    """A sign-in sent to an external identity provider, until it comes back to /oauth2/idpresponse: found by
    the hash of the `state` sent upstream, bound to the browser that left (a cookie's hash), taken once."""

    state_hash: str
    pool_id: str
    provider: str
    browser_hash: str
    # The app's authorization request, the nonce and the PKCE verifier sent upstream; sealed at rest.
    secrets: dict[str, str]
    created_at: float
    expires_at: float
