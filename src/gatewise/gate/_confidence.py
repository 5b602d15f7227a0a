"""Every statistic that has a confidence interval gets one: ``metric -> statistic -> (lo, hi)``.

Means: percentile bootstrap over rows (a row's repeats are resampled together). Pass rates and
the error rate: Wilson score interval with one sample per row, the row bootstrap with repeats
(repeats of a row are not independent trials). Percentiles: order-statistic interval. min, max
and counts have none.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from ._aggregate import PERCENTILES
from ._intervals import Interval, bootstrap_cluster_mean, quantile_interval, wilson
from ._observations import Observation

STATISTICS_WITH_INTERVALS = frozenset({"mean", "pass_rate", "rate", *PERCENTILES})


def metric_intervals(observed: Mapping[str, Sequence[Observation]], *, level: float = 0.95,
                     resamples: int = 2000, seed: int = 0) -> dict[str, dict[str, Interval]]:
    out: dict[str, dict[str, Interval]] = {}
    for name, items in observed.items():
        found: dict[str, Interval | None] = {}
        values = [o.value for o in items if o.value is not None]
        if name != "errors":
            found["mean"] = _clustered_mean(items, lambda o: o.value, level, resamples, seed)
            for stat, q in PERCENTILES.items():
                found[stat] = quantile_interval(values, q, level)
        if name == "errors":
            found["rate"] = _proportion(items, lambda o: not o.passed, level, resamples, seed)
        elif name != "latency_ms":
            found["pass_rate"] = _proportion(items, lambda o: o.passed, level, resamples, seed)
        out[name] = {stat: interval for stat, interval in found.items() if interval is not None}
    return out


def _clustered_mean(items, value_of, level, resamples, seed) -> Interval | None:
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for item in items:
        value = value_of(item)
        if value is None:
            continue
        sums[item.row_id] = sums.get(item.row_id, 0.0) + float(value)
        counts[item.row_id] = counts.get(item.row_id, 0.0) + 1.0
    return bootstrap_cluster_mean(list(sums.values()), list(counts.values()), level=level,
                                  resamples=resamples, seed=seed)


def _proportion(items, is_success, level, resamples, seed) -> Interval | None:
    if any(item.repeat for item in items):
        return _clustered_mean(items, lambda o: 1.0 if is_success(o) else 0.0, level, resamples, seed)
    return wilson(sum(1 for item in items if is_success(item)), len(items), level)
