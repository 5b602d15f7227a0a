"""Intervals of many rows that take few distinct values (pass/fail, lengths, grades) are drawn
through the groups of equal rows: the same bootstrap distribution as resampling the rows, checked
here against scipy's own bootstrap and against the row-resampling path on the same data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from gatewise.gate import bootstrap_cluster_mean
from gatewise.gate._intervals import _resampled_indices, _rng


def _by_rows(sums, counts, resamples, seed, level=0.95):
    """The row-resampling bootstrap, as the gate computes it for varied values."""
    means = [sums[idx].sum(axis=1) / counts[idx].sum(axis=1) for idx in _resampled_indices(_rng(seed), len(sums),
                                                                                           resamples)]
    alpha = 1 - level
    return tuple(np.quantile(np.concatenate(means), [alpha / 2, 1 - alpha / 2]))


def test_a_pass_rate_over_many_rows_matches_scipys_bootstrap():
    passed = (np.random.default_rng(4).random(20_000) < 0.83).astype(float)
    low, high = bootstrap_cluster_mean(passed.tolist(), [1.0] * len(passed), resamples=4000, seed=0)
    ref = stats.bootstrap((passed,), np.mean, n_resamples=4000, method="percentile",
                          random_state=np.random.default_rng(1)).confidence_interval
    se = passed.std(ddof=1) / math.sqrt(len(passed))
    assert low == pytest.approx(ref.low, abs=0.25 * se)
    assert high == pytest.approx(ref.high, abs=0.25 * se)
    assert (high - low) == pytest.approx(2 * 1.96 * se, rel=0.1)


def test_grouped_and_row_resampling_agree_with_repeats_and_lengths():
    rng = np.random.default_rng(9)
    lengths = rng.integers(20, 60, size=8000).astype(float)  # 40 distinct values
    repeats = rng.choice([1.0, 3.0], size=8000)  # rows with different sample counts
    sums, counts = lengths * repeats, repeats
    grouped = bootstrap_cluster_mean(sums.tolist(), counts.tolist(), resamples=3000, seed=2)
    by_rows = _by_rows(sums, counts, 3000, seed=5)
    se = (lengths.std(ddof=1) / math.sqrt(len(lengths)))
    assert grouped[0] == pytest.approx(by_rows[0], abs=0.25 * se)
    assert grouped[1] == pytest.approx(by_rows[1], abs=0.25 * se)
    assert grouped[0] < sums.sum() / counts.sum() < grouped[1]


def test_grouped_bootstrap_is_reproducible_with_a_seed():
    passed = (np.random.default_rng(1).random(50_000) < 0.5).tolist()
    ones = [1.0] * len(passed)
    assert bootstrap_cluster_mean(passed, ones, seed=3) == bootstrap_cluster_mean(passed, ones, seed=3)
    assert bootstrap_cluster_mean(passed, ones, seed=3) != bootstrap_cluster_mean(passed, ones, seed=4)
