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
from ._intervals import bootstrap_mean_difference_distribution, paired_difference_draws, percentile_interval
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
        return cls(tuple(map(items.row_ids.__getitem__, order.tolist())), sums / counts, passes * 2 > asked)


def row_values(items: Observations | Sequence[Observation]) -> dict[str, tuple[float, bool]]:
    """Row id -> (mean of its measured values over repeats, whether most of its repeats passed)."""
    means = RowMeans.of(Observations.of(items))
    return dict(zip(means.row_ids, zip(means.means.tolist(), means.passed.tolist())))


@dataclass(frozen=True)
class _Pairing:
    """One suite's two sides, ready to compare: paired, the shared rows (in the candidate's order)
    with each side's row means and majorities; unpaired, each side's row means."""

    metric: str
    paired: bool
    shared: list[str]
    candidate: Any
    baseline: Any
    candidate_passed: Any = None
    baseline_passed: Any = None

    @property
    def drawn_together(self) -> bool:
        """Whether its interval comes from paired draws (then several suites may share them)."""
        return self.paired and len(self.candidate) >= 2


def _pairing(metric: str, candidate: Observations, baseline: Observations, paired: bool) -> _Pairing:
    import numpy as np

    cand, base = RowMeans.of(candidate), RowMeans.of(baseline)
    if not paired:
        return _Pairing(metric, False, [], cand.means, base.means)
    # each candidate row's place among the baseline's rows (-1: the baseline did not measure it)
    places = dict(zip(base.row_ids, range(len(base.row_ids))))
    at = np.fromiter(map(places.get, cand.row_ids, repeat(-1)), dtype=np.intp, count=len(cand.row_ids))
    kept = at >= 0
    return _Pairing(metric, True, list(compress(cand.row_ids, kept.tolist())), cand.means[kept],
                    base.means[at[kept]], cand.passed[kept], base.passed[at[kept]])


def _compared(pair: _Pairing, settings: BaselineConfig, resamples: int, seed: int, draws=None) -> MetricComparison:
    """The comparison of one suite; ``draws``: its paired bootstrap draws when already drawn."""
    import numpy as np

    cand_values, base_values = pair.candidate, pair.baseline
    n = len(pair.shared) if pair.paired else len(cand_values)
    if not len(cand_values) or not len(base_values):
        return MetricComparison(pair.metric, "mean", _mean(base_values), _mean(cand_values), None, None, n, 0, 0, ())
    delta = _mean(cand_values) - _mean(base_values)
    interval = None
    if min(len(cand_values), len(base_values)) >= 2:
        if draws is None:
            draws = bootstrap_mean_difference_distribution(cand_values, base_values, paired=pair.paired,
                                                           resamples=resamples, seed=seed)
        interval = percentile_interval(draws, settings.confidence)
    if not pair.paired:
        return MetricComparison(pair.metric, "mean", _mean(base_values), _mean(cand_values), delta, interval, n,
                                0, 0, ())
    change = cand_values - base_values
    worse = np.flatnonzero(cand_values < base_values)
    worse = worse[np.argsort(change[worse], kind="stable")]  # the largest drops first (a sort: N log N)
    better = int((cand_values > base_values).sum())
    listed = tuple(RowChange(pair.shared[i], float(base_values[i]), float(cand_values[i]),
                             bool(pair.baseline_passed[i]), bool(pair.candidate_passed[i]))
                   for i in worse[:settings.rows_listed].tolist())
    return MetricComparison(pair.metric, "mean", _mean(base_values), _mean(cand_values), delta, interval, n,
                            len(worse), better, listed)


def compare_suite(metric: str, candidate: Observations | Sequence[Observation],
                  baseline: Observations | Sequence[Observation], *, paired: bool, settings: BaselineConfig,
                  resamples: int, seed: int) -> MetricComparison:
    pair = _pairing(metric, Observations.of(candidate), Observations.of(baseline), paired)
    return _compared(pair, settings, resamples, seed)


def compare_with_baseline(config: GateConfig, candidate: Mapping[str, Observations | Sequence[Observation]],
                          baseline: Mapping[str, Observations | Sequence[Observation]], *, paired: bool, source: str,
                          kind: str, dataset_sha256: str | None, note: str | None = None) -> BaselineComparison:
    settings = config.baseline
    assert settings is not None
    resamples, seed = config.confidence.resamples, config.confidence.seed
    pairs = [_pairing(suite.name, Observations.of(candidate.get(suite.name, ())),
                      Observations.of(baseline.get(suite.name, ())), paired)
             for suite in config.suites if suite.kind in COMPARED_KINDS]
    # suites paired over the same number of rows draw the same rows: draw them once for all
    draws: dict[int, Any] = {}
    by_rows: dict[int, list[int]] = {}
    for i, pair in enumerate(pairs):
        if pair.drawn_together:
            by_rows.setdefault(len(pair.candidate), []).append(i)
    for members in by_rows.values():
        drawn = paired_difference_draws([pairs[i].candidate - pairs[i].baseline for i in members],
                                        resamples=resamples, seed=seed)
        draws.update(zip(members, drawn))
    compared = tuple(_compared(pair, settings, resamples, seed, draws.get(i)) for i, pair in enumerate(pairs))
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
