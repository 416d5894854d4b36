"""The pool's theme as a stylesheet: GET /static/authenticator/theme.css.

The definition's `authenticator.theme.tokens` become CSS custom properties named like Amplify UI's
(`tokens.py`), set on `[data-amplify-theme]`; `dark_tokens` on the dark colour mode (chosen, or the
system's through `prefers-color-scheme` when the mode is "system"). The values were checked when the
definition loaded; they are checked again here, and one that fails is left out. The pages link the sheet
with `?v=<hash of the theme>`, so a redeploy with a new theme is fetched at once and an unchanged one is
cached. No inline style anywhere: the CSP stays `style-src 'self'`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from userpool.core.config import ThemeSettings
from userpool.web.authenticator.tokens import kind_of, properties_of, value_ok

ROOT = "[data-amplify-theme]"
DARK = '[data-amplify-theme][data-amplify-color-mode="dark"]'
SYSTEM = '[data-amplify-theme][data-amplify-color-mode="system"]'


def _declarations(tokens: Mapping[str, str]) -> list[str]:
    lines = []
    for name, value in tokens.items():
        kind = kind_of(name)
        if kind is None or not value_ok(kind, value):
            continue
        lines += [f"  {prop}: {value.strip()};" for prop in properties_of(name)]
    return lines


def stylesheet(theme: ThemeSettings) -> str:
    parts = ["/* userpool: this pool's theme (authenticator.theme in the auth definition) */"]
    light, dark = _declarations(theme.tokens), _declarations(theme.dark_tokens)
    if light:
        parts.append(ROOT + " {\n" + "\n".join(light) + "\n}")
    if dark:
        block = "\n".join(dark)
        parts.append(DARK + " {\n" + block + "\n}")
        parts.append("@media (prefers-color-scheme: dark) {\n" + SYSTEM + " {\n" + block + "\n}\n}")
    return "\n".join(parts) + "\n"


def version(theme: ThemeSettings) -> str:
    """A short hash of the theme's stylesheet, for the cache-busting `?v=`."""
    return hashlib.sha256(stylesheet(theme).encode()).hexdigest()[:16]


async def theme_css(request: Request) -> Response:
    theme: ThemeSettings = request.app.state.pool.config.authenticator.theme
    fresh = request.query_params.get("v") == version(theme)
    cache = "public, max-age=31536000, immutable" if fresh else "no-cache"
    return Response(
        stylesheet(theme),
        media_type="text/css",
        headers={"cache-control": cache, "x-content-type-options": "nosniff"},
    )
