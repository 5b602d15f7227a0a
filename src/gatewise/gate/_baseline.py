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

from typing import Mapping, Sequence

from ..config import BaselineConfig, GateConfig, Threshold
from ..result import BaselineComparison, MetricComparison, RowChange, ThresholdResult
from ._intervals import bootstrap_mean_difference_distribution, percentile_interval
from ._observations import Observation

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


def row_values(items: Sequence[Observation]) -> dict[str, tuple[float, bool]]:
    """Row id -> (mean of its measured values over repeats, whether most of its repeats passed)."""
    values: dict[str, list[float]] = {}
    passes: dict[str, list[bool]] = {}
    for item in items:
        passes.setdefault(item.row_id, []).append(item.passed)
        if item.value is not None:
            values.setdefault(item.row_id, []).append(item.value)
    return {row: (sum(v) / len(v), sum(passes[row]) * 2 > len(passes[row])) for row, v in values.items()}


def compare_suite(metric: str, candidate: Sequence[Observation], baseline: Sequence[Observation], *,
                  paired: bool, settings: BaselineConfig, resamples: int, seed: int) -> MetricComparison:
    cand, base = row_values(candidate), row_values(baseline)
    if paired:
        shared = [row for row in cand if row in base]
        cand_values = [cand[row][0] for row in shared]
        base_values = [base[row][0] for row in shared]
    else:
        shared = []
        cand_values = [value for value, _ in cand.values()]
        base_values = [value for value, _ in base.values()]
    if not cand_values or not base_values:
        return MetricComparison(metric, "mean", _mean(base_values), _mean(cand_values), None, None,
                                len(shared) if paired else len(cand_values), 0, 0, ())
    delta = _mean(cand_values) - _mean(base_values)
    interval = None
    if min(len(cand_values), len(base_values)) >= 2:
        draws = bootstrap_mean_difference_distribution(cand_values, base_values, paired=paired,
                                                       resamples=resamples, seed=seed)
        interval = percentile_interval(draws, settings.confidence)
    worse = sorted((row for row in shared if cand[row][0] < base[row][0]),
                   key=lambda row: cand[row][0] - base[row][0])
    better = sum(1 for row in shared if cand[row][0] > base[row][0])
    listed = tuple(RowChange(row, base[row][0], cand[row][0], base[row][1], cand[row][1])
                   for row in worse[:settings.rows_listed])
    return MetricComparison(metric, "mean", _mean(base_values), _mean(cand_values), delta, interval,
                            len(shared) if paired else len(cand_values), len(worse), better, listed)


def compare_with_baseline(config: GateConfig, candidate: Mapping[str, Sequence[Observation]],
                          baseline: Mapping[str, Sequence[Observation]], *, paired: bool, source: str, kind: str,
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


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
