"""Thresholds against the aggregated metrics -> the ``Verdict``."""

from __future__ import annotations

from typing import Mapping, Sequence

from ..config import Threshold
from ..result import ThresholdResult, Verdict
from ..samples import Sample


def error_budget(max_errors: int) -> Threshold:
    """The rule every gate carries: rows that errored after retries fail it unless allowed."""
    return Threshold("errors", "count", "<=", float(max_errors), f"<= {max_errors}", None)


def decide(thresholds: Sequence[Threshold], metrics: Mapping[str, Mapping[str, float | None]],
           samples: Sequence[Sample], max_errors: int) -> Verdict:
    rules = [error_budget(max_errors), *thresholds]
    errors = sum(1 for s in samples if not s.ok)
    results = []
    for rule in rules:
        value = metrics.get(rule.metric, {}).get(rule.statistic)
        n = _count_for(rule.metric, len(samples), errors)
        results.append(ThresholdResult(rule, value, rule.holds(value), n))
    # no samples at all is never a pass
    passed = bool(samples) and all(r.passed for r in results)
    return Verdict(passed=passed, results=tuple(results), row_count=len(samples), error_count=errors)


def _count_for(metric: str, total: int, errors: int) -> int:
    return total - errors if metric == "latency_ms" else total
