"""Every statistic that has a confidence interval gets one: ``metric -> statistic -> (lo, hi)``.

Means: percentile bootstrap over rows (a row's repeats are resampled together). Pass rates and
the error rate: Wilson score interval with one sample per row, the row bootstrap with repeats
(repeats of a row are not independent trials). Percentiles: order-statistic interval. min, max
and counts have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter, is_not
from typing import Any, Mapping, Sequence

from ._aggregate import PERCENTILES
from ._intervals import Interval, bootstrap_cluster_mean, quantile_interval, wilson, work_ahead
from ._observations import Observation

STATISTICS_WITH_INTERVALS = frozenset({"mean", "pass_rate", "rate", *PERCENTILES})


def metric_intervals(observed: Mapping[str, Sequence[Observation]], *, level: float = 0.95,
                     resamples: int = 2000, seed: int = 0) -> dict[str, dict[str, Interval]]:
    out: dict[str, dict[str, Interval]] = {}
    # one number per row id for every metric (any numbering will do: a metric's rows are put back
    # in its own first-seen order before the draws), built in C: dict.fromkeys keeps first-seen order
    row_ids = dict.fromkeys(chain.from_iterable(map(attrgetter("row_id"), items) for items in observed.values()))
    numbers = dict(zip(row_ids, range(len(row_ids))))
    for name, items in observed.items():
        found: dict[str, Interval | None] = {}
        columns = _Columns.of(items, numbers)
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


def prepare_intervals(rows: int, *, level: float = 0.95, resamples: int = 2000, seed: int = 0) -> None:
    """What ``metric_intervals`` over ``rows`` rows will need whatever the values are, done now and
    kept for it (see ``work_ahead``): a run calls it while it waits on its endpoint."""
    work_ahead(rows, level=level, resamples=resamples, seed=seed, percentiles=tuple(PERCENTILES.values()))


@dataclass(frozen=True)
class _Columns:
    """One metric's observations as arrays: the row each belongs to (its number in ``numbers``),
    its value (NaN where unmeasured), whether it was measured, whether it passed; and whether any
    of them is a repeat (then pass rates are bootstrapped over rows, not Wilson's)."""

    rows: Any
    values: Any
    measured: Any
    passed: Any
    repeated: bool

    @classmethod
    def of(cls, items: Sequence[Observation], numbers: Mapping[str, int]) -> "_Columns":
        import numpy as np

        # map over attrgetter: the loops run in C, not a Python step per observation
        count = len(items)
        rows = np.fromiter(map(numbers.__getitem__, map(attrgetter("row_id"), items)), dtype=np.intp, count=count)
        raw = list(map(attrgetter("value"), items))
        values = np.array(raw, dtype=float) if count else np.zeros(0)  # None -> NaN, masked by `measured`
        measured = np.fromiter(map(is_not, raw, repeat(None)), dtype=bool, count=count)
        passed = np.fromiter(map(attrgetter("passed"), items), dtype=bool, count=count)
        return cls(rows, values, measured, passed, any(map(attrgetter("repeat"), items)))


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
