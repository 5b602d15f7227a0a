"""Per-row observations -> every statistic of every metric (``metric -> statistic -> value``)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from ..config import GateConfig
from ..samples import Sample
from ..scores import Measure, Score
from ._observations import Observation, observations

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


def _outcomes(items: Sequence[Observation]) -> dict[str, float | None]:
    total = len(items)
    passed_count = sum(1 for o in items if o.passed)
    stats = describe([o.value for o in items if o.value is not None])
    stats.update({
        # errored rows count as failed: a row nobody could score never helps a gate pass
        "pass_rate": passed_count / total if total else None,
        "fail_count": float(total - passed_count),
        "error_count": float(sum(1 for o in items if o.errored)),
    })
    return stats


def aggregate_observations(observed: Mapping[str, Sequence[Observation]]) -> dict[str, dict[str, float | None]]:
    metrics: dict[str, dict[str, float | None]] = {}
    for name, items in observed.items():
        if name == "latency_ms":
            metrics[name] = describe([o.value for o in items if o.value is not None])
        elif name == "errors":
            errors = sum(1 for o in items if not o.passed)
            metrics[name] = {"count": float(errors), "rate": errors / len(items) if items else None}
        else:
            metrics[name] = _outcomes(items)
    return metrics


def with_dataset_metrics(config: GateConfig, metrics: Mapping[str, Mapping[str, float | None]],
                         observed: Mapping[str, Sequence[Observation]],
                         measures: Sequence[Measure]) -> dict[str, dict[str, float | None]]:
    """``metrics`` with the statistics dataset-level suites computed (accuracy, mae, drift...).

    Their per-row observations exist for pairing with a baseline; as statistics they show only
    the rows that could not be scored, next to what Evidently measured over the whole dataset."""
    out = {name: dict(stats) for name, stats in metrics.items()}
    for suite in config.suites:
        if suite.kind in ("classification", "regression"):
            rows = observed.get(suite.name, ())
            out[suite.name] = {"error_count": float(sum(1 for o in rows if o.errored))}
    for measure in measures:
        out.setdefault(measure.metric, {})[measure.statistic] = measure.value
    return out


def aggregate(config: GateConfig, samples: Sequence[Sample], scores: Sequence[Score],
              measures: Sequence[Measure] = ()) -> dict[str, dict[str, float | None]]:
    observed = observations(config, samples, scores)
    return with_dataset_metrics(config, aggregate_observations(observed), observed, measures)
