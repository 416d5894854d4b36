"""App clients: which client is calling, whether it proved its secret, and which flows it may use."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

from userpool.core.context import Ctx
from userpool.core.errors import InvalidParameterException, NotAuthorizedException, ResourceNotFoundException
from userpool.core.model import Client


def get_client(ctx: Ctx, client_id: str) -> Client:
    client = ctx.tx.get_client(client_id)
    if client is None or client.pool_id != ctx.pool.pool_id:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
    return client


def secret_hash(client_secret: str, username: str, client_id: str) -> str:
    """Base64(HMAC-SHA256(client secret, username + client id)): Cognito's SECRET_HASH."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_secret_hash(client: Client, username: str, provided: str | None) -> None:
    """A client with a secret must prove it on every call; a client without one ignores the field."""
    if client.secret is None:
        return
    if not provided:
        raise NotAuthorizedException(f"Client {client.id} is configured with secret but SECRET_HASH was not received")
    if not hmac.compare_digest(secret_hash(client.secret, username, client.id).encode(), provided.encode()):
        raise NotAuthorizedException(f"Unable to verify secret hash for client {client.id}")


def check_client_secret(client: Client, provided: str | None) -> None:
    """RevokeToken and GetTokensFromRefreshToken take the secret itself (ClientSecret), not a hash."""
    if client.secret is None:
        return
    if not provided or not hmac.compare_digest(client.secret.encode(), provided.encode()):
        raise NotAuthorizedException(f"Unable to verify secret for client {client.id}")


def check_flow(client: Client, flow: str) -> None:
    allowed = set(client.explicit_auth_flows)
    if f"ALLOW_{flow}" not in allowed and flow not in allowed:
        raise InvalidParameterException(f"{flow} flow not enabled for this client")


def readable(client: Client, attributes: Mapping[str, str]) -> dict[str, str]:
    """The attributes this client may read (its ReadAttributes; `sub` always)."""
    if not client.read_attributes:
        return dict(attributes)
    allowed = {"sub", *client.read_attributes}
    return {name: value for name, value in attributes.items() if name in allowed}


def check_writable(client: Client, names: Iterable[str]) -> None:
    """Cognito's WriteAttributes: an attribute outside the client's list is refused, naming it."""
    if not client.write_attributes:
        return
    for name in names:
        if name not in client.write_attributes:
            raise NotAuthorizedException(f"A client attempted to write unauthorized attribute: {name}")
