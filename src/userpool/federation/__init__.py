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
from userpool.federation.saml import SamlProvider

Factory = Callable[[UpstreamSettings, str, str], Provider]  # (settings, pool id, endpoint)
KINDS: dict[UpstreamKind, Factory] = {
    "google": lambda s, _pool, _endpoint: GoogleProvider(s),
    "facebook": lambda s, _pool, _endpoint: FacebookProvider(s),
    "amazon": lambda s, _pool, _endpoint: AmazonProvider(s),
    "apple": lambda s, _pool, _endpoint: AppleProvider(s),
    "oidc": lambda s, _pool, _endpoint: OidcProvider(s),
    "saml": lambda s, pool, endpoint: SamlProvider(s, pool_id=pool, endpoint=endpoint),
}


def provider_for(settings: UpstreamSettings, *, pool_id: str, endpoint: str) -> Provider:
    """The provider for these settings; UpstreamError when it cannot work (a secret not set)."""
    problem = None if settings.kind == "saml" else missing_secret(settings)
    if problem is not None:
        raise problem
    return KINDS[settings.kind](settings, pool_id, endpoint)


__all__ = ["KINDS", "Provider", "Return", "UpstreamError", "provider_for"]
