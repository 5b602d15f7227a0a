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
from ._intervals import Interval, bootstrap_cluster_mean, quantile_interval, wilson
from ._observations import Observation, Observations

STATISTICS_WITH_INTERVALS = frozenset({"mean", "pass_rate", "rate", *PERCENTILES})


def metric_intervals(observed: Mapping[str, Observations | Sequence[Observation]], *, level: float = 0.95,
                     resamples: int = 2000, seed: int = 0) -> dict[str, dict[str, Interval]]:
    out: dict[str, dict[str, Interval]] = {}
    for name, items in observed.items():
        found: dict[str, Interval | None] = {}
        columns = _Columns.of(Observations.of(items))
        if name != "errors":
            found["mean"] = _clustered_mean(columns.rows[columns.measured], columns.values[columns.measured],
                                            level, resamples, seed)
            # sorted once: each percentile's own sort of an already sorted list is then linear
            values = sorted(columns.values[columns.measured].tolist())
            for stat, q in PERCENTILES.items():
                found[stat] = quantile_interval(values, q, level)
        if name == "errors":
            found["rate"] = _proportion(columns, ~columns.passed, level, resamples, seed)
        elif name != "latency_ms":
            found["pass_rate"] = _proportion(columns, columns.passed, level, resamples, seed)
        out[name] = {stat: interval for stat, interval in found.items() if interval is not None}
    return out


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


def _clustered_mean(rows, values, level, resamples, seed) -> Interval | None:
    """Bootstrap of the mean over rows: each row's sum and count of ``values``, rows in the order
    their first value came (the order the seeded draws index, so the interval never moves)."""
    import numpy as np

    if not len(rows):
        return bootstrap_cluster_mean([], [], level=level, resamples=resamples, seed=seed)
    numbered, first = np.unique(rows, return_index=True)
    order = numbered[np.argsort(first, kind="stable")]
    # bincount adds each row's values one by one in their order, as a running sum would
    sums = np.bincount(rows, weights=values)[order]
    counts = np.bincount(rows)[order].astype(float)
    return bootstrap_cluster_mean(sums, counts, level=level, resamples=resamples, seed=seed)


def _proportion(columns: _Columns, success, level, resamples, seed) -> Interval | None:
    if columns.repeated:
        return _clustered_mean(columns.rows, success.astype(float), level, resamples, seed)
    return wilson(int(success.sum()), len(success), level)
