"""The stand-in's server, an ``aiohttp.web`` application: one catch-all handler reads each request,
asks the routes for the reply, rolls the fault dice, and sends the reply or the fault."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from typing import Any, Mapping, Sequence

import orjson
from aiohttp import web

from . import _shapes as shapes
from ._faults import FaultDice, Faults
from ._http import MAX_BODY_BYTES, Request, peer_socket, read_request, start_stream, whole
from ._model import AnswerFormat, StandinModel
from ._routes import Reply, Routes, StreamReply
from ._stats import StatsRecorder

# Cut mid-document, so that it is announced as JSON but cannot be parsed as JSON.
MALFORMED_BODY = b'{"id": "chatcmpl-malformed", "object": "chat.completion", "choices": [{"index'
# connections a burst of clients may open before the first is accepted (C = 256 opens 256 at once)
BACKLOG = 1024
SSE = "text/event-stream; charset=utf-8"


class Endpoint:
    """An OpenAI-compatible server on the running event loop; ``StandinServer`` runs one in a thread."""

    def __init__(self, answers: Mapping[str, str] | None = None, *, quality: float = 1.0, seed: int = 0,
                 answer_format: AnswerFormat = "text", faults: Faults = Faults(),
                 model_id: str = "standin-model", served_model_names: Sequence[str] | None = None,
                 api_key: str | None = None, noise: float = 0.0) -> None:
        names = list(served_model_names) if served_model_names is not None else [model_id]
        if not names:
            raise ValueError("served_model_names must name at least one model")
        model = StandinModel(answers or {}, quality=quality, seed=seed, answer_format=answer_format, noise=noise)
        self.dice = FaultDice(faults)
        self.routes = Routes(model, model_id=model_id, served_model_names=names, api_key=api_key,
                             faults=lambda: self.dice.faults)
        self.stats = StatsRecorder()
        self._runner: web.AppRunner | None = None
        self._hung: set[asyncio.Future[None]] = set()  # requests held by the hang fault

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start listening; returns the bound port."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{path:.*}", self._handle)  # the routes' own table decides (``Routes``)
        # handler_cancellation: a request held by the hang fault ends when its client leaves
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, backlog=BACKLOG)
        try:
            await site.start()
        except BaseException:
            await self._runner.cleanup()
            raise
        return int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Stop listening and drop every open connection, hung ones included."""
        for hung in list(self._hung):
            hung.cancel()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            for connection in runner.server.connections if runner.server is not None else ():
                connection.force_close()
                if connection.transport is not None:
                    connection.transport.abort()
            await runner.cleanup()

    async def _handle(self, http: web.Request) -> web.StreamResponse:
        self.stats.request()
        self.stats.started()
        try:
            return await self._respond(http, await read_request(http))
        finally:
            self.stats.finished()

    async def _respond(self, http: web.Request, request: Request) -> web.StreamResponse:
        started = time.perf_counter()
        reply = self.routes.answer(request)
        keep_alive = request.keep_alive
        if not reply.faultable:
            return await self._send(http, reply, keep_alive)
        roll = self.dice.roll()
        if roll.delay_s:
            await asyncio.sleep(roll.delay_s)
        if roll.fault is not None:
            self.stats.fault(roll.fault)
        if roll.fault == "reset":
            _reset(http)
            raise asyncio.CancelledError  # nothing is sent on a reset connection
        if roll.fault == "hang":
            await self._until_client_leaves()
        if roll.fault == "malformed":
            return await self._send_malformed(http, reply, keep_alive)
        if roll.fault == "error":
            reply = _server_error(roll.error_status)
        elif roll.fault == "rate_limit":
            reply = _rate_limited(self.dice.faults.retry_after_s)
        if reply.completion or roll.fault in ("error", "rate_limit"):
            self.routes.metrics.observe(request.path, 200 if isinstance(reply, StreamReply) else reply.status,
                                        time.perf_counter() - started)
        return await self._send(http, reply, keep_alive)

    async def _until_client_leaves(self) -> None:
        # handler_cancellation cancels this when the client goes; close() cancels it too
        hung = asyncio.get_running_loop().create_future()
        self._hung.add(hung)
        try:
            await hung
        finally:
            self._hung.discard(hung)

    async def _send(self, http: web.Request, reply: Reply | StreamReply, keep_alive: bool) -> web.StreamResponse:
        # Counted before sending, so a client that has its answer also sees it counted.
        self.stats.response(200 if isinstance(reply, StreamReply) else reply.status,
                            completion=reply.completion)
        if isinstance(reply, StreamReply):
            return await self._stream(http, reply, keep_alive)
        body = reply.body if isinstance(reply.body, bytes) else _json(reply.body)
        return whole(reply.status, body, content_type=reply.content_type, keep_alive=keep_alive,
                     headers=reply.headers)

    async def _stream(self, http: web.Request, reply: StreamReply, keep_alive: bool) -> web.StreamResponse:
        response = await start_stream(http, content_type=SSE, keep_alive=keep_alive,
                                      headers=[("Cache-Control", "no-cache")])
        pause = self.dice.faults.slow_stream_ms / 1000
        for number, event in enumerate(reply.events):
            if pause and number:
                await asyncio.sleep(pause)
            await response.write(b"data: %s\n\n" % _json(event))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _send_malformed(self, http: web.Request, reply: Reply | StreamReply,
                              keep_alive: bool) -> web.StreamResponse:
        self.stats.response(200)
        if isinstance(reply, StreamReply):
            response = await start_stream(http, content_type=SSE, keep_alive=keep_alive)
            await response.write(b"data: %s\n\n" % MALFORMED_BODY)
            await response.write_eof()
            return response
        return whole(200, MALFORMED_BODY, content_type="application/json", keep_alive=keep_alive)


def _server_error(status: int) -> Reply:
    if status == 503:
        return Reply(503, shapes.error("The server is overloaded or not ready yet.", "service_unavailable", 503))
    return Reply(500, shapes.error("The server had an error while processing your request.", "server_error", 500))


def _rate_limited(retry_after_s: float) -> Reply:
    # OpenAI sends both; the official client prefers retry-after-ms, which allows sub-second waits.
    headers = (("Retry-After", f"{retry_after_s:g}"), ("retry-after-ms", f"{retry_after_s * 1000:g}"))
    return Reply(429, shapes.error("Rate limit reached; retry after the time in Retry-After.",
                                   "requests", "rate_limit_exceeded"), headers)


def _reset(http: web.Request) -> None:
    """Drop the connection with a TCP RST, as a crashed server or a proxy would."""
    sock = peer_socket(http)
    if sock is not None:
        # Linger on with a zero timeout turns close() into a reset instead of a graceful FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if http.transport is not None:
        http.transport.abort()


def _json(value: Any) -> bytes:
    return orjson.dumps(value)  # compact UTF-8, as json.dumps(separators=(",", ":"), ensure_ascii=False)
