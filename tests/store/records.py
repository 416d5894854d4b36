"""Record builders for the store tests: every field set to a value that would show a lossy round trip
(fractional epoch floats, unicode, empty and non-empty tuples and dicts, None where allowed)."""

from __future__ import annotations

from dataclasses import replace

from userpool.core.model import (
    AuthorizationCode,
    AuthSession,
    Client,
    Device,
    Message,
    OneTimeCode,
    Pool,
    SigningKey,
    TokenSession,
    User,
    UserStatus,
    WebSession,
)

POOL = "eu-west-1_AbCdEfGh1"
OTHER_POOL = "us-east-1_ZyXwVuT98"
T0 = 1_700_000_000.123456  # fractional part checks floats are stored as doubles, not rounded


def pool(pool_id: str = POOL) -> Pool:
    return Pool(
        id=pool_id,
        name="Pôle Nord ✨",
        region=pool_id.split("_", maxsplit=1)[0],
        created_at=T0,
        secret=bytes(range(256)),  # every byte value, not just text
        definition_json='{"name": "Pôle Nord", "mfa": "OFF"}',
    )


def client(client_id: str = "a1b2c3d4e5f6g7h8i9j0k1l2m3", pool_id: str = POOL, **kw: object) -> Client:
    base = Client(
        id=client_id,
        pool_id=pool_id,
        name="web app ü",
        created_at=T0 + 1,
        secret="s3cr3t-client-secret",
        explicit_auth_flows=("ALLOW_USER_SRP_AUTH",),
        callback_urls=("https://app.example/cb", "http://localhost:3000/"),
        logout_urls=(),
        allowed_oauth_scopes=("openid", "email"),
        access_token_validity=300,
        id_token_validity=600,
        refresh_token_validity=86400,
        auth_session_validity=120,
        prevent_user_existence_errors=False,
        read_attributes=("email", "custom:plan"),
        write_attributes=("given_name",),
        enable_token_revocation=False,
        refresh_token_rotation=True,
        refresh_token_reuse_grace=30,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def user(sub: str = "7f1c3b2a-0000-4000-8000-000000000001", *keys: str, pool_id: str = POOL, **kw: object) -> User:
    base = User(
        pool_id=pool_id,
        username=f"ada-{sub[-4:]}",
        sub=sub,
        status=UserStatus.FORCE_CHANGE_PASSWORD,
        attributes={"email": "ada@example.com", "email_verified": "true", "name": "Ada Łovelace 🧮"},
        created_at=T0,
        updated_at=T0 + 0.5,
        enabled=False,
        pending_attributes={"email": "new@example.com"},
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        srp_salt="1a2b3c",
        srp_verifier="deadbeef" * 32,
        login_keys=frozenset(keys or (f"username:ada-{sub[-4:]}",)),
        version=0,
        temporary_password_expires_at=T0 + 7 * 86400.5,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def code(user_sub: str, purpose: str = "verify:email", **kw: object) -> OneTimeCode:
    base = OneTimeCode(
        pool_id=POOL,
        user_sub=user_sub,
        purpose=purpose,
        code_hash="c0de" * 16,
        created_at=T0,
        expires_at=T0 + 86400.25,
        attempts=2,
        destination="ada@example.com",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def auth_session(session_id: str = "as-1", user_sub: str | None = "u", **kw: object) -> AuthSession:
    base = AuthSession(
        id=session_id,
        pool_id=POOL,
        client_id="a1b2c3d4e5f6g7h8i9j0k1l2m3",
        user_sub=user_sub,
        username="Ada",
        challenge="PASSWORD_VERIFIER",
        session_hash=f"sh-{session_id}",
        created_at=T0,
        expires_at=T0 + 180.5,
        secret_block_hash=f"sbh-{session_id}",
        state={"b": "0123456789abcdef", "note": "ünïcode"},
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def token_session(origin_jti: str = "jti-1", user_sub: str = "u", **kw: object) -> TokenSession:
    base = TokenSession(
        origin_jti=origin_jti,
        pool_id=POOL,
        client_id="a1b2c3d4e5f6g7h8i9j0k1l2m3",
        user_sub=user_sub,
        refresh_hash=f"rh-{origin_jti}",
        auth_time=1_700_000_000,
        created_at=T0,
        expires_at=T0 + 30 * 86400,
        revoked_at=None,
        scopes=("openid", "email", "aws.cognito.signin.user.admin"),
        device_key="us-east-1_0b7e4a8e-1111-4222-8333-444455556666",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def device(key: str = "us-east-1_dev-1", user_sub: str = "u", **kw: object) -> Device:
    base = Device(
        pool_id=POOL,
        user_sub=user_sub,
        key=key,
        group_key="-abcDEF123",
        created_at=T0,
        last_modified_at=T0 + 1,
        last_authenticated_at=None,
        name="Ada's phone ✓",
        salt="8ce8291892390f6b53a245933faf6164",
        verifier="ab" * 384,
        confirmed=True,
        remembered=False,
        last_ip="203.0.113.7",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def signing_key(kid: str = "kid-1", pool_id: str = POOL, **kw: object) -> SigningKey:
    base = SigningKey(
        kid=kid,
        pool_id=pool_id,
        use="access",
        private_pem="-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n",
        created_at=T0,
        active=True,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def message(to: str = "ada@example.com", pool_id: str = POOL, **kw: object) -> Message:
    base = Message(
        pool_id=pool_id,
        to=to,
        channel="EMAIL",
        subject="Vérifiez votre adresse",
        body="Votre code : 123456 ✉",
        created_at=T0,
        purpose="verify:email",
        code="123456",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def authorization_code(code_hash: str = "ac-1", user_sub: str = "u", **kw: object) -> AuthorizationCode:
    base = AuthorizationCode(
        code_hash=code_hash,
        pool_id=POOL,
        client_id="a1b2c3d4e5f6g7h8i9j0k1l2m3",
        user_sub=user_sub,
        redirect_uri="https://app.example/cb?x=ü",
        scopes=("openid", "profile"),
        auth_time=1_700_000_001,
        created_at=T0,
        expires_at=T0 + 300,
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
        nonce="n-0S6_WzA2Mj",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def web_session(id_hash: str = "ws-1", user_sub: str = "u", **kw: object) -> WebSession:
    base = WebSession(
        id_hash=id_hash,
        pool_id=POOL,
        user_sub=user_sub,
        auth_time=1_700_000_002,
        created_at=T0,
        expires_at=T0 + 3600,
    )
    return replace(base, **kw)  # type: ignore[arg-type]
