"""`with_authenticator` for FastAPI: the app behind the hosted Authenticator, the user as a dependency.

    import os
    from typing import Annotated

    from fastapi import Depends, FastAPI
    from fastapi.responses import HTMLResponse

    from userpool.integrations.fastapi import CurrentSignOut, CurrentUser, User, require_group, with_authenticator

    api = FastAPI()


    @api.get("/", response_class=HTMLResponse)
    def home(user: CurrentUser, sign_out: CurrentSignOut) -> str:
        return f"<h1>Hello {user.login_id}</h1>{sign_out.form()}{sign_out.form(global_=True)}"


    @api.get("/admins", response_class=HTMLResponse)
    def admins(user: Annotated[User, Depends(require_group("ADMINS"))]) -> str:
        return f"<h1>Admins</h1><p>{user.login_id}</p>"


    app = with_authenticator(api, outputs="amplify_outputs.json", secret_key=os.environ["SECRET_KEY"])

`with_authenticator` (or, keeping `api` the app, `api.add_middleware(AuthenticatorMiddleware, outputs=...,
secret_key=...)`) is the Starlette middleware: it serves `/auth/callback`, `/auth/sign-in` and
`/auth/sign-out`, sends signed-out page loads to the hosted Authenticator (401 for anything else) except
under `public_paths`, and refreshes expired tokens silently. See `userpool.integrations.starlette`.

The dependencies:

- `current_user` (`CurrentUser` = `Annotated[User, Depends(current_user)]`): the signed-in `User`. Signed
  out (possible under `public_paths`), the request ends: a 302 to the hosted Authenticator, coming back to
  the same URL, for a page load (GET/HEAD navigation); 401 for anything else.
- `current_sign_out` (`CurrentSignOut`): the `SignOut` button (`form()`, `form(global_=True)`, `url`,
  `csrf_token`).
- `require_group("ADMINS")`: a dependency that gives the user when they are in the group (`user.groups`:
  the tokens' `cognito:groups`), answers 403 when they are not, and as `current_user` when signed out. Put
  it in a route's `dependencies=[Depends(require_group("ADMINS"))]` or ask for its user as above.

Refusals are `HTTPException`s, so the app's own exception handlers shape them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from userpool.integrations import starlette as _starlette
from userpool.integrations._model import SignOut, User
from userpool.integrations.starlette import AuthenticatorMiddleware, with_authenticator

__all__ = [
    "AuthenticatorMiddleware",
    "CurrentSignOut",
    "CurrentUser",
    "SignOut",
    "User",
    "current_sign_out",
    "current_user",
    "require_group",
    "with_authenticator",
]


async def current_user(request: HTTPConnection) -> User:
    """The signed-in user: `user: User = Depends(current_user)` (or `user: CurrentUser`)."""
    return _starlette.current_user(request)


async def current_sign_out(request: HTTPConnection) -> SignOut:
    """The signed-in user's sign-out button: `sign_out: SignOut = Depends(current_sign_out)`."""
    return _starlette.current_sign_out(request)


def require_group(group: str) -> Callable[[HTTPConnection], Awaitable[User]]:
    """A dependency for members of `group` only: `Depends(require_group("ADMINS"))` gives the user, or
    ends the request with 403 (signed in, not in the group), 302 or 401 (signed out)."""

    async def member(request: HTTPConnection) -> User:
        return _starlette.check_group(request, group)

    member.__name__ = member.__qualname__ = f"require_group({group!r})"
    return member


CurrentUser = Annotated[User, Depends(current_user)]
CurrentSignOut = Annotated[SignOut, Depends(current_sign_out)]
