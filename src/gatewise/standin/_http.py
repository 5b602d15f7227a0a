"""The stand-in's HTTP, on ``aiohttp.web``: a request as the routes read it, and the responses
the endpoint sends (whole JSON bodies, Server-Sent Events streams)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from aiohttp import web

MAX_BODY_BYTES = 32 * 1024 * 1024
SERVER = "gatewise-standin"

Headers = Iterable[tuple[str, str]]


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


async def read_request(request: web.Request) -> Request:
    """The routes' view of an aiohttp request, its body read whole."""
    version = f"HTTP/{request.version.major}.{request.version.minor}"
    headers = {name.lower(): value for name, value in request.headers.items()}
    return Request(request.method, request.path_qs, version, headers, await request.read())


def _base_headers(keep_alive: bool, headers: Headers) -> dict[str, str]:
    # said outright, as the hand-written server did: aiohttp leaves it implicit on HTTP/1.1
    return {"Server": SERVER, "Connection": "keep-alive" if keep_alive else "close", **dict(headers)}


def whole(status: int, body: bytes, *, content_type: str, keep_alive: bool, headers: Headers = ()) -> web.Response:
    """A response with a Content-Length body."""
    response = web.Response(status=status, body=body, headers=_base_headers(keep_alive, headers))
    response.content_type = content_type  # set apart, so no "; charset" is appended
    if not keep_alive:
        response.force_close()
    return response


async def start_stream(request: web.Request, *, content_type: str, keep_alive: bool,
                       headers: Headers = ()) -> web.StreamResponse:
    """A 200 response sent piece by piece (chunked), for Server-Sent Events; ``write`` each piece."""
    response = web.StreamResponse(status=200, headers={**_base_headers(keep_alive, headers),
                                                       "Content-Type": content_type})
    response.enable_chunked_encoding()
    if not keep_alive:
        response.force_close()
    await response.prepare(request)
    return response


def peer_socket(request: web.Request) -> Any:
    transport = request.transport
    return transport.get_extra_info("socket") if transport is not None else None
