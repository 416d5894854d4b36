"""Apps behind the user pool: `with_authenticator` for Starlette/FastAPI and Flask, and a token verifier.

- `userpool.integrations.starlette`: `with_authenticator(app, outputs=..., secret_key=...)`, ASGI middleware,
  and the FastAPI dependencies `current_user` / `current_sign_out`.
- `userpool.integrations.flask`: `Authenticator(app, outputs=..., secret_key=...)` and its
  `@auth.with_authenticator` view decorator.
- `userpool.integrations.verify`: `TokenVerifier` / `verify_token` for APIs that receive the pool's tokens.

The framework modules import their framework, so this package imports none of them: import the one you use.
"""

from userpool.integrations._model import AuthConfig, SignOut, User
from userpool.integrations.verify import TokenError, TokenVerifier, verify_token

__all__ = ["AuthConfig", "SignOut", "TokenError", "TokenVerifier", "User", "verify_token"]
