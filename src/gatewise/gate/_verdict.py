"""Thresholds against the aggregated metrics (and their intervals) -> the ``Verdict``."""

from __future__ import annotations

from typing import Mapping, Sequence

from ..config import Threshold
from ..result import ThresholdResult, Verdict
from ..samples import Sample


def error_budget(max_errors: int) -> Threshold:
    """The rule every gate carries: rows that errored after retries fail it unless allowed."""
    return Threshold("errors", "count", "<=", float(max_errors), f"<= {max_errors}", None)


def decide(thresholds: Sequence[Threshold], metrics: Mapping[str, Mapping[str, float | None]],
           samples: Sequence[Sample], max_errors: int, *,
           intervals: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
           extra: Sequence[ThresholdResult] = ()) -> Verdict:
    """``extra``: results decided elsewhere (the baseline comparison) that count like thresholds."""
    rules = [error_budget(max_errors), *thresholds]
    # the aggregate's count also holds rows a judge could not score; samples alone know only failed calls
    counted = metrics.get("errors", {}).get("count")
    errors = int(counted) if counted is not None else sum(1 for s in samples if not s.ok)
    # with repeats, a row is sent k times: the verdict counts rows, each threshold its samples
    rows = len({s.row_id for s in samples}) if any(s.repeat for s in samples) else len(samples)
    results = []
    for rule in rules:
        value = metrics.get(rule.metric, {}).get(rule.statistic)
        ci = (intervals or {}).get(rule.metric, {}).get(rule.statistic)
        n = _count_for(rule.metric, len(samples), errors)
        results.append(ThresholdResult(rule, value, rule.holds_with(value, ci), n, ci))
    results.extend(extra)
    # no samples at all is never a pass
    passed = bool(samples) and all(r.passed for r in results)
    return Verdict(passed=passed, results=tuple(results), row_count=rows, error_count=errors)


def _count_for(metric: str, total: int, errors: int) -> int:
    return total - errors if metric == "latency_ms" else total
