"""A small HTTP/1.1 client on asyncio streams: keep-alive, Content-Length and chunked bodies, cookies by hand.

The load generator's own cost must stay far below the server's. httpx spends several times more CPU per
request than this (see `bench.ceiling`, which measures both against a null server), so the timed traffic
goes through this client; httpx is used only for set-up. Loopback only: `Connection` refuses other hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 16 * 1024 * 1024


class HttpError(RuntimeError):
    """The connection broke or the server answered something that is not HTTP/1.1."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    def cookies(self) -> dict[str, str]:
        """name → value of every Set-Cookie (attributes dropped)."""
        found: dict[str, str] = {}
        for k, v in self.headers:
            if k == "set-cookie":
                pair = v.split(";", 1)[0]
                name, _, value = pair.partition("=")
                found[name.strip()] = value.strip()
        return found

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection, used by one task at a time; reconnects when the server closed it."""

    def __init__(self, host: str, port: int) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the load generator only talks to loopback, not {host!r}")
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head.extend(f"{k}: {v}" for k, v in (headers or {}).items())
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (1, 2):  # a keep-alive connection the server closed meanwhile: reconnect once
            reader, writer = await self._open()
            try:
                writer.write(data)
                response, keep = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError, HttpError):
                await self.close()
                if attempt == 2:
                    raise
                continue
            if not keep:
                await self.close()
            return response
        raise AssertionError("unreachable")


async def _read_response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HttpError(f"not an HTTP/1.x status line: {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers.append((k.strip().lower(), v.strip()))
    values = dict(headers)
    if values.get("transfer-encoding", "").lower() == "chunked":
        body = await _chunked(reader)
    else:
        length = int(values.get("content-length", "0"))
        if length > MAX_BODY:
            raise HttpError(f"response body of {length} bytes")
        body = await reader.readexactly(length) if length else b""
    keep = values.get("connection", "").lower() != "close" and parts[0] == "HTTP/1.1"
    return Response(int(parts[1]), headers, body), keep


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers from the servers measured here
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


AMZ_JSON = "application/x-amz-json-1.1"


async def cognito(conn: Connection, action: str, body: dict[str, Any]) -> Response:
    """One Cognito JSON 1.1 call, as aws-amplify and boto3 send it."""
    headers = {
        "Content-Type": AMZ_JSON,
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
    }
    return await conn.request("POST", "/", headers, json.dumps(body).encode())
