"""Candidate vs baseline on the same rows: per-suite mean difference, its paired bootstrap interval,
the rows that got worse, and the regression rule that turns it into verdict entries.

The rule (``baseline.rule``), with d the candidate's mean minus the baseline's and [lo, hi] its
interval at ``baseline.confidence``:

- ``significant`` (default): fails when d < -max_regression *and* hi < 0: the drop is bigger than
  the tolerance and too big to be run-to-run noise.
- ``confident``: fails only when hi < -max_regression (sure the drop exceeds the tolerance).
- ``point``: fails when d < -max_regression, however noisy.

No measured difference (no shared rows) always fails: an unmeasured regression is never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any, Mapping, Sequence

from ..config import BaselineConfig, GateConfig, Threshold
from ..result import BaselineComparison, MetricComparison, RowChange, ThresholdResult
from ._intervals import bootstrap_mean_difference_distribution, percentile_interval
from ._observations import Observation, Observations

STATISTIC = "mean vs baseline"
# suites whose row value is a share or score in [0, 1], higher is better, so a drop is a regression.
# A regression suite's row value is its error (lower is better, in the target's units) and a drift
# suite has no rows: their thresholds gate them, a mean difference would not mean "worse".
COMPARED_KINDS = ("evidently", "judge", "classification", "tool_calls")


def regression_blocks(delta: float | None, interval: tuple[float, float] | None, max_regression: float,
                      rule: str) -> bool:
    """True when the difference counts as a regression that fails the gate."""
    if delta is None:
        return True
    if rule == "point":
        return delta < -max_regression
    if interval is None:
        return True  # nothing to be confident with: fail closed
    if rule == "confident":
        return interval[1] < -max_regression
    return delta < -max_regression and interval[1] < 0.0


@dataclass(frozen=True)
class RowMeans:
    """Each measured row of one side, in the order its first value came: the mean of its measured
    values over repeats (numpy), and whether most of its repeats passed (numpy bools)."""

    row_ids: tuple[str, ...]
    means: Any
    passed: Any

    @classmethod
    def of(cls, items: Observations) -> "RowMeans":
        import numpy as np

        rows, measured = items.rows(), items.measured()
        measured_rows = rows[measured]
        numbered, first = np.unique(measured_rows, return_index=True)
        order = numbered[np.argsort(first, kind="stable")]  # first-measured order
        size = len(items)
        # bincount adds a row's values one by one in their order, as Python's sum over them does
        sums = np.bincount(measured_rows, weights=items.value_array()[measured], minlength=size)[order]
        counts = np.bincount(measured_rows, minlength=size)[order]
        passes = np.bincount(rows[items.passed_array()], minlength=size)[order]
        asked = np.bincount(rows, minlength=size)[order]
        return cls(tuple(items.row_ids[i] for i in order.tolist()), sums / counts, passes * 2 > asked)


def row_values(items: Observations | Sequence[Observation]) -> dict[str, tuple[float, bool]]:
    """Row id -> (mean of its measured values over repeats, whether most of its repeats passed)."""
    means = RowMeans.of(Observations.of(items))
    return dict(zip(means.row_ids, zip(means.means.tolist(), means.passed.tolist())))


def compare_suite(metric: str, candidate: Observations | Sequence[Observation],
                  baseline: Observations | Sequence[Observation], *, paired: bool, settings: BaselineConfig,
                  resamples: int, seed: int) -> MetricComparison:
    import numpy as np

    cand, base = RowMeans.of(Observations.of(candidate)), RowMeans.of(Observations.of(baseline))
    if paired:
        # each candidate row's place among the baseline's rows (-1: the baseline did not measure it)
        places = dict(zip(base.row_ids, range(len(base.row_ids))))
        at = np.fromiter(map(places.get, cand.row_ids, repeat(-1)), dtype=np.intp, count=len(cand.row_ids))
        kept = at >= 0
        shared = list(compress(cand.row_ids, kept.tolist()))
        cand_values, base_values = cand.means[kept], base.means[at[kept]]
        cand_passed, base_passed = cand.passed[kept], base.passed[at[kept]]
    else:
        shared = []
        cand_values, base_values = cand.means, base.means
    if not len(cand_values) or not len(base_values):
        return MetricComparison(metric, "mean", _mean(base_values), _mean(cand_values), None, None,
                                len(shared) if paired else len(cand_values), 0, 0, ())
    delta = _mean(cand_values) - _mean(base_values)
    interval = None
    if min(len(cand_values), len(base_values)) >= 2:
        draws = bootstrap_mean_difference_distribution(cand_values, base_values, paired=paired,
                                                       resamples=resamples, seed=seed)
        interval = percentile_interval(draws, settings.confidence)
    if not paired:
        return MetricComparison(metric, "mean", _mean(base_values), _mean(cand_values), delta, interval,
                                len(cand_values), 0, 0, ())
    change = cand_values - base_values
    worse = np.flatnonzero(cand_values < base_values)
    worse = worse[np.argsort(change[worse], kind="stable")]  # the largest drops first (a sort: N log N)
    better = int((cand_values > base_values).sum())
    listed = tuple(RowChange(shared[i], float(base_values[i]), float(cand_values[i]), bool(base_passed[i]),
                             bool(cand_passed[i])) for i in worse[:settings.rows_listed].tolist())
    return MetricComparison(metric, "mean", _mean(base_values), _mean(cand_values), delta, interval,
                            len(shared), len(worse), better, listed)


def compare_with_baseline(config: GateConfig, candidate: Mapping[str, Observations | Sequence[Observation]],
                          baseline: Mapping[str, Observations | Sequence[Observation]], *, paired: bool, source: str, kind: str,
                          dataset_sha256: str | None, note: str | None = None) -> BaselineComparison:
    settings = config.baseline
    assert settings is not None
    compared = tuple(
        compare_suite(suite.name, candidate.get(suite.name, ()), baseline.get(suite.name, ()), paired=paired,
                      settings=settings, resamples=config.confidence.resamples, seed=config.confidence.seed)
        for suite in config.suites if suite.kind in COMPARED_KINDS
    )
    return BaselineComparison(source, kind, paired, dataset_sha256, settings.max_regression, settings.confidence,
                              settings.rule, compared, note)


def regression_results(comparison: BaselineComparison, line: int | None) -> tuple[ThresholdResult, ...]:
    """One verdict entry per compared suite: ``suite.mean vs baseline``, value = the difference."""
    out = []
    for item in comparison.metrics:
        limit = -comparison.max_regression
        rule = Threshold(item.metric, STATISTIC, ">=", limit, f">= {limit:g}", line, comparison.rule)
        blocked = regression_blocks(item.delta, item.interval, comparison.max_regression, comparison.rule)
        out.append(ThresholdResult(rule, item.delta, not blocked, item.n, item.interval))
    return tuple(out)


def _mean(values) -> float | None:
    # Python's sum over the list: the same additions, in the same order, as the per-row code made
    return sum(values.tolist()) / len(values) if len(values) else None
