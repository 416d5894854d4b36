"""Apps behind the user pool: `with_authenticator` for Starlette, FastAPI, Flask and Django, and a token verifier.

- `userpool.integrations.starlette`: `with_authenticator(app, outputs=..., secret_key=...)`, ASGI middleware,
  `current_user(request)` / `current_sign_out(request)` and the endpoint decorator `@require_group("ADMINS")`.
- `userpool.integrations.fastapi`: the same middleware, and the dependencies `current_user` (`CurrentUser`),
  `current_sign_out` (`CurrentSignOut`) and `require_group("ADMINS")`.
- `userpool.integrations.flask`: `Authenticator(app, outputs=..., secret_key=...)`, its view decorators
  `@auth.with_authenticator` and `@auth.require_group("ADMINS")`, and `auth.current_user()`.
- `userpool.integrations.django`: `AuthenticatorMiddleware` (settings `USERPOOL_OUTPUTS`, `USERPOOL_SECRET_KEY`),
  the view decorators `@with_authenticator` and `@require_group("ADMINS")`, and `current_user(request)`.
- `userpool.integrations.verify`: `TokenVerifier` / `verify_token` for APIs that receive the pool's tokens.
- `userpool.integrations.recovery_codes`: `RecoveryCodes` generates a signed-in user's recovery codes and
  counts the unused ones, with the session's access token (docs/recovery-codes.md).

Every one keeps the session in a sealed cookie, refreshes it silently, and signs out locally
(`sign_out.form()`) or everywhere (`sign_out.form(global_=True)`: GlobalSignOut).

The framework modules import their framework, so this package imports none of them: import the one you use.
"""

from userpool.integrations._model import AuthConfig, SignOut, User
from userpool.integrations.verify import TokenError, TokenVerifier, verify_token

__all__ = ["AuthConfig", "SignOut", "TokenError", "TokenVerifier", "User", "verify_token"]
