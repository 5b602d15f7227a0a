"""When to retry a failed call, and for how long to wait: exponential backoff with full jitter
that never waits less than the server's ``Retry-After``; ``Attempts`` runs one call under it,
each try holding a slot of the endpoint's ``AdaptiveConcurrency``."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from ._concurrency import OVERLOAD_STATUSES, AdaptiveConcurrency, ConcurrencyStats

# statuses worth another try; 4xx other than these are the caller's mistake and final
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# a server asking for longer than this is treated as down for this run
MAX_RETRY_AFTER_S = 120.0
# retries of a preflight call even when rows get none: that call alone decides "unreachable"
PREFLIGHT_MIN_RETRIES = 3


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 20.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        backoff = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
        jittered = rng.uniform(backoff / 2, backoff)
        if retry_after is not None:
            return max(min(retry_after, MAX_RETRY_AFTER_S), jittered * 0.1)
        return jittered


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class CallFailed(Exception):
    """One attempt failed; ``retryable`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 unreachable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable, self.retry_after, self.unreachable = retryable, retry_after, unreachable
        self.status = status  # the HTTP status of the answer, when there was one


class GaveUp(Exception):
    """The last attempt's ``failure`` was final, or the retries ran out after ``attempts`` tries."""

    def __init__(self, failure: CallFailed, attempts: int) -> None:
        super().__init__(str(failure))
        self.failure, self.attempts = failure, attempts


class Attempts:
    """Tries of a call, each holding one of up to ``concurrency`` slots, retried under ``policy``;
    a 429 or 503 answer shrinks the number of slots for a while (see ``AdaptiveConcurrency``)."""

    def __init__(self, policy: RetryPolicy, concurrency: int, seed: int | None = None) -> None:
        self.policy = policy
        self._slots = AdaptiveConcurrency(concurrency)
        self._rng = random.Random(seed)

    @property
    def concurrency(self) -> ConcurrencyStats:
        """The concurrency the calls so far actually had."""
        return self._slots.stats()

    @property
    def preflight_tries(self) -> int:
        return max(self.policy.max_retries, PREFLIGHT_MIN_RETRIES) + 1

    async def backoff(self, attempt: int, failure: CallFailed) -> None:
        """Wait before attempt ``attempt + 1``."""
        await asyncio.sleep(self.policy.delay(attempt, failure.retry_after, self._rng))

    async def run(self, call: Callable[[], Awaitable[Any]],
                  read: Callable[[Any], Any] = lambda payload: payload) -> tuple[Any, Any, float, int]:
        """``(payload, read(payload), latency_ms, attempts)`` of the first attempt that succeeds.

        ``read`` turns the payload into what the caller wants, outside the slot; a ``CallFailed``
        from it (a malformed body) is retried like one from ``call``. Raises ``GaveUp``.
        """
        attempts = 0
        while True:
            attempts += 1
            try:
                token = await self._slots.acquire()
                overloaded, answered = False, False
                try:
                    started = time.perf_counter()
                    payload = await call()
                    latency_ms = round((time.perf_counter() - started) * 1000, 3)
                    answered = True
                except CallFailed as failure:
                    overloaded = failure.status in OVERLOAD_STATUSES
                    raise
                finally:  # a cancelled call gives its slot back too, and says nothing of the server
                    self._slots.release(token, overloaded=overloaded, answered=answered)
                return payload, read(payload), latency_ms, attempts
            except CallFailed as failure:
                if failure.retryable and attempts <= self.policy.max_retries:
                    await self.backoff(attempts, failure)
                    continue
                raise GaveUp(failure, attempts) from None
