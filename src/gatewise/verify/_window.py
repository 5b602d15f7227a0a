"""What a metrics source observed of one server over the window: request counts and histograms."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Histogram:
    """A histogram's increase over the window: cumulative counts by upper bound, +Inf last."""

    buckets: tuple[tuple[float, float], ...]

    @property
    def count(self) -> float:
        return self.buckets[-1][1] if self.buckets else 0.0

    def quantile(self, q: float) -> float | None:
        """Prometheus' ``histogram_quantile``: linear inside the bucket the rank falls in."""
        return quantile_of(self.buckets, q)


def quantile_of(buckets, q: float) -> float | None:
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # as Prometheus: the highest finite bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


@dataclass(frozen=True)
class SideMetrics:
    """One server (canary or champion) over the window."""

    requests: float  # completion requests answered, any status
    errors: float  # of them answered 5xx
    histograms: Mapping[str, Histogram] = field(default_factory=dict)  # metric name -> increase

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests > 0 else None


@dataclass(frozen=True)
class Observed:
    """Both sides over the same window; ``custom`` holds each custom query's value per side."""

    canary: SideMetrics
    champion: SideMetrics
    window: str  # how long, in words
    source: str  # where from, without credentials
    custom: Mapping[str, tuple[float, float]] = field(default_factory=dict)
