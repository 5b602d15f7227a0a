"""The faults the stand-in can inject, and the per-request dice that decide which one happens."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["reset", "hang", "error", "rate_limit", "malformed"]


@dataclass(frozen=True)
class Faults:
    """How badly the stand-in behaves. The default is a healthy, instant endpoint.

    Faults are drawn per request, so a retry of a failed request can succeed. The ``*_rate``
    fields are fractions of requests; they share one draw, so they must add up to at most 1
    and each then happens at exactly its own rate. ``GET /health`` is never faulted.
    """

    latency_ms: float = 0.0
    """Delay before every response (and before every fault), in milliseconds."""
    jitter_ms: float = 0.0
    """Extra delay drawn uniformly from [0, jitter_ms] per request, in milliseconds."""
    error_rate: float = 0.0
    """Fraction of requests answered 500 or 503 (half each) with an OpenAI error body."""
    rate_limit_rate: float = 0.0
    """Fraction of requests answered 429 with a ``Retry-After`` header."""
    retry_after_s: float = 1.0
    """Seconds a 429 asks the client to wait (``Retry-After``, and ``retry-after-ms``)."""
    reset_rate: float = 0.0
    """Fraction of requests whose connection is reset (TCP RST) without any response."""
    malformed_rate: float = 0.0
    """Fraction of requests answered 200 with a body that is not JSON (or SSE that is not)."""
    hang_rate: float = 0.0
    """Fraction of requests never answered: held open until the client gives up."""
    slow_stream_ms: float = 0.0
    """Delay between streamed chunks, in milliseconds."""
    judge_garbage_rate: float = 0.0
    """Fraction of deepeval judge prompts answered 200 with text holding no JSON (see ``_judge``).
    Decided by a hash of the prompt, not the dice: a retry of the same prompt gets the same text."""
    seed: int = 0
    """Seed of the fault dice; the same seed and request order give the same faults."""

    def __post_init__(self) -> None:
        for name in ("latency_ms", "jitter_ms", "retry_after_s", "slow_stream_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        for kind, rate in self._rates():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{kind}_rate must be between 0 and 1, got {rate}")
        if not 0.0 <= self.judge_garbage_rate <= 1.0:
            raise ValueError(f"judge_garbage_rate must be between 0 and 1, got {self.judge_garbage_rate}")
        total = sum(rate for _, rate in self._rates())
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {total:g}; they must add up to at most 1")

    def _rates(self) -> tuple[tuple[FaultKind, float], ...]:
        return (("reset", self.reset_rate), ("hang", self.hang_rate), ("error", self.error_rate),
                ("rate_limit", self.rate_limit_rate), ("malformed", self.malformed_rate))


@dataclass(frozen=True)
class Roll:
    """What the dice decided for one request."""

    delay_s: float
    fault: FaultKind | None
    error_status: int


class FaultDice:
    """Rolls each request's delay and fault; faults can be swapped from any thread at any time."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self.set(faults)

    @property
    def faults(self) -> Faults:
        return self._faults

    def set(self, faults: Faults) -> None:
        # Reseeded on every change so a test that flips faults sees the same sequence each run.
        with self._lock:
            self._faults, self._rng = faults, random.Random(faults.seed)

    def roll(self) -> Roll:
        with self._lock:
            faults, rng = self._faults, self._rng
            # Always three draws, so the fault sequence does not depend on which knobs are set.
            jitter, draw, status = rng.random(), rng.random(), rng.random()
        delay_s = (faults.latency_ms + jitter * faults.jitter_ms) / 1000
        fault: FaultKind | None = None
        for kind, rate in faults._rates():
            if draw < rate:
                fault = kind
                break
            draw -= rate
        return Roll(delay_s, fault, 500 if status < 0.5 else 503)
