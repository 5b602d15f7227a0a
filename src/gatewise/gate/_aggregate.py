"""Per-row scores and samples -> every statistic of every metric (``metric -> statistic -> value``)."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from ..config import GateConfig
from ..samples import Sample
from ..scores import Measure, Score

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def describe(values: Sequence[float]) -> dict[str, float | None]:
    stats: dict[str, float | None] = {
        "mean": sum(values) / len(values) if values else None,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }
    stats.update({name: percentile(values, q) for name, q in PERCENTILES.items()})
    return stats


def _outcomes(passed: Iterable[bool], values: Sequence[float], errors: int, total: int) -> dict[str, float | None]:
    passed_count = sum(1 for p in passed if p)
    stats = describe(values)
    stats.update({
        # errored rows count as failed: a row nobody could score never helps a gate pass
        "pass_rate": passed_count / total if total else None,
        "fail_count": float(total - passed_count),
        "error_count": float(errors),
    })
    return stats


def aggregate(config: GateConfig, samples: Sequence[Sample], scores: Sequence[Score],
              measures: Sequence[Measure] = ()) -> dict[str, dict[str, float | None]]:
    metrics: dict[str, dict[str, float | None]] = {}
    by_metric: dict[str, list[Score]] = {}
    for score in scores:
        by_metric.setdefault(score.metric, []).append(score)

    for suite in config.suites:
        if suite.kind != "evidently":
            continue
        per_row: dict[tuple[str, int], list[Score]] = {}
        for check in suite.checks:
            name = f"{suite.name}.{check.label}"
            checked = by_metric.get(name, [])
            metrics[name] = _outcomes(
                (s.passed for s in checked),
                [s.value for s in checked if s.value is not None and s.error is None],
                sum(1 for s in checked if s.error is not None),
                len(checked),
            )
            for s in checked:
                per_row.setdefault((s.row_id, s.repeat), []).append(s)
        # a suite's row value is the share of its checks that passed; the row passes if all did
        rows = list(per_row.values())
        metrics[suite.name] = _outcomes(
            (all(s.passed for s in row) for row in rows),
            [sum(s.passed for s in row) / len(row) for row in rows if all(s.error is None for s in row)],
            sum(1 for row in rows if any(s.error is not None for s in row)),
            len(rows),
        )

    metrics.update(_dataset_metrics(config, measures, by_metric))
    latencies = [s.latency_ms for s in samples if s.ok and s.latency_ms is not None]
    metrics["latency_ms"] = {k: v for k, v in describe(latencies).items()}
    errors = sum(1 for s in samples if not s.ok)
    metrics["errors"] = {"count": float(errors), "rate": errors / len(samples) if samples else None}
    return metrics


def _dataset_metrics(config: GateConfig, measures: Sequence[Measure],
                     by_metric: dict[str, list[Score]]) -> dict[str, dict[str, float | None]]:
    """The statistics dataset-level suites computed, plus the rows each could not score."""
    metrics: dict[str, dict[str, float | None]] = {}
    for suite in config.suites:
        if suite.kind in ("classification", "regression"):
            rows = by_metric.get(suite.name, [])
            metrics[suite.name] = {"error_count": float(sum(1 for s in rows if s.error is not None))}
    for measure in measures:
        metrics.setdefault(measure.metric, {})[measure.statistic] = measure.value
    return metrics
