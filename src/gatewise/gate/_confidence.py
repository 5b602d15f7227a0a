"""Every statistic that has a confidence interval gets one: ``metric -> statistic -> (lo, hi)``.

Means: percentile bootstrap over rows (a row's repeats are resampled together). Pass rates and
the error rate: Wilson score interval with one sample per row, the row bootstrap with repeats
(repeats of a row are not independent trials). Percentiles: order-statistic interval. min, max
and counts have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ._aggregate import PERCENTILES
from ._intervals import Interval, bootstrap_cluster_means, quantile_interval, wilson, work_ahead
from ._observations import Observation, Observations

STATISTICS_WITH_INTERVALS = frozenset({"mean", "pass_rate", "rate", *PERCENTILES})


def metric_intervals(observed: Mapping[str, Observations | Sequence[Observation]], *, level: float = 0.95,
                     resamples: int = 2000, seed: int = 0) -> dict[str, dict[str, Interval]]:
    found: dict[str, dict[str, Interval | None]] = {}
    # the bootstraps of every metric, drawn together at the end: metrics over the same rows share draws
    clusters: list[tuple[str, str, tuple]] = []
    for name, items in observed.items():
        found[name] = stats = {}
        columns = _Columns.of(Observations.of(items))
        if name != "errors":
            stats["mean"] = None
            clusters.append((name, "mean", _row_sums(columns.rows[columns.measured], columns.values[columns.measured])))
            # sorted once: each percentile's own sort of an already sorted list is then linear
            values = sorted(columns.values[columns.measured].tolist())
            for stat, q in PERCENTILES.items():
                stats[stat] = quantile_interval(values, q, level)
        if name != "latency_ms":
            stat, success = ("rate", ~columns.passed) if name == "errors" else ("pass_rate", columns.passed)
            if columns.repeated:  # repeats of a row are not independent trials: resample rows
                stats[stat] = None
                clusters.append((name, stat, _row_sums(columns.rows, success.astype(float))))
            else:
                stats[stat] = wilson(int(success.sum()), len(success), level)
    drawn = bootstrap_cluster_means([sums for _, _, sums in clusters], level=level, resamples=resamples, seed=seed)
    for (name, stat, _), interval in zip(clusters, drawn):
        found[name][stat] = interval
    return {name: {stat: interval for stat, interval in stats.items() if interval is not None}
            for name, stats in found.items()}


def prepare_intervals(rows: int, *, level: float = 0.95, resamples: int = 2000, seed: int = 0) -> None:
    """What ``metric_intervals`` over ``rows`` rows will need whatever the values are, done now and
    kept for it (see ``work_ahead``): a run calls it while it waits on its endpoint."""
    work_ahead(rows, level=level, resamples=resamples, seed=seed, percentiles=tuple(PERCENTILES.values()))


@dataclass(frozen=True)
class _Columns:
    """One metric's observations as arrays: the row each belongs to (a number; the draws put a
    metric's rows back in their first-measured order), its value (NaN where unmeasured), whether it
    was measured, whether it passed; and whether any of them is a repeat (then pass rates are
    bootstrapped over rows, not Wilson's)."""

    rows: Any
    values: Any
    measured: Any
    passed: Any
    repeated: bool

    @classmethod
    def of(cls, items: Observations) -> "_Columns":
        return cls(items.rows(), items.value_array(), items.measured(), items.passed_array(), items.repeated)


def _row_sums(rows, values):
    """Each row's sum and count of ``values``, rows in the order their first value came (the order
    the seeded draws index, so the interval never moves)."""
    import numpy as np

    if not len(rows):
        return [], []
    numbered, first = np.unique(rows, return_index=True)
    order = numbered[np.argsort(first, kind="stable")]
    # bincount adds each row's values one by one in their order, as a running sum would
    return np.bincount(rows, weights=values)[order], np.bincount(rows)[order].astype(float)
