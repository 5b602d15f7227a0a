"""Calls to the judge: gatewise's own endpoint client (bounded concurrency, timeouts, retries
honouring ``Retry-After``, response cache) plus one call per distinct prompt per run.

deepeval's G-Eval asks for its evaluation steps with the same prompt on every row; sharing the
answer (and the call still in flight) makes that one call per run instead of one per row.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from ..config import JudgeConfig
from ..endpoint import OpenAIEndpoint, ResponseCache
from ..errors import JudgeUnreachableError
from ..samples import Message


class JudgeCallError(Exception):
    """The judge could not answer a prompt after retries; the row is an error, never a score."""


@dataclass(frozen=True)
class JudgeReply:
    text: str
    model_id: str | None
    cached: bool


class JudgeClient:
    """One per run, used inside one event loop; ``calls`` counts requests actually sent."""

    def __init__(self, config: JudgeConfig, *, cache: ResponseCache | None = None) -> None:
        self.config = config
        self._endpoint = OpenAIEndpoint(config, cache=cache, role="judge endpoint", section="judge",
                                        unreachable=JudgeUnreachableError)
        self._answered: dict[str, JudgeReply] = {}
        self._in_flight: dict[str, asyncio.Future[JudgeReply]] = {}
        self._format_keys: dict[int, tuple[dict[str, Any], str]] = {}
        self.calls = 0
        self.cached = 0

    @property
    def model(self) -> str:
        return self.config.model

    def redact(self, text: str) -> str:
        return self._endpoint.redact(text)

    async def preflight(self) -> tuple[str, ...]:
        """Raise ``JudgeUnreachableError`` when the judge cannot be reached at all."""
        return await self._endpoint.preflight()

    async def aclose(self) -> None:
        await self._endpoint.aclose()

    async def complete(self, prompt: str, response_format: dict[str, Any] | None = None) -> JudgeReply:
        """The judge's answer to ``prompt``; ``response_format`` (a JSON schema to answer in) is
        sent only when ``judge.structured_output`` is on."""
        if not self.config.structured_output:
            response_format = None
        key = prompt if response_format is None else prompt + "\0" + self._format_key(response_format)
        if (done := self._answered.get(key)) is not None:
            return done
        if (pending := self._in_flight.get(key)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[JudgeReply] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            reply = await self._call(prompt, response_format)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unshared failure is not logged as lost
            raise
        finally:
            del self._in_flight[key]
        self._answered[key] = reply
        future.set_result(reply)
        return reply

    def _format_key(self, response_format: dict[str, Any]) -> str:
        """``response_format`` as sorted JSON, written once per format object: deepeval asks with the
        same few (``_judge_schema`` shares them), and serialising one per request cost ~0.1 ms each."""
        known = self._format_keys.get(id(response_format))
        if known is None or known[0] is not response_format:
            if len(self._format_keys) >= 256:  # formats built afresh per call: keep the memo small
                self._format_keys.clear()
            known = self._format_keys[id(response_format)] = (response_format,
                                                                json.dumps(response_format, sort_keys=True))
        return known[1]

    async def _call(self, prompt: str, response_format: dict[str, Any] | None) -> JudgeReply:
        extra = {"response_format": response_format} if response_format is not None else None
        sample = await self._endpoint.sample("judge", {}, (Message("user", prompt),), extra=extra)
        self.calls += sample.attempts
        self.cached += sample.cached
        if sample.error is not None or sample.output is None:
            error = sample.error or "no text in the response"
            raise JudgeCallError(f"judge call failed: {error}{refusal_hint(error, self.config)}")
        return JudgeReply(sample.output, sample.model_id, sample.cached)


_REFUSED = re.compile(r"^HTTP 4\d\d\b")
_TOO_LONG = ("max_tokens", "max_completion_tokens", "context length", "maximum context", "max_model_len")
_NO_FORMAT = ("response_format", "json_schema", "structured output", "guided", "grammar")


def refusal_hint(error: str, config: JudgeConfig) -> str:
    """Which ``judge`` setting to change when the judge server refused the request itself."""
    if not _REFUSED.match(error):
        return ""
    lowered = error.lower()
    if any(word in lowered for word in _TOO_LONG):
        return (f" (the judge refused judge.max_tokens = {config.max_tokens} with this prompt: "
                "lower judge.max_tokens, or serve the judge with a longer context)")
    if config.structured_output and any(word in lowered for word in _NO_FORMAT):
        return (" (the judge refused structured output: set judge.structured_output: false "
                "for a server that cannot answer in a JSON schema)")
    return ""
