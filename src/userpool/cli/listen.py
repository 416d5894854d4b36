"""The listening socket, made here rather than by uvicorn so every connection gets TCP_NODELAY.

uvicorn sends a response's headers and body in two writes. With Nagle's algorithm on, the second write waits
for the client's (delayed) ACK of the first: about 40 ms per request on a kept-alive connection. asyncio
turns Nagle off only for sockets whose `proto` is TCP, and a socket made with `socket.socket(AF_INET)` — as
uvicorn's multi-process mode makes it — has proto 0. Accepted sockets inherit TCP_NODELAY from the
listener on Linux, so setting it here covers every connection, in every worker.
"""

from __future__ import annotations

import socket


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """Bound and listening; raises OSError (with `strerror`) when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
