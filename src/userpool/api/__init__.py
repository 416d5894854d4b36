"""Adapters that speak protocols: the Cognito JSON 1.1 endpoint and OAuth 2.0 / OpenID Connect."""
