"""Calls to the judge: gatewise's own endpoint client (bounded concurrency, timeouts, retries
honouring ``Retry-After``, response cache) plus one call per distinct prompt per run.

deepeval's G-Eval asks for its evaluation steps with the same prompt on every row; sharing the
answer (and the call still in flight) makes that one call per run instead of one per row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

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

    async def complete(self, prompt: str) -> JudgeReply:
        if (done := self._answered.get(prompt)) is not None:
            return done
        if (pending := self._in_flight.get(prompt)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[JudgeReply] = asyncio.get_running_loop().create_future()
        self._in_flight[prompt] = future
        try:
            reply = await self._call(prompt)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unshared failure is not logged as lost
            raise
        finally:
            del self._in_flight[prompt]
        self._answered[prompt] = reply
        future.set_result(reply)
        return reply

    async def _call(self, prompt: str) -> JudgeReply:
        sample = await self._endpoint.sample("judge", {}, (Message("user", prompt),))
        self.calls += sample.attempts
        self.cached += sample.cached
        if sample.error is not None or sample.output is None:
            raise JudgeCallError(f"judge call failed: {sample.error or 'no text in the response'}")
        return JudgeReply(sample.output, sample.model_id, sample.cached)
