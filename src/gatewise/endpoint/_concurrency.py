"""How many requests may be in flight: the configured concurrency as a ceiling, halved when the
server says it is overloaded (429 or 503) and grown back while it answers (AIMD, as TCP does).

One ``AdaptiveConcurrency`` per endpoint client, used inside one event loop: each attempt
``acquire``s a slot and ``release``s it with whether the server pushed back. A push-back cuts the
limit once per round trip: answers to requests sent before the last cut say nothing about the
new limit, so they do not cut it again (a burst of 429s is one signal, not fifty).
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass

# statuses by which a server says "fewer, please": rate limited, or overloaded / not ready
OVERLOAD_STATUSES = frozenset({429, 503})
DECREASE_FACTOR = 0.5
# slots regained per round trip of answers: a halved limit is back at the ceiling in ~8 round trips
RECOVERY_ROUNDS = 8


@dataclass(frozen=True)
class ConcurrencyStats:
    """The concurrency a run actually had: ``mean`` is weighted by time, ``backoffs`` counts cuts."""

    configured: int
    min: int
    mean: float
    final: int
    backoffs: int

    def to_dict(self) -> dict[str, int | float]:
        return {"configured": self.configured, "min": self.min, "mean": self.mean, "final": self.final,
                "backoffs": self.backoffs}


class AdaptiveConcurrency:
    """A semaphore whose size follows the server's push-back, between 1 and ``ceiling``."""

    def __init__(self, ceiling: int) -> None:
        if ceiling < 1:
            raise ValueError(f"concurrency must be at least 1, got {ceiling}")
        self.ceiling = ceiling
        self._limit = float(ceiling)
        self._in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._epoch = 0  # bumped by every cut; a slot remembers the epoch it was taken in
        self._min, self._backoffs = ceiling, 0
        self._area, self._since, self._started = 0.0, None, None  # integral of limit over time

    @property
    def limit(self) -> int:
        return int(self._limit)

    async def acquire(self) -> int:
        """Wait for a slot; returns the token to hand back to ``release``."""
        self._clock()
        if self._in_flight < self.limit and not self._waiters:
            self._in_flight += 1
            return self._epoch
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # ``_wake`` counts the slot as taken before resolving it
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._in_flight -= 1  # handed a slot and cancelled before using it
                self._wake()
            else:
                self._waiters.remove(waiter)
            raise
        return self._epoch

    def release(self, token: int, *, overloaded: bool = False, answered: bool = True) -> None:
        """Give the slot back; ``overloaded`` when its answer was a push-back (see ``OVERLOAD_STATUSES``),
        ``answered`` False when there was no good answer either (a timeout, a 500): no change then."""
        self._clock()
        self._in_flight -= 1
        if overloaded:
            if token == self._epoch:
                self._limit = max(1.0, self._limit * DECREASE_FACTOR)
                self._epoch += 1
                self._backoffs += 1
                self._min = min(self._min, self.limit)
        elif answered and self._limit < self.ceiling:
            # about ceiling / RECOVERY_ROUNDS slots per round trip: each answer adds its share
            self._limit = min(float(self.ceiling), self._limit + self.ceiling / RECOVERY_ROUNDS / self._limit)
        self._wake()

    def stats(self) -> ConcurrencyStats:
        self._clock()
        elapsed = (self._since - self._started) if self._started is not None and self._since is not None else 0.0
        mean = self._area / elapsed if elapsed > 0 else float(self.limit)
        return ConcurrencyStats(self.ceiling, self._min, round(mean, 1), self.limit, self._backoffs)

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_flight += 1
                waiter.set_result(None)

    def _clock(self) -> None:
        try:
            now = asyncio.get_running_loop().time()
        except RuntimeError:  # stats() read after the loop ended: the run's clock stopped then
            return
        if self._started is None:
            self._started = now
        elif self._since is not None:
            self._area += int(self._limit) * (now - self._since)
        self._since = now
