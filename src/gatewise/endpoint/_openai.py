"""The model under test over the OpenAI-compatible API (vLLM at ``/v1``, KServe at ``/openai/v1``).

One ``OpenAIEndpoint`` per run: requests in flight bounded by the configured concurrency and cut
back while the server pushes back (``AdaptiveConcurrency``), a timeout per request, our own
retries (the SDK's are off) so that ``Retry-After`` is honoured and every attempt is counted.
The preflight goes through the openai SDK on its aiohttp transport; rows go through ``Wire``
(aiohttp and orjson: see there for why, and what that costs in compatibility).
"""

from __future__ import annotations

import asyncio
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
        self._client: Any = None
        self._base_url, basic = split_credentials(config.base_url)
        # the Authorization header every call sends: URL credentials win, as they did under httpx
        self._authorization = basic or f"Bearer {self._secret or 'EMPTY'}"  # "EMPTY": vLLM's "no key"
        self._wire = Wire(self._base_url, authorization=self._authorization, timeout_s=config.timeout_s,
                          connections=config.concurrency)
        self._path = "/chat/completions" if config.api == "chat" else "/completions"

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

    def _openai(self) -> Any:
        if self._client is None:
            import openai  # deferred: ~0.7 s, and not needed by validate/pin

            self._client = openai.AsyncOpenAI(
                base_url=self._base_url,
                api_key=self._secret or "EMPTY",  # vLLM's convention for "no key"
                timeout=self.config.timeout_s,
                max_retries=0,
                default_headers={"Authorization": self._authorization},
                http_client=openai.DefaultAioHttpClient(),  # httpx's own pool costs twice the CPU
            )
        return self._client

    async def aclose(self) -> None:
        await self._wire.aclose()
        if self._client is not None:
            await self._client.close()

    def redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    # -- preflight ---------------------------------------------------------------------------

    async def preflight(self) -> tuple[str, ...]:
        """List the served models, so a dead endpoint or a refused key stops the run before row 1.

        Returns the served model ids (empty when the server has no models route).
        """
        import openai

        last: str = ""
        tries = self._attempts.preflight_tries
        for attempt in range(1, tries + 1):
            try:
                page = await self._openai().models.list()
                return tuple(m.id for m in page.data)
            except openai.NotFoundError:
                return ()
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                raise self._unreachable(
                    f"the {self.role} at {public_url(self.config.base_url)} refused the API key "
                    f"(HTTP {exc.status_code}); check {self.section}.api_key"
                ) from None
            except Exception as exc:  # noqa: BLE001 - every failure here means "not reachable yet"
                failure = self._classify(exc)
                last = str(failure)
                if not failure.retryable or attempt == tries:
                    break
                await self._attempts.backoff(attempt, failure)
        raise self._unreachable(
            f"cannot reach the {self.role} at {public_url(self.config.base_url)}: {self.redact(last)}"
        )

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
            "finish_reason": choice.get("finish_reason") if isinstance(choice, dict) else None,
            "model_id": payload.get("model"),
            "prompt_tokens": usage.get("prompt_tokens"),
            "completion_tokens": usage.get("completion_tokens"),
        }

    def _classify(self, exc: Exception) -> CallFailed:
        import openai

        if isinstance(exc, openai.APIConnectionError):  # APITimeoutError is one too
            cause = _transport_cause(exc)
            if isinstance(cause, (TimeoutError, asyncio.TimeoutError)) or (
                    cause is None and isinstance(exc, openai.APITimeoutError)):
                return CallFailed(f"timed out after {self.config.timeout_s:g} s", retryable=True, unreachable=True)
            detail = f": {type(cause).__name__}" if cause is not None else ""
            return CallFailed(f"connection error{detail}", retryable=True, unreachable=True)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            message = _error_message(exc)
            return CallFailed(f"HTTP {status}: {message}", retryable=status in RETRYABLE_STATUSES,
                              retry_after=retry_after)
        if isinstance(exc, (ValueError, openai.APIResponseValidationError)):
            # json.JSONDecodeError is a ValueError: a 200 whose body is not JSON
            return CallFailed("malformed response: body is not valid JSON", retryable=True)
        return CallFailed(f"{type(exc).__name__}: {exc}", retryable=False)


def _transport_cause(exc: BaseException) -> BaseException | None:
    """The aiohttp (or OS) error under an SDK connection error. The SDK's aiohttp adapter maps every
    ``ClientConnectionError`` to httpx's ``ConnectTimeout``, so the SDK's own class cannot tell a
    refused connection from a timeout; the original error can."""
    cause, seen = exc.__cause__ or exc.__context__, 0
    while cause is not None and seen < 8:
        if type(cause).__module__.split(".")[0] not in ("httpx2", "httpx", "openai"):
            return cause
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return None


def _error_message(exc: Any) -> str:
    """The message of an SDK status error (the preflight's), as ``error_message`` reads a row's."""
    return _message_of(getattr(exc, "body", None), getattr(exc.response, "reason_phrase", None) or "error")


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
