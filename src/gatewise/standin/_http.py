"""Just enough HTTP/1.1 for the stand-in: keep-alive requests with Content-Length bodies,
whole responses, and chunked responses for streaming."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus
from typing import Iterable, Mapping

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 32 * 1024 * 1024

Headers = Iterable[tuple[str, str]]


class BadRequest(Exception):
    """The bytes on the wire are not a request the stand-in can read; answered, then closed."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str
    headers: Mapping[str, str]
    """Header names lower-cased; a repeated header keeps its last value."""
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request | None:
    """The next request on a connection, or None when the client closed it between requests.

    Raises ``BadRequest`` for what cannot be parsed, and ``asyncio.IncompleteReadError`` when
    the client leaves in the middle of a body.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise BadRequest("incomplete request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise BadRequest("request head too large", 431) from exc
    # RFC 9112 asks servers to skip blank lines before a request line.
    lines = head.lstrip(b"\r\n").decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(f"bad request line {lines[0][:100]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise BadRequest(f"bad header line {line[:100]!r}")
        headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers:
        raise BadRequest("chunked request bodies are not supported; send Content-Length", 501)
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError as exc:
        raise BadRequest("bad Content-Length") from exc
    if length < 0:
        raise BadRequest("bad Content-Length")
    if length > MAX_BODY_BYTES:
        raise BadRequest("request body too large", 413)
    if length and headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, version, headers, body)


def _head(status: int, headers: Headers) -> bytes:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Server: gatewise-standin"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _connection(keep_alive: bool) -> tuple[str, str]:
    return ("Connection", "keep-alive" if keep_alive else "close")


async def send_whole(writer: asyncio.StreamWriter, status: int, body: bytes, *, content_type: str,
                     keep_alive: bool, headers: Headers = ()) -> None:
    """Send a response with a Content-Length body, in one write."""
    head = _head(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                          _connection(keep_alive), *headers])
    writer.write(head + body)
    await writer.drain()


class ChunkedResponse:
    """A response sent piece by piece (``Transfer-Encoding: chunked``), for Server-Sent Events."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def start(self, status: int, *, content_type: str, keep_alive: bool,
                    headers: Headers = ()) -> None:
        self._writer.write(_head(status, [("Content-Type", content_type), ("Transfer-Encoding", "chunked"),
                                          _connection(keep_alive), *headers]))
        await self._writer.drain()

    async def send(self, data: bytes) -> None:
        if data:  # an empty chunk would end the body
            self._writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            await self._writer.drain()

    async def end(self) -> None:
        self._writer.write(b"0\r\n\r\n")
        await self._writer.drain()
