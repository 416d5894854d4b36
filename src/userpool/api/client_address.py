"""Which address a request comes from, for the per-address rate limits (core/rate_limits.py).

The socket's peer, unless that peer is a proxy the operator trusts (`userpool serve --trusted-proxies`):
then X-Forwarded-For is read from the right, each trusted hop skipped, and the first address no trusted
proxy vouches for is the client. A header from anyone else is ignored, so a client cannot pick the bucket
it is counted in by sending one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxiesError(ValueError):
    """A --trusted-proxies entry that is not an address or a network."""


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """ "10.0.0.0/8", "127.0.0.1", "::1" … as networks; TrustedProxiesError naming the entry that is not one."""
    networks: list[Network] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise TrustedProxiesError(
                f"trusted proxy {entry!r} is not an IP address or network (e.g. 10.0.0.0/8, 127.0.0.1)"
            ) from None
    return tuple(networks)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request) -> str:
    peer = request.client.host if request.client is not None else ""
    networks: Sequence[Network] = getattr(request.app.state, "trusted_proxies", ())
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a proxy we trust passed on garbage: count the proxy
    return hops[0] if hops else peer
