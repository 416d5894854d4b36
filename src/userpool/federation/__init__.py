"""Sign-in through external identity providers: one module per kind, registered here.

`provider_for(settings)` gives the module's provider for a definition's `external_providers` entry; the
HTTP endpoints (`api/oauth/federation.py`) use only that and `base.Provider`. What to do with the identity
once verified is the core's (`core/flows/federation.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from userpool.core.config import UpstreamKind, UpstreamSettings
from userpool.federation.apple import AppleProvider
from userpool.federation.base import Provider, Return, UpstreamError
from userpool.federation.oauth2 import AmazonProvider, FacebookProvider, missing_secret
from userpool.federation.oidc import GoogleProvider, OidcProvider

KINDS: dict[UpstreamKind, Callable[[UpstreamSettings], Provider]] = {
    "google": GoogleProvider,
    "facebook": FacebookProvider,
    "amazon": AmazonProvider,
    "apple": AppleProvider,
    "oidc": OidcProvider,
}


def provider_for(settings: UpstreamSettings) -> Provider:
    """The provider for these settings; UpstreamError when it cannot work (a secret not set)."""
    problem = missing_secret(settings)
    if problem is not None:
        raise problem
    return KINDS[settings.kind](settings)


__all__ = ["KINDS", "Provider", "Return", "UpstreamError", "provider_for"]
