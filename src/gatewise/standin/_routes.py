"""What the stand-in answers to each request, before faults: OpenAI's routes, auth and validation.

Every route is one ``Routes.add`` call in ``Routes.__init__``: API routes under both prefixes and
behind the API key, plain routes (``/health``) at the root and open; another module adds its own
with ``routes.add(...)`` on a built ``Routes``.
"""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Sequence, Union

import orjson

from . import _shapes as shapes
from ._faults import Faults
from ._http import Request
from ._judge import judge_reply
from ._judge_dialogue import conversation_judge_reply
from ._metrics import StandinMetrics
from ._model import StandinModel
from ._tools import ToolRequestError, checked_tools, tool_answer

# vLLM serves OpenAI's API under /v1; KServe's huggingface runtime serves it under /openai/v1.
PREFIXES = ("/v1", "/openai/v1")


@dataclass(frozen=True)
class Reply:
    """A whole JSON response."""

    status: int
    body: Any
    """Sent as JSON; ``bytes`` are sent as they are, as ``content_type``."""
    headers: tuple[tuple[str, str], ...] = ()
    completion: bool = False
    """Counts as a completion served when sent."""
    faultable: bool = True
    """Faults may replace it; health checks and auth refusals are never faulted."""
    content_type: str = "application/json"


@dataclass(frozen=True)
class StreamReply:
    """A 200 Server-Sent Events response: one ``data:`` event per payload, then ``[DONE]``."""

    events: tuple[Any, ...]
    completion: bool = True
    faultable: bool = True


Handler = Callable[[Request], Union[Reply, StreamReply]]


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


class Routes:
    """Maps a request to its reply; pure apart from ids and timestamps, so it never waits."""

    def __init__(self, model: StandinModel, *, model_id: str, served_model_names: Sequence[str],
                 api_key: str | None, faults: Callable[[], Faults] = Faults) -> None:
        self._model, self._model_id, self._api_key = model, model_id, api_key
        self._faults = faults  # read per request: faults can change while serving
        self._names = list(dict.fromkeys(served_model_names))
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._open: set[str] = set()  # paths answered without the API key
        self.add("GET", "/health", lambda request: Reply(200, {"status": "ok"}, faultable=False), api=False)
        self.add("POST", "/chat/completions", self._chat_completions)
        self.add("POST", "/completions", self._completions)
        self.add("GET", "/models", self._models)
        self.metrics = StandinMetrics(self._names[0], [path for method, path in self._handlers if method == "POST"])
        # like vLLM's: outside the API key and never faulted
        self.add("GET", "/metrics", self._metrics, api=False)

    def add(self, method: str, path: str, handler: Handler, *, api: bool = True) -> None:
        """Route ``method path`` to ``handler``: with ``api``, under each of ``PREFIXES`` and behind
        the API key; without, at ``path`` itself and open to all (as ``/health`` is)."""
        for full in ([prefix + path for prefix in PREFIXES] if api else [path]):
            self._handlers[(method, full)] = handler
            if not api:
                self._open.add(full)

    def _metrics(self, request: Request) -> Reply:
        body, content_type = self.metrics.render()
        return Reply(200, body, content_type=content_type, faultable=False)

    def answer(self, request: Request) -> Reply | StreamReply:
        handler = self._handlers.get((request.method, request.path))
        if request.path not in self._open and self._api_key is not None and not self._authorized(request):
            # vLLM's --api-key middleware answers before its OpenAI layer, in a shape of its own
            return Reply(401, {"error": "Unauthorized"}, faultable=False)
        if handler is None:
            # vLLM's router (FastAPI) answers these, not its OpenAI layer: {"detail": ...}
            if any(path == request.path for _, path in self._handlers):
                return Reply(405, {"detail": "Method Not Allowed"})
            return Reply(404, {"detail": "Not Found"})
        try:
            return handler(request)
        except _Refused as refused:
            return refused.reply

    def _authorized(self, request: Request) -> bool:
        expected = f"Bearer {self._api_key}".encode()
        return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected)

    def _models(self, request: Request) -> Reply:
        return Reply(200, shapes.model_list(self._names, int(time.time())))

    def _chat_completions(self, request: Request) -> Reply | StreamReply:
        try:
            return self._chat(request)
        except ToolRequestError as refused:
            raise _Refused(_unvalidated(refused.message, refused.location) if refused.location
                           else _invalid(refused.message, refused.param)) from None

    def _chat(self, request: Request) -> Reply | StreamReply:
        payload = self._payload(request)
        messages = payload.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise _Refused(_unvalidated("Input should be a non-empty list of message objects", "body.messages"))
        _check_response_format(payload.get("response_format"))
        offered = checked_tools(payload)
        # the model answers the last thing said to it: the user's message, or a tool's result
        asked = [_content_text(m.get("content")) for m in messages if m.get("role") in ("user", "tool")]
        content, finish = self._complete(asked[-1] if asked else "", payload)
        prompt_tokens = sum(_tokens(_content_text(m.get("content"))) for m in messages)
        usage = shapes.usage(prompt_tokens, _tokens(content))
        id_, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        answer = tool_answer(content, finish, offered)
        if payload.get("stream"):
            return StreamReply(tuple(shapes.chat_chunks(id_, created, self._model_id, answer.content or "",
                                                        answer.finish_reason,
                                                        usage if _wants_usage(payload) else None,
                                                        tool_calls=answer.tool_calls)))
        return Reply(200, shapes.chat_completion(id_, created, self._model_id, answer.content, answer.finish_reason,
                                                 usage, tool_calls=answer.tool_calls),
                     completion=True)

    def _completions(self, request: Request) -> Reply | StreamReply:
        payload = self._payload(request)
        prompt = payload.get("prompt")
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
            raise _Refused(_unvalidated("Input should be a string or a non-empty list of strings", "body.prompt"))
        texts = [self._complete(p, payload) for p in prompts]
        usage = shapes.usage(sum(_tokens(p) for p in prompts), sum(_tokens(t) for t, _ in texts))
        id_, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())
        if payload.get("stream"):
            return StreamReply(tuple(shapes.text_chunks(id_, created, self._model_id, texts,
                                                        usage if _wants_usage(payload) else None)))
        return Reply(200, shapes.text_completion(id_, created, self._model_id, texts, usage), completion=True)

    def _payload(self, request: Request) -> dict[str, Any]:
        try:
            payload = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:  # invalid UTF-8 too
            raise _Refused(_unvalidated("JSON decode error", f"body.{getattr(exc, 'pos', 0) or 0}")) from None
        if not isinstance(payload, dict):
            raise _Refused(_unvalidated("Input should be a valid dictionary", "body"))
        model = payload.get("model", self._names[0])
        if model not in self._names:
            # vLLM's words and status for a model it does not serve, naming those it does
            raise _Refused(Reply(404, shapes.error(
                f"The model `{model}` does not exist. Valid aliases: {', '.join(self._names)}.",
                "NotFoundError", 404, "model")))
        return payload

    def _complete(self, prompt: str, payload: dict[str, Any]) -> tuple[str, str]:
        """The model's text for a prompt, cut to ``max_tokens`` words ("length") if asked. A deepeval
        judge prompt gets the judge's JSON: one stand-in can be both the model and its judge."""
        garbage = self._faults().judge_garbage_rate
        judged = conversation_judge_reply(prompt, garbage_rate=garbage) or judge_reply(prompt, garbage_rate=garbage)
        text = judged if judged is not None else self._model.reply(prompt)
        limit = payload.get("max_completion_tokens") or payload.get("max_tokens")
        if limit is None:
            return text, "stop"
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise _Refused(_unvalidated("Input should be a valid integer", "body.max_tokens"))
        if limit < 1:
            raise _Refused(_invalid(f"max_tokens must be at least 1, got {limit}. "
                                    f"(parameter=max_tokens, value={limit})", "max_tokens"))
        words = text.split()
        # as vLLM: "stop" needs room for the end-of-sequence token, so an answer that fills the
        # budget exactly ends for "length"
        return (" ".join(words[:limit]), "length") if len(words) >= limit else (text, "stop")


def _invalid(message: str, param: str | None = None) -> Reply:
    """A request vLLM's OpenAI layer refuses (a value out of range, an unusable schema)."""
    return Reply(400, shapes.error(message, "BadRequestError", 400, param))


def _unvalidated(message: str, location: str) -> Reply:
    """A body that fails vLLM's request model (pydantic): its type is "Bad Request", its param
    the field's location."""
    return Reply(400, shapes.error(f"1 validation error:\n  {{'loc': '{location}', 'msg': '{message}'}}",
                                   "Bad Request", 400, location))


_FORMATS = ("text", "json_object", "json_schema", "structural_tag")


def _check_response_format(value: Any) -> None:
    """vLLM's checks of ``response_format``; the stand-in's judge answers JSON anyway."""
    if value is None:
        return
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in _FORMATS:
        raise _Refused(_unvalidated(f"Input should be {', '.join(repr(f) for f in _FORMATS[:3])}",
                                    "body.response_format.type"))
    if kind == "json_schema" and not isinstance(value.get("json_schema"), dict):
        raise _Refused(_invalid("When response_format type is 'json_schema', the 'json_schema' field must be "
                                "provided. (parameter=response_format)", "response_format"))


def _content_text(content: Any) -> str:
    """A message's text, whether a plain string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content
                         if isinstance(part, dict) and part.get("type") == "text")
    return ""


def _tokens(text: str) -> int:
    return len(text.split())


def _wants_usage(payload: dict[str, Any]) -> bool:
    options = payload.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))
