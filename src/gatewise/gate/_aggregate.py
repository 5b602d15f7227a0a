"""Per-row observations -> every statistic of every metric (``metric -> statistic -> value``)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from ..config import GateConfig
from ..samples import Sample
from ..scores import Measure, Score
from ._observations import Observation, Observations, observations

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method)."""
    return _percentile_of_sorted(sorted(values), q) if values else None


def _percentile_of_sorted(ordered: Sequence[float], q: float) -> float:
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def describe(values: Sequence[float]) -> dict[str, float | None]:
    # sorted once (N log N, in C): every percentile, min and max read the one ordering
    ordered = sorted(values)
    stats: dict[str, float | None] = {
        "mean": sum(values) / len(values) if values else None,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }
    stats.update({name: _percentile_of_sorted(ordered, q) if values else None for name, q in PERCENTILES.items()})
    return stats


def _outcomes(items: Observations) -> dict[str, float | None]:
    total = len(items)
    passed_count = items.passed_count()
    stats = describe(items.measured_values())
    stats.update({
        # errored rows count as failed: a row nobody could score never helps a gate pass
        "pass_rate": passed_count / total if total else None,
        "fail_count": float(total - passed_count),
        "error_count": float(items.error_count()),
    })
    return stats


def aggregate_observations(observed: Mapping[str, Observations | Sequence[Observation]]
                           ) -> dict[str, dict[str, float | None]]:
    metrics: dict[str, dict[str, float | None]] = {}
    for name, given in observed.items():
        items = Observations.of(given)
        if name == "latency_ms":
            metrics[name] = describe(items.measured_values())
        elif name == "errors":
            errors = len(items) - items.passed_count()
            metrics[name] = {"count": float(errors), "rate": errors / len(items) if len(items) else None}
        else:
            metrics[name] = _outcomes(items)
    return metrics


def with_dataset_metrics(config: GateConfig, metrics: Mapping[str, Mapping[str, float | None]],
                         observed: Mapping[str, Observations | Sequence[Observation]],
                         measures: Sequence[Measure]) -> dict[str, dict[str, float | None]]:
    """``metrics`` with the statistics dataset-level suites computed (accuracy, mae, drift...).

    Their per-row observations exist for pairing with a baseline; as statistics they show only
    the rows that could not be scored, next to what Evidently measured over the whole dataset."""
    out = {name: dict(stats) for name, stats in metrics.items()}
    for suite in config.suites:
        if suite.kind in ("classification", "regression"):
            rows = Observations.of(observed.get(suite.name, ()))
            out[suite.name] = {"error_count": float(rows.error_count())}
    for measure in measures:
        out.setdefault(measure.metric, {})[measure.statistic] = measure.value
    return out


def aggregate(config: GateConfig, samples: Sequence[Sample], scores: Sequence[Score],
              measures: Sequence[Measure] = ()) -> dict[str, dict[str, float | None]]:
    observed = observations(config, samples, scores)
    return with_dataset_metrics(config, aggregate_observations(observed), observed, measures)
