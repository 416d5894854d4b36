"""The hosted Authenticator: server-rendered pages for every route of Amplify's Authenticator (but passkeys).

Pages work without JavaScript (a small static script checks password rules as the user types); every string
comes from `messages.py` in the request's language (`i18n/`); `static/authenticator.css` styles them through
CSS custom properties named after Amplify UI's design tokens, and `/static/authenticator/theme.css` sets the
definition's theme (`theme.py`). The route table is `urls.py`; importing this package stays light, so the
definition can read the pure-data modules (`messages`, `i18n`, `tokens`) when it loads.
"""

from __future__ import annotations

from starlette.routing import BaseRoute


def authenticator_routes() -> list[BaseRoute]:
    from userpool.web.authenticator.urls import routes

    return routes()
