"""Confidence intervals, threshold modes, repeat agreement and the regression rule, checked
against values computed here, independently, with scipy and numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from gatewise.config import BaselineConfig, Threshold
from gatewise.gate import (Observation, bootstrap_cluster_mean, compare_suite, bootstrap_mean, bootstrap_mean_difference_distribution,
                           metric_intervals, percentile_interval, quantile_interval, regression_blocks,
                           repeat_agreement, wilson)


def wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# -- pass rates: Wilson -----------------------------------------------------------------------------

@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (57, 62), (812, 1000), (1, 1)])
def test_wilson_matches_scipy_and_the_formula(k, n):
    low, high = wilson(k, n, 0.95)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert (low, high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert (low, high) == pytest.approx(wilson_by_hand(k, n), abs=1e-12)


def test_wilson_honours_the_level():
    ci = stats.binomtest(40, 50).proportion_ci(confidence_level=0.9, method="wilson")
    assert wilson(40, 50, 0.9) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert wilson(0, 0) is None


# -- means: percentile bootstrap --------------------------------------------------------------------

def test_bootstrap_mean_agrees_with_scipy_bootstrap_and_the_normal_interval():
    values = np.random.default_rng(7).normal(10.0, 3.0, size=400)
    low, high = bootstrap_mean(values.tolist(), level=0.95, resamples=4000, seed=1)
    ref = stats.bootstrap((values,), np.mean, confidence_level=0.95, n_resamples=4000, method="percentile",
                          random_state=np.random.default_rng(2)).confidence_interval
    se = values.std(ddof=1) / math.sqrt(len(values))
    # different random streams: they agree to Monte Carlo error, a small fraction of the SE
    assert low == pytest.approx(ref.low, abs=0.12 * se)
    assert high == pytest.approx(ref.high, abs=0.12 * se)
    assert low == pytest.approx(values.mean() - 1.96 * se, abs=0.15 * se)
    assert high == pytest.approx(values.mean() + 1.96 * se, abs=0.15 * se)


def test_bootstrap_is_reproducible_with_a_seed_and_moves_with_another():
    values = np.random.default_rng(3).random(300).tolist()
    assert bootstrap_mean(values, seed=5) == bootstrap_mean(values, seed=5)
    assert bootstrap_mean(values, seed=5) != bootstrap_mean(values, seed=6)


def test_cluster_bootstrap_resamples_rows_not_samples():
    rng = np.random.default_rng(11)
    row_value = rng.random(200)
    repeats = 3
    sums = row_value * repeats  # repeats of a row agree perfectly: 3 copies are not 3x the evidence
    counts = np.full(200, float(repeats))
    low, high = bootstrap_cluster_mean(sums.tolist(), counts.tolist(), resamples=4000, seed=0)
    ref = stats.bootstrap((sums, counts), lambda s, c: s.sum() / c.sum(), paired=True, vectorized=False,
                          n_resamples=4000, method="percentile", random_state=np.random.default_rng(1)
                          ).confidence_interval
    se_rows = row_value.std(ddof=1) / math.sqrt(200)
    assert low == pytest.approx(ref.low, abs=0.12 * se_rows)
    assert high == pytest.approx(ref.high, abs=0.12 * se_rows)
    # a bootstrap over the 600 samples would be about sqrt(3) times too narrow
    assert (high - low) == pytest.approx(2 * 1.96 * se_rows, rel=0.1)


@pytest.mark.parametrize("values, counts", [
    ([0.0, 1.0] * 400, [1.0] * 800),                      # pass/fail, one answer a row
    ([0.0, 2.0, 3.0, 1.0] * 150, [3.0, 3.0, 3.0, 1.0] * 150),  # passes out of k repeats, uneven
    ([127.0, -128.0, 5.0] * 200, [1.0] * 600),            # the ends of int8
    ([128.0, -300.0, 32767.0] * 200, [1.0] * 600),        # past int8: int16
    ([70000.0, 1.0] * 300, [1.0] * 600),                  # past int16: floats
    ([0.5, 1.0] * 300, [1.0] * 600),                      # not whole: floats
    ([1.0, float("nan")] * 300, [1.0] * 600),             # not finite: floats
])
def test_whole_number_sums_resample_to_exactly_the_float_computation(values, counts):
    """Whole-number sums (pass/fail, counts) are gathered as small integers: the interval must be
    bit for bit the one summing the same draws as floats gives."""
    from gatewise.gate._intervals import _percentiles, _shared_indices

    sums_a, counts_a = np.asarray(values), np.asarray(counts)
    idx = _shared_indices(len(sums_a), 2000, 4)
    with np.errstate(invalid="ignore", divide="ignore"):
        floats = sums_a[idx].sum(axis=1) / counts_a[idx].sum(axis=1)
    assert bootstrap_cluster_mean(values, counts, resamples=2000, seed=4) == _percentiles(floats, 0.95)


def test_bootstrap_of_ten_thousand_rows_is_vectorised():
    values = np.random.default_rng(0).random(10_000).tolist()
    low, high = bootstrap_mean(values, resamples=2000, seed=0)
    se = np.std(values, ddof=1) / 100
    assert high - low == pytest.approx(2 * 1.96 * se, rel=0.08)


# -- percentiles: order statistics ------------------------------------------------------------------

@pytest.mark.parametrize("q", [50, 90, 95])
def test_percentile_interval_matches_scipy_quantile_test(q):
    values = np.random.default_rng(q).exponential(100.0, size=500)
    low, high = quantile_interval(values.tolist(), q, 0.95)
    ci = stats.quantile_test(values, q=np.percentile(values, q), p=q / 100).confidence_interval(0.95)
    assert low == pytest.approx(ci.low)
    assert high == pytest.approx(ci.high)
    assert low <= np.percentile(values, q) <= high


# -- paired differences -----------------------------------------------------------------------------

def test_paired_difference_agrees_with_scipy_paired_bootstrap():
    rng = np.random.default_rng(21)
    difficulty = rng.random(300)
    base = (rng.random(300) > difficulty * 0.3).astype(float)
    cand = (rng.random(300) > difficulty * 0.4).astype(float)
    draws = bootstrap_mean_difference_distribution(cand.tolist(), base.tolist(), paired=True, resamples=4000, seed=3)
    low, high = percentile_interval(draws, 0.95)
    ref = stats.bootstrap((cand, base), lambda c, b: np.mean(c - b), paired=True, vectorized=False,
                          n_resamples=4000, method="percentile", random_state=np.random.default_rng(4)
                          ).confidence_interval
    se = np.std(cand - base, ddof=1) / math.sqrt(300)
    # 0/1 rows make the bootstrap distribution a lattice of 1/300 steps: allow one step
    assert low == pytest.approx(ref.low, abs=0.12 * se + 1 / 300)
    assert high == pytest.approx(ref.high, abs=0.12 * se + 1 / 300)
    assert (low + high) / 2 == pytest.approx(np.mean(cand - base), abs=0.2 * se)


def test_pairing_narrows_the_interval_when_rows_share_difficulty():
    rng = np.random.default_rng(5)
    shared = rng.random(300)
    base = (shared > 0.2).astype(float)
    cand = (shared > 0.23).astype(float)  # the same hard rows, a few more of them
    paired = percentile_interval(bootstrap_mean_difference_distribution(cand, base, paired=True, seed=0), 0.95)
    unpaired = percentile_interval(bootstrap_mean_difference_distribution(cand, base, paired=False, seed=0), 0.95)
    assert paired[1] - paired[0] < (unpaired[1] - unpaired[0]) / 2
    assert paired[1] < 0  # the pairing sees the drop the unpaired test cannot
    assert unpaired[1] > 0


def _rows(values, repeat=0, passed=None):
    return [Observation(f"r{i}", repeat, float(v), bool(v) if passed is None else passed, False)
            for i, v in enumerate(values)]


def test_compare_suite_pairs_rows_by_id_and_lists_the_worst():
    base = _rows([1, 1, 1, 0, 1, 1])
    cand = _rows([1, 0, 1, 0, 0, 1]) + [Observation("only-candidate", 0, 0.0, False, False)]
    settings = BaselineConfig(results="x", rows_listed=1)
    compared = compare_suite("correctness", cand, base, paired=True, settings=settings, resamples=2000, seed=0)
    assert compared.n == 6  # the candidate-only row is not paired
    assert compared.delta == pytest.approx(-2 / 6)
    assert compared.worse_count == 2 and compared.better_count == 0
    assert len(compared.worse_rows) == 1 and compared.worse_rows[0].row_id in {"r1", "r4"}
    assert compared.worse_rows[0].baseline_passed and not compared.worse_rows[0].candidate_passed


# -- threshold modes --------------------------------------------------------------------------------

def test_confident_mode_checks_the_far_end_of_the_interval():
    at_least = Threshold("correctness", "mean", ">=", 0.8, ">= 0.8", 3, "confident")
    at_most = Threshold("latency_ms", "p95", "<=", 2500, "<= 2500", 4, "confident")
    point = Threshold("correctness", "mean", ">=", 0.8, ">= 0.8", 3)
    assert point.holds_with(0.83, (0.78, 0.88))
    assert not at_least.holds_with(0.83, (0.78, 0.88))
    assert at_least.holds_with(0.86, (0.81, 0.91))
    assert not at_most.holds_with(2400, (2300, 2600))
    assert at_most.holds_with(2400, (2300, 2490))
    assert not at_least.holds_with(0.99, None)  # no interval: never confident


# -- the regression rule ----------------------------------------------------------------------------

@pytest.mark.parametrize("rule,delta,interval,blocks", [
    ("significant", -0.05, (-0.08, -0.02), True),
    ("significant", -0.03, (-0.07, 0.01), False),   # could be noise
    ("significant", -0.01, (-0.015, -0.005), False),  # real but within the tolerance
    ("confident", -0.05, (-0.08, -0.02), False),
    ("confident", -0.06, (-0.09, -0.03), True),
    ("point", -0.03, (-0.07, 0.01), True),
    ("point", -0.01, (-0.04, 0.02), False),
    ("significant", None, None, True),  # nothing measured: fail closed
])
def test_regression_rule(rule, delta, interval, blocks):
    assert regression_blocks(delta, interval, 0.02, rule) is blocks


# -- intervals for gate metrics, and repeat agreement ----------------------------------------------

def test_metric_intervals_use_wilson_without_repeats_and_rows_with_them():
    once = _rows([1] * 45 + [0] * 15)
    ci = metric_intervals({"correctness": once})["correctness"]
    ref = stats.binomtest(45, 60).proportion_ci(method="wilson")
    assert ci["pass_rate"] == pytest.approx((ref.low, ref.high))
    assert set(ci) >= {"mean", "pass_rate", "p50"}
    twice = once + _rows([1] * 45 + [0] * 15, repeat=1)
    clustered = metric_intervals({"correctness": twice})["correctness"]["pass_rate"]
    # the same 60 rows twice: about as wide as once, not narrower by sqrt(2)
    assert clustered[1] - clustered[0] == pytest.approx(ref.high - ref.low, rel=0.15)


def test_repeat_agreement_and_flakiness():
    from gatewise.config import GateConfig

    config = GateConfig.model_validate({
        "endpoint": {"base_url": "http://x/v1", "model": "m"}, "prompt": {"user": "{q}"},
        "dataset": {"path": "d.jsonl"},
        "suites": [{"name": "correctness", "evidently": [{"descriptor": "ExactMatch", "expected": "a"}]}],
    })
    outcomes = {"r0": [1, 1, 1], "r1": [1, 0, 1], "r2": [0, 0, 0], "r3": [0, 1, 0]}
    observed = [Observation(row, k, float(v), bool(v), False) for row, vs in outcomes.items() for k, v in enumerate(vs)]
    (suite,) = repeat_agreement(config, {"correctness": observed})
    assert suite.rows == 4 and suite.flaky_rows == 2 and suite.flakiness == 0.5
    assert suite.row_agreement == {"r0": 1.0, "r1": pytest.approx(2 / 3), "r2": 1.0, "r3": pytest.approx(2 / 3)}
    assert suite.agreement == pytest.approx((1 + 2 / 3 + 1 + 2 / 3) / 4)
