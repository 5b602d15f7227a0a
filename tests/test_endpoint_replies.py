"""What a row keeps from an OpenAI-compatible reply, read straight from the bytes: text, finish
reason, model id and token counts when present; a clear error when the reply holds no text or is
an error, with the server's own message and never the API key."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from aiohttp import web

from gatewise.config import EndpointConfig
from gatewise.endpoint import OpenAIEndpoint
from gatewise.samples import Message

KEY = "sk-test-very-secret"


class CannedServer:
    """A loopback HTTP server answering every completion with the (status, body, headers) set last."""

    def __init__(self) -> None:
        self.reply: tuple[int, bytes, dict[str, str]] = (200, b"{}", {})
        self.seen: list[dict] = []
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True)
        self._thread.start()
        started.wait(10)

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/v1/{kind:(chat/)?completions}", self._answer)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        started.set()
        self._loop.run_forever()

    async def _answer(self, request: web.Request) -> web.Response:
        self.seen.append({"headers": dict(request.headers), "body": await request.json()})
        status, body, headers = self.reply
        return web.Response(status=status, body=body, headers={"Content-Type": "application/json", **headers})

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def canned():
    server = CannedServer()
    yield server
    server.stop()


def _sample(server: CannedServer, reply, api: str = "chat", **settings):
    server.reply = reply if len(reply) == 3 else (*reply, {})
    config = EndpointConfig(base_url=f"http://127.0.0.1:{server.port}/v1", model="m", api=api, api_key=KEY,
                            max_retries=settings.pop("max_retries", 0), backoff_s=0.01, **settings)

    async def go():
        endpoint = OpenAIEndpoint(config)
        try:
            return await endpoint.sample("r1", {"q": "x"}, (Message("system", "s"), Message("user", "u")))
        finally:
            await endpoint.aclose()

    return asyncio.run(go())


def _chat(message: dict, **extra) -> bytes:
    return json.dumps({"model": "served-m", "choices": [{"index": 0, "message": message, **extra}],
                       **({"usage": {"prompt_tokens": 7, "completion_tokens": 3}} if "no_usage" not in extra else {})
                       }).encode()


def test_a_full_reply_keeps_text_finish_reason_model_and_tokens(canned):
    sample = _sample(canned, (200, _chat({"role": "assistant", "content": "Paris"}, finish_reason="length")))
    assert (sample.output, sample.finish_reason, sample.model_id) == ("Paris", "length", "served-m")
    assert (sample.prompt_tokens, sample.completion_tokens, sample.error) == (7, 3, None)
    sent = canned.seen[-1]
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    assert sent["body"]["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


def test_a_reply_without_usage_or_finish_reason_has_no_token_counts(canned):
    body = json.dumps({"choices": [{"message": {"content": "ok"}}]}).encode()
    sample = _sample(canned, (200, body))
    assert sample.output == "ok" and sample.error is None
    assert (sample.prompt_tokens, sample.completion_tokens, sample.finish_reason, sample.model_id) == (
        None, None, None, None)
    null_usage = json.dumps({"choices": [{"message": {"content": "ok"}}], "usage": None}).encode()
    assert _sample(canned, (200, null_usage)).prompt_tokens is None


def test_a_tool_call_with_null_content_is_recorded_as_its_calls(canned):
    message = {"role": "assistant", "content": None,
               "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}]}
    sample = _sample(canned, (200, _chat(message, finish_reason="tool_calls")), max_retries=3)
    assert sample.error is None and sample.attempts == 1 and sample.finish_reason == "tool_calls"
    assert [call.to_dict() for call in sample.tool_calls] == [{"id": "c1", "name": "f", "arguments": '{"a": 1}'}]
    assert sample.output == 'f({"a": 1})'  # what every report shows of a calls-only answer


def test_null_content_without_tool_calls_is_an_error_not_retried(canned):
    message = {"role": "assistant", "content": None, "tool_calls": []}
    sample = _sample(canned, (200, _chat(message, finish_reason="stop")), max_retries=3)
    assert sample.output is None and sample.attempts == 1
    assert sample.error.startswith("response had no text content")


@pytest.mark.parametrize("tool_calls", [
    "f()", [{"id": "c1", "type": "function", "function": {"arguments": "{}"}}],
], ids=["not-a-list", "no-name"])
def test_malformed_tool_calls_are_retried_then_reported(canned, tool_calls):
    message = {"role": "assistant", "content": None, "tool_calls": tool_calls}
    sample = _sample(canned, (200, _chat(message, finish_reason="tool_calls")), max_retries=1)
    assert sample.output is None and sample.attempts == 2
    assert "malformed response" in sample.error


def test_a_text_completion_reads_choices_text(canned):
    body = json.dumps({"model": "m", "choices": [{"text": "42", "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 2, "completion_tokens": 1}}).encode()
    sample = _sample(canned, (200, body), api="completions")
    assert (sample.output, sample.finish_reason, sample.completion_tokens) == ("42", "stop", 1)
    assert canned.seen[-1]["body"]["prompt"] == "s\n\nu"


@pytest.mark.parametrize("body, expected", [
    (b'{"choices": []}', "malformed response: no choices[0] text in the body"),
    (b'{"object": "chat.completion"}', "malformed response: no choices[0] text in the body"),
    (b'[1, 2]', "malformed response: no choices[0] text in the body"),
    (b'{"choices": [{"index', "malformed response: body is not valid JSON"),
    (b'', "malformed response: body is not valid JSON"),
], ids=["no-choices", "no-key", "not-an-object", "cut", "empty"])
def test_malformed_replies_are_retried_then_reported(canned, body, expected):
    sample = _sample(canned, (200, body), max_retries=1)
    assert sample.output is None and sample.attempts == 2
    assert sample.error == f"{expected} (after 2 attempts)"


@pytest.mark.parametrize("status, body, expected, attempts", [
    (400, {"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}},
     "HTTP 400: max_tokens is too large", 1),
    (404, {"object": "error", "message": "The model `m` does not exist.", "type": "NotFoundError"},
     "HTTP 404: The model `m` does not exist.", 1),
    (422, {"detail": [{"loc": ["body"], "msg": "field required"}]},
     'HTTP 422: {"detail": [{"loc": ["body"], "msg": "field required"}]}', 1),
    (404, {"detail": "Not Found"}, "HTTP 404: Not Found", 1),
    (500, {"error": "boom"}, "HTTP 500: boom", 2),
    (502, None, "HTTP 502: Bad Gateway", 2),
    (503, "upstream overloaded", 'HTTP 503: upstream overloaded', 2),
], ids=["openai-shape", "vllm-shape", "fastapi-detail", "fastapi-detail-string", "error-string", "empty-body", "plain-text"])
def test_error_replies_carry_the_servers_message(canned, status, body, expected, attempts):
    raw = b"" if body is None else body.encode() if isinstance(body, str) else json.dumps(body).encode()
    sample = _sample(canned, (status, raw), max_retries=1)
    assert sample.output is None and sample.attempts == attempts
    assert sample.error.startswith(expected + " (after"), sample.error


def test_an_error_echoing_the_key_never_shows_it(canned):
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {KEY}"}}).encode()
    sample = _sample(canned, (401, body))
    assert KEY not in sample.error and "***" in sample.error


def test_429_retry_after_is_honoured_and_counted(canned):
    body = json.dumps({"error": {"message": "slow down"}}).encode()
    sample = _sample(canned, (429, body, {"Retry-After": "0.05"}), max_retries=2)
    assert sample.attempts == 3 and sample.error.startswith("HTTP 429: slow down")


def test_a_refused_connection_is_a_connection_error_not_a_timeout():
    import socket

    from gatewise.errors import EndpointUnreachableError

    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        config = EndpointConfig(base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=0, backoff_s=0.01)

        async def go():
            endpoint = OpenAIEndpoint(config)
            try:
                sample = await endpoint.sample("r1", {}, (Message("user", "u"),))
                with pytest.raises(EndpointUnreachableError) as refused:
                    await endpoint.preflight()
                return sample, str(refused.value)
            finally:
                await endpoint.aclose()

        sample, preflight = asyncio.run(go())
    assert sample.error.startswith("connection error: Client"), sample.error
    assert "connection error: Client" in preflight and "timed out" not in preflight, preflight
