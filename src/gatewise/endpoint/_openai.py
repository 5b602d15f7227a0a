"""The model under test over the OpenAI-compatible API (vLLM at ``/v1``, KServe at ``/openai/v1``).

One ``OpenAIEndpoint`` per run: requests in flight bounded by the configured concurrency and cut
back while the server pushes back (``AdaptiveConcurrency``), a timeout per request, our own
retries (the SDK's are off) so that ``Retry-After`` is honoured and every attempt is counted.
The preflight and the rows go through ``Wire`` (aiohttp and orjson: see there for why, and what
that costs in compatibility); the openai SDK is not imported on the gate's path.
"""

from __future__ import annotations

import json
from typing import Any

from ..config import EndpointConfig
from ..errors import EndpointUnreachableError, InfraError
from ..samples import Message, Sample
from ._cache import ResponseCache, request_key
from ._concurrency import ConcurrencyStats
from ._url import public_url, split_credentials
from ._retry import RETRYABLE_STATUSES, Attempts, CallFailed, GaveUp, RetryPolicy, parse_retry_after
from ._tool_calls import calls_as_text, read_tool_calls, sample_fields
from ._wire import Wire


class OpenAIEndpoint:
    def __init__(self, config: EndpointConfig, *, cache: ResponseCache | None = None,
                 seed: int | None = None, role: str = "model endpoint", section: str = "endpoint",
                 unreachable: type[InfraError] = EndpointUnreachableError, cache_scope: str | None = None) -> None:
        self.config = config
        self.cache_scope = cache_scope  # a baseline's answers are cached apart from the model's
        # which endpoint this is, in messages: the model under test or the judge (config section)
        self.role, self.section, self._unreachable = role, section, unreachable
        self.cache = cache
        self.policy = RetryPolicy(config.max_retries, config.backoff_s, config.max_backoff_s)
        self._attempts = Attempts(self.policy, config.concurrency, seed)
        self._secret = config.api_key.get_secret_value() if config.api_key else None
        self._base_url, basic = split_credentials(config.base_url)
        # the Authorization header every call sends: URL credentials win, as they did under httpx
        self._authorization = basic or f"Bearer {self._secret or 'EMPTY'}"  # "EMPTY": vLLM's "no key"
        self._wire = Wire(self._base_url, authorization=self._authorization, timeout_s=config.timeout_s,
                          connections=config.concurrency)
        self._path = "/chat/completions" if config.api == "chat" else "/completions"
        # model ids and finish reasons repeat on every answer: one string each, not one per sample
        self._names: dict[str, str] = {}

    @property
    def concurrency(self) -> ConcurrencyStats:
        """The concurrency the row calls actually had (cut back on 429 / 503, regrown after)."""
        return self._attempts.concurrency

    @property
    def identity(self) -> dict[str, Any]:
        """What makes two endpoints answer differently; the cache key includes it (not the key)."""
        identity = {"base_url": self.config.base_url, "model": self.config.model, "api": self.config.api}
        # a baseline's answers are its own, even from the same URL and model (an A/A run)
        return {**identity, "scope": self.cache_scope} if self.cache_scope else identity

    async def aclose(self) -> None:
        await self._wire.aclose()

    def redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    # -- preflight ---------------------------------------------------------------------------

    async def preflight(self) -> tuple[str, ...]:
        """List the served models (``GET /models``), so a dead endpoint or a refused key stops the
        run before row 1. Returns the served model ids (empty when the server has no models route).
        """
        last: str = ""
        tries = self._attempts.preflight_tries
        for attempt in range(1, tries + 1):
            try:
                return await self._list_models()
            except CallFailed as failure:
                last = str(failure)
                if not failure.retryable or attempt == tries:
                    break
                await self._attempts.backoff(attempt, failure)
        raise self._unreachable(
            f"cannot reach the {self.role} at {public_url(self.config.base_url)}: {self.redact(last)}"
        )

    async def _list_models(self) -> tuple[str, ...]:
        import orjson

        status, retry_after, reason, content = await self._wire.get("/models")
        if status == 404:
            return ()
        if status in (401, 403):
            raise self._unreachable(
                f"the {self.role} at {public_url(self.config.base_url)} refused the API key "
                f"(HTTP {status}); check {self.section}.api_key")
        if not 200 <= status < 300:
            raise CallFailed(f"HTTP {status}: {error_message(content, reason)}",
                             retryable=status in RETRYABLE_STATUSES, retry_after=parse_retry_after(retry_after))
        try:
            listed = orjson.loads(content)["data"]
            return tuple(str(m["id"]) for m in listed)
        except (orjson.JSONDecodeError, TypeError, KeyError):
            raise CallFailed("malformed response: body is not a model list", retryable=True) from None

    def _same(self, name: Any) -> Any:
        """``name``, as the one string kept for its value (100 000 samples: ~10 MB less)."""
        if isinstance(name, str) and len(self._names) < 64:
            return self._names.setdefault(name, name)
        return self._names.get(name, name) if isinstance(name, str) else name

    # -- one row -----------------------------------------------------------------------------

    def request_body(self, messages: tuple[Message, ...]) -> dict[str, Any]:
        cfg = self.config
        body: dict[str, Any] = {"model": cfg.model}
        if cfg.api == "chat":
            body["messages"] = [m.to_dict() for m in messages]
        else:
            body["prompt"] = "\n\n".join(str(m.content) for m in messages)
        for name in ("temperature", "max_tokens", "seed"):
            if getattr(cfg, name) is not None:
                body[name] = getattr(cfg, name)
        return body

    async def sample(self, row_id: str, inputs: dict[str, Any], messages: tuple[Message, ...],
                     repeat: int = 0, extra: dict[str, Any] | None = None) -> Sample:
        """``extra``: more request fields for this call only (the judge's ``response_format``)."""
        body = {**self.request_body(messages), **(extra or {})}
        key = None
        if self.cache is not None:
            key = request_key(self.identity, {**body, "extra_body": self.config.extra_body}, repeat)
            hit = self.cache.sample(key, row_id=row_id, inputs=inputs, messages=messages, repeat=repeat)
            if hit is not None:
                return hit
        try:
            record, _, latency_ms, attempts = await self._attempts.run(lambda: self._call(body))
        except GaveUp as gave_up:
            attempts = gave_up.attempts
            return Sample(row_id=row_id, inputs=inputs, messages=messages, repeat=repeat,
                          output=None, attempts=attempts,
                          error=self.redact(f"{gave_up.failure} (after {attempts} attempt{'s' * (attempts > 1)})"))
        record["latency_ms"] = latency_ms
        if self.cache is not None and key is not None:
            self.cache.put(key, record)
        return Sample(row_id=row_id, inputs=inputs, messages=messages, repeat=repeat,
                      attempts=attempts, **sample_fields(record))

    async def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        import orjson

        status, retry_after, reason, content = await self._wire.post(self._path, {**body, **self.config.extra_body})
        if not 200 <= status < 300:
            raise CallFailed(f"HTTP {status}: {error_message(content, reason)}",
                             retryable=status in RETRYABLE_STATUSES, retry_after=parse_retry_after(retry_after),
                             status=status)
        try:
            payload = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise CallFailed("malformed response: body is not valid JSON", retryable=True) from None
        return self._read(payload)

    def _read(self, payload: Any) -> dict[str, Any]:
        """The few fields a sample keeps, read from the parsed body (no typed response model)."""
        try:
            choice = payload["choices"][0]
            text = choice["message"]["content"] if self.config.api == "chat" else choice["text"]
        except (TypeError, KeyError, IndexError):
            raise CallFailed("malformed response: no choices[0] text in the body", retryable=True) from None
        calls = read_tool_calls(choice["message"].get("tool_calls")) if self.config.api == "chat" else []
        if calls:
            # vLLM answers a tool call with content null (auto) or "" (required / named)
            text = text if isinstance(text, str) and text.strip() else calls_as_text(calls)
        elif not isinstance(text, str):
            # content null: a refusal instead of text; asking again gets the same
            raise CallFailed("response had no text content", retryable=False)
        usage = payload.get("usage") or {}
        if not isinstance(usage, dict):
            usage = {}
        return {
            "tool_calls": calls,
            "output": text,
            "finish_reason": self._same(choice.get("finish_reason") if isinstance(choice, dict) else None),
            "model_id": self._same(payload.get("model")),
            "prompt_tokens": usage.get("prompt_tokens"),
            "completion_tokens": usage.get("completion_tokens"),
        }

def error_message(content: bytes, reason: str) -> str:
    """What an error body says, in at most 300 characters: its ``error.message`` (OpenAI), its
    ``message`` (vLLM), its ``error`` string, its ``detail`` string (FastAPI), the body as JSON, its text when not JSON, or the reason
    phrase when there is no body. (The SDK unwrapped ``error`` first, so ``{"error": "boom"}`` and
    plain text bodies read as quoted JSON strings there; here they read as the text.)"""
    import orjson

    text = content.decode("utf-8", "replace").strip()
    if not text:
        return reason or "error"
    try:
        body: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        body = text
    return body[:300] if isinstance(body, str) else _message_of(body, reason)


def _message_of(body: Any, reason: str) -> str:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
        if isinstance(body.get("detail"), str):  # vLLM's router (FastAPI): {"detail": "Not Found"}
            return body["detail"][:300]
    try:
        return json.dumps(body)[:300] if body is not None else reason
    except (TypeError, ValueError):
        return "error"
