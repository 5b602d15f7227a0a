"""metric_intervals reads observations as numpy columns: its intervals must equal those of the
plain per-row sums (rows in first-seen order, the order the seeded draws index), whatever the
mix of repeats, unmeasured values and row order."""

from __future__ import annotations

import random

import pytest

from gatewise.gate import Observation, bootstrap_cluster_mean, metric_intervals, wilson


def _reference_mean(items, value_of, resamples, seed):
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for item in items:
        value = value_of(item)
        if value is None:
            continue
        sums[item.row_id] = sums.get(item.row_id, 0.0) + float(value)
        counts[item.row_id] = counts.get(item.row_id, 0.0) + 1.0
    return bootstrap_cluster_mean(list(sums.values()), list(counts.values()), resamples=resamples, seed=seed)


def _observations(rng: random.Random, rows: int, repeats: int, distinct: int) -> list[Observation]:
    out = []
    for row in range(rows):
        for k in range(repeats):
            value = None if rng.random() < 0.15 else float(rng.randrange(distinct)) / 3
            out.append(Observation(f"r{row}", k, value, value is not None and value > 1, value is None))
    rng.shuffle(out)  # rows come back in any order, repeats of a row apart
    return out


@pytest.mark.parametrize("rows, repeats, distinct, resamples", [
    (40, 1, 5, 500), (40, 3, 5, 500), (300, 2, 1000, 200),  # one shared block of draws
    (3000, 1, 4, 1000), (3000, 3, 4, 1000),  # past one block, few distinct rows: grouped draws
    (3000, 2, 100000, 1000),  # past one block, every row distinct: drawn row by row
])
def test_intervals_equal_the_per_row_reference(rows, repeats, distinct, resamples):
    items = _observations(random.Random(rows * 31 + repeats), rows, repeats, distinct)
    got = metric_intervals({"suite": tuple(items), "errors": tuple(items)}, resamples=resamples, seed=7)
    assert got["suite"]["mean"] == _reference_mean(items, lambda o: o.value, resamples, 7)
    if repeats > 1:
        expected = _reference_mean(items, lambda o: 1.0 if o.passed else 0.0, resamples, 7)
        expected_errors = _reference_mean(items, lambda o: 0.0 if o.passed else 1.0, resamples, 7)
    else:
        expected = wilson(sum(o.passed for o in items), len(items))
        expected_errors = wilson(sum(not o.passed for o in items), len(items))
    assert got["suite"]["pass_rate"] == expected
    assert got["errors"]["rate"] == expected_errors


def test_a_row_unmeasured_on_its_first_repeat_is_ordered_by_its_first_value():
    # row "a" is seen first but measured only after "b": the draws index "b" first
    items = (Observation("a", 0, None, False, True), Observation("b", 0, 1.0, True, False),
             Observation("a", 1, 0.0, False, False), Observation("c", 0, 1.0, True, False),
             Observation("b", 1, 0.5, True, False))
    got = metric_intervals({"suite": items}, resamples=300, seed=3)["suite"]["mean"]
    assert got == bootstrap_cluster_mean([1.5, 0.0, 1.0], [2.0, 1.0, 1.0], resamples=300, seed=3)


def test_no_measured_value_has_no_mean_interval():
    items = tuple(Observation(f"r{i}", 0, None, False, True) for i in range(5))
    got = metric_intervals({"suite": items})["suite"]
    assert "mean" not in got and "p50" not in got
    assert got["pass_rate"] == wilson(0, 5)


def test_metrics_resampled_row_by_row_share_draws_and_keep_their_own_intervals():
    # past one block and every value distinct: each metric's mean is resampled row by row, and
    # metrics over as many rows draw together; the intervals must be those of each metric alone
    rng = random.Random(5)
    latency = tuple(Observation(f"r{i}", 0, rng.random() * 900, True, False) for i in range(3000))
    length = tuple(Observation(f"r{i}", 0, float(rng.randrange(10**6)), rng.random() < 0.9, False)
                   for i in range(3000))
    fewer = length[:2500]  # other rows: drawn apart
    together = metric_intervals({"latency_ms": latency, "answer.length": length, "other": fewer},
                                resamples=1000, seed=4)
    for name, items in (("latency_ms", latency), ("answer.length", length), ("other", fewer)):
        assert together[name] == metric_intervals({name: items}, resamples=1000, seed=4)[name]
    assert together["latency_ms"]["mean"] != together["answer.length"]["mean"]
