"""The stand-in's asyncio server: reads requests, rolls the fault dice, writes the replies."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
from typing import Any, Mapping, Sequence

from . import _shapes as shapes
from ._faults import FaultDice, Faults
from ._http import MAX_HEAD_BYTES, BadRequest, ChunkedResponse, Request, read_request, send_whole
from ._model import AnswerFormat, StandinModel
from ._routes import Reply, Routes, StreamReply
from ._stats import StatsRecorder

# Cut mid-document, so that it is announced as JSON but cannot be parsed as JSON.
MALFORMED_BODY = b'{"id": "chatcmpl-malformed", "object": "chat.completion", "choices": [{"index'


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
        self._routes = Routes(model, model_id=model_id, served_model_names=names, api_key=api_key,
                              faults=lambda: self.dice.faults)
        self.stats = StatsRecorder()
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start listening; returns the bound port."""
        self._server = await asyncio.start_server(self._serve_connection, host, port, limit=MAX_HEAD_BYTES)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and drop every open connection, hung ones included."""
        if self._server is not None:
            self._server.close()
        for task, writer in list(self._connections.items()):
            writer.transport.abort()
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while True:
                try:
                    request = await read_request(reader, writer)
                except BadRequest as bad:
                    self.stats.response(bad.status)
                    await _send_reply(writer, Reply(bad.status, shapes.error(str(bad), "invalid_request_error")),
                                      keep_alive=False)
                    break
                if request is None:
                    break
                self.stats.request()
                self.stats.started()
                try:
                    keep = await self._respond(request, reader, writer)
                finally:
                    self.stats.finished()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing left to answer
        except asyncio.CancelledError:
            # Only close() cancels; ending quietly spares asyncio's stream callback a traceback.
            pass
        finally:
            del self._connections[task]
            writer.close()

    async def _respond(self, request: Request, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> bool:
        """Answer one request; returns whether the connection can carry another."""
        started = time.perf_counter()
        reply = self._routes.answer(request)
        keep_alive = request.keep_alive
        if not reply.faultable:
            await self._send(writer, reply, keep_alive)
            return keep_alive
        roll = self.dice.roll()
        if roll.delay_s:
            await asyncio.sleep(roll.delay_s)
        if roll.fault is not None:
            self.stats.fault(roll.fault)
        if roll.fault == "reset":
            _reset(writer)
            return False
        if roll.fault == "hang":
            await _until_client_leaves(reader)
            return False
        if roll.fault == "malformed":
            await self._send_malformed(writer, reply, keep_alive)
            return keep_alive
        if roll.fault == "error":
            reply = _server_error(roll.error_status)
        elif roll.fault == "rate_limit":
            reply = _rate_limited(self.dice.faults.retry_after_s)
        if reply.completion or roll.fault in ("error", "rate_limit"):
            self._routes.metrics.observe(request.path, 200 if isinstance(reply, StreamReply) else reply.status,
                                         time.perf_counter() - started)
        await self._send(writer, reply, keep_alive)
        return keep_alive

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply | StreamReply, keep_alive: bool) -> None:
        # Counted before sending, so a client that has its answer also sees it counted.
        self.stats.response(200 if isinstance(reply, StreamReply) else reply.status,
                            completion=reply.completion)
        if isinstance(reply, StreamReply):
            await self._stream(writer, reply, keep_alive)
        else:
            await _send_reply(writer, reply, keep_alive)

    async def _stream(self, writer: asyncio.StreamWriter, reply: StreamReply, keep_alive: bool) -> None:
        response = ChunkedResponse(writer)
        await response.start(200, content_type="text/event-stream; charset=utf-8", keep_alive=keep_alive,
                             headers=[("Cache-Control", "no-cache")])
        pause = self.dice.faults.slow_stream_ms / 1000
        for number, event in enumerate(reply.events):
            if pause and number:
                await asyncio.sleep(pause)
            await response.send(b"data: %s\n\n" % _json(event))
        await response.send(b"data: [DONE]\n\n")
        await response.end()

    async def _send_malformed(self, writer: asyncio.StreamWriter, reply: Reply | StreamReply,
                              keep_alive: bool) -> None:
        self.stats.response(200)
        if isinstance(reply, StreamReply):
            response = ChunkedResponse(writer)
            await response.start(200, content_type="text/event-stream; charset=utf-8", keep_alive=keep_alive)
            await response.send(b"data: %s\n\n" % MALFORMED_BODY)
            await response.end()
        else:
            await send_whole(writer, 200, MALFORMED_BODY, content_type="application/json",
                             keep_alive=keep_alive)


async def _send_reply(writer: asyncio.StreamWriter, reply: Reply, keep_alive: bool) -> None:
    body = reply.body if isinstance(reply.body, bytes) else _json(reply.body)
    await send_whole(writer, reply.status, body, content_type=reply.content_type,
                     keep_alive=keep_alive, headers=reply.headers)


def _server_error(status: int) -> Reply:
    if status == 503:
        return Reply(503, shapes.error("The server is overloaded or not ready yet.", "service_unavailable", 503))
    return Reply(500, shapes.error("The server had an error while processing your request.", "server_error", 500))


def _rate_limited(retry_after_s: float) -> Reply:
    # OpenAI sends both; the official client prefers retry-after-ms, which allows sub-second waits.
    headers = (("Retry-After", f"{retry_after_s:g}"), ("retry-after-ms", f"{retry_after_s * 1000:g}"))
    return Reply(429, shapes.error("Rate limit reached; retry after the time in Retry-After.",
                                   "requests", "rate_limit_exceeded"), headers)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP RST, as a crashed server or a proxy would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # Linger on with a zero timeout turns close() into a reset instead of a graceful FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _until_client_leaves(reader: asyncio.StreamReader) -> None:
    # Reading (and discarding) rather than sleeping frees the connection as soon as the client gives up.
    while await reader.read(65536):
        pass


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
