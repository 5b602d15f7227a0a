"""The verdict reads observations as columns (no object per score): every number it derives must
equal the per-row computation it replaced — observations, statistics, repeat agreement, the
baseline comparison — whatever the mix of repeats, errors, unmeasured values, shuffled scores
and checks that scored different samples. The reference here is that per-row code, restated."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from gatewise.config import load_config
from gatewise.gate import (Observation, Observations, aggregate_observations, compare_suite, compare_with_baseline,
                           observations, repeat_agreement)
from gatewise.gate._aggregate import describe
from gatewise.result import MetricComparison, RowChange
from gatewise.samples import Sample
from gatewise.scores import Score

from .conftest import DEFAULT_SUITES, write_gate

# write_gate's own suites, the format suite with two more checks, and a judge suite
SUITES = DEFAULT_SUITES + """      - { descriptor: DoesNotContain, name: polite, items: ["as an AI"] }
      - { descriptor: WordCount, name: words, max: 40 }
  - name: grade
    judge: { metric: g-eval, criteria: "Is the answer right?" }
"""
CHECKS = {"correctness": ["ExactMatch"], "format": ["length", "polite", "words"]}


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    directory = tmp_path_factory.mktemp("columns")
    rows = [{"id": f"r{i}", "question": f"q{i}", "answer": f"a{i}"} for i in range(60)]
    path = write_gate(directory, "http://127.0.0.1:9/v1", rows=rows, suites=SUITES, thresholds="",
                      extra='judge: { base_url: "http://127.0.0.1:9/v1", model: judge-model }\nbaseline: '
                            '{ results: base.jsonl }')
    return load_config(path)


def _run(seed: int, rows: int = 60, repeats: int = 3, ragged: bool = False, shuffled: bool = True):
    """Samples and scores of a noisy run: failed calls, errored checks, unmeasured values; scores in
    sample order (every check of a suite over the same samples: added up in place) or ``shuffled``
    (then tallied per row); ``ragged``: one check skipped some samples."""
    rng = random.Random(seed)
    samples, scores = [], []
    for row in rng.sample(range(rows), rows):  # rows in any order
        for k in range(rng.randint(1, repeats)):
            failed = rng.random() < 0.08
            samples.append(Sample(f"r{row}", {}, (), None if failed else "x", "boom" if failed else None, k,
                                  latency_ms=None if failed else float(rng.randint(50, 90))))
            for suite, labels in CHECKS.items():
                for label in labels:
                    if ragged and label == "words" and rng.random() < 0.3:
                        continue
                    error = "boom" if failed or rng.random() < 0.05 else None
                    value = None if error else rng.choice([0.0, 1.0, float(rng.randint(1, 9)), 0.5])
                    scores.append(Score(f"r{row}", f"{suite}.{label}", value, error is None and rng.random() < 0.7,
                                        k, error))
            error = "judge down" if rng.random() < 0.06 else None
            scores.append(Score(f"r{row}", "grade.g-eval", None if error else rng.choice([0.2, 0.6, 1.0]),
                                error is None and rng.random() < 0.6, k, error))
    if shuffled:
        rng.shuffle(scores)
    return tuple(samples), tuple(scores)


def _reference_observations(config, samples, scores) -> dict[str, list[Observation]]:
    """The per-row code the columns replaced."""
    by_metric: dict[str, list[Score]] = {}
    for score in scores:
        by_metric.setdefault(score.metric, []).append(score)

    def observe(items):
        return [Observation(s.row_id, s.repeat, None if s.error is not None else s.value, s.passed,
                            s.error is not None) for s in items]

    out: dict[str, list[Observation]] = {}
    judge_errors = set()
    for suite in config.suites:
        if suite.judge is not None:
            judged = by_metric.get(f"{suite.name}.{suite.judge.metric}", [])
            out[f"{suite.name}.{suite.judge.metric}"] = out[suite.name] = observe(judged)
            judge_errors.update((s.row_id, s.repeat) for s in judged if s.error is not None)
            continue
        tallies: dict = {}
        for check in suite.evidently:
            checked = by_metric.get(f"{suite.name}.{check.label}", [])
            out[f"{suite.name}.{check.label}"] = observe(checked)
            for s in checked:
                tally = tallies.setdefault((s.row_id, s.repeat), [0, 0, False])
                tally[0] += 1
                tally[1] += s.passed
                tally[2] = tally[2] or s.error is not None
        out[suite.name] = [Observation(row, k, None if bad else passed / n, passed == n, bad)
                           for (row, k), (n, passed, bad) in tallies.items()]
    out["latency_ms"] = [Observation(s.row_id, s.repeat, s.latency_ms, True, False)
                         for s in samples if s.ok and s.latency_ms is not None]
    out["errors"] = [Observation(s.row_id, s.repeat, 0.0 if ok else 1.0, ok, False) for s in samples
                     for ok in [s.ok and (s.row_id, s.repeat) not in judge_errors]]
    return out


def _reference_statistics(items: list[Observation]) -> dict:
    stats = describe([o.value for o in items if o.value is not None])
    passed = sum(1 for o in items if o.passed)
    stats.update(pass_rate=passed / len(items) if items else None, fail_count=float(len(items) - passed),
                 error_count=float(sum(1 for o in items if o.errored)))
    return stats


@pytest.mark.parametrize("seed, ragged, shuffled", [(1, False, False), (2, False, False), (3, False, True),
                                                    (4, True, False), (5, True, True)])
def test_observations_and_statistics_equal_the_per_row_code(config, seed, ragged, shuffled):
    samples, scores = _run(seed, ragged=ragged, shuffled=shuffled)
    got = observations(config, samples, scores)
    expected = _reference_observations(config, samples, scores)
    assert list(got) == list(expected)
    for name, items in expected.items():
        assert list(got[name]) == items, name
    metrics = aggregate_observations(got)
    for name, items in expected.items():
        if name not in ("latency_ms", "errors"):
            assert metrics[name] == _reference_statistics(items), name
    assert metrics["latency_ms"] == describe([o.value for o in expected["latency_ms"]])
    failed = sum(1 for o in expected["errors"] if not o.passed)
    assert metrics["errors"] == {"count": float(failed), "rate": failed / len(expected["errors"])}


def test_a_ragged_suite_keeps_the_order_its_rows_were_first_scored(config):
    samples, scores = _run(3, ragged=True)
    got = observations(config, samples, scores)["format"]
    # the checks in the config's order, each check's scores in theirs
    first_seen = list(dict.fromkeys((s.row_id, s.repeat) for label in CHECKS["format"] for s in scores
                                    if s.metric == f"format.{label}"))
    assert first_seen != list(dict.fromkeys((s.row_id, s.repeat) for s in samples))  # so the order is tested
    assert list(zip(got.row_ids, got.repeats)) == first_seen


@pytest.mark.parametrize("seed, shuffled", [(5, False), (6, True)])
def test_repeat_agreement_equals_the_per_row_code(config, seed, shuffled):
    samples, scores = _run(seed, shuffled=shuffled)
    expected = _reference_observations(config, samples, scores)
    got = {a.suite: a for a in repeat_agreement(config, observations(config, samples, scores))}
    for suite in ("correctness", "format", "grade"):
        by_row: dict[str, list[str]] = {}
        for o in expected[suite]:
            by_row.setdefault(o.row_id, []).append("error" if o.errored else "pass" if o.passed else "fail")
        shares = {row: Counter(v).most_common(1)[0][1] / len(v) for row, v in by_row.items()}
        agreement = got[suite]
        assert agreement.row_agreement == shares and list(agreement.row_agreement) == list(shares)
        assert agreement.agreement == sum(shares.values()) / len(shares)
        assert agreement.rows == len(shares)
        assert agreement.flaky_rows == sum(1 for v in by_row.values() if len(set(v)) > 1)


def _reference_compare(metric, candidate, baseline, *, paired, settings, resamples, seed):
    from gatewise.gate import bootstrap_mean_difference_distribution, percentile_interval

    def row_values(items):
        values: dict[str, list[float]] = {}
        passes: dict[str, list[bool]] = {}
        for item in items:
            passes.setdefault(item.row_id, []).append(item.passed)
            if item.value is not None:
                values.setdefault(item.row_id, []).append(item.value)
        return {row: (sum(v) / len(v), sum(passes[row]) * 2 > len(passes[row])) for row, v in values.items()}

    def mean(values):
        return sum(values) / len(values) if values else None

    cand, base = row_values(candidate), row_values(baseline)
    shared = [row for row in cand if row in base] if paired else []
    cand_values = [cand[row][0] for row in shared] if paired else [v for v, _ in cand.values()]
    base_values = [base[row][0] for row in shared] if paired else [v for v, _ in base.values()]
    n = len(shared) if paired else len(cand_values)
    if not cand_values or not base_values:
        return MetricComparison(metric, "mean", mean(base_values), mean(cand_values), None, None, n, 0, 0, ())
    interval = None
    if min(len(cand_values), len(base_values)) >= 2:
        interval = percentile_interval(bootstrap_mean_difference_distribution(
            cand_values, base_values, paired=paired, resamples=resamples, seed=seed), settings.confidence)
    worse = sorted((row for row in shared if cand[row][0] < base[row][0]), key=lambda row: cand[row][0] - base[row][0])
    listed = tuple(RowChange(row, base[row][0], cand[row][0], base[row][1], cand[row][1])
                   for row in worse[:settings.rows_listed])
    return MetricComparison(metric, "mean", mean(base_values), mean(cand_values), mean(cand_values) - mean(base_values),
                            interval, n, len(worse), sum(1 for row in shared if cand[row][0] > base[row][0]), listed)


@pytest.mark.parametrize("paired", [True, False])
@pytest.mark.parametrize("seed", [7, 8])
def test_the_comparison_equals_the_per_row_code(config, seed, paired):
    samples, scores = _run(seed)
    base_samples, base_scores = _run(seed + 100, rows=50)  # ten candidate rows the baseline never saw
    cand = observations(config, samples, scores)
    base = observations(config, base_samples, base_scores)
    reference = _reference_observations(config, samples, scores)
    base_reference = _reference_observations(config, base_samples, base_scores)
    settings = config.baseline
    together = compare_with_baseline(config, cand, base, paired=paired, source="s", kind="results",
                                     dataset_sha256=None)
    for suite, compared in zip(("correctness", "format", "grade"), together.metrics):
        expected = _reference_compare(suite, reference[suite], base_reference[suite], paired=paired,
                                      settings=settings, resamples=300, seed=11)
        alone = compare_suite(suite, cand[suite], base[suite], paired=paired, settings=settings, resamples=300,
                              seed=11)
        assert alone == expected
        # the suites of one comparison draw their rows once: the same intervals as each alone
        assert compared == _reference_compare(suite, reference[suite], base_reference[suite], paired=paired,
                                              settings=settings, resamples=config.confidence.resamples,
                                              seed=config.confidence.seed)


def test_observation_sequences_are_read_as_columns():
    items = [Observation("a", 0, None, False, True), Observation("b", 0, 0.5, True, False),
             Observation("a", 1, 1.0, True, False)]
    columns = Observations.of(items)
    assert list(columns) == items and Observations.of(columns) is columns
    assert columns.measured_values() == [0.5, 1.0]
    assert columns.rows().tolist() == [0, 1, 0]  # a row numbered where it was first seen
    assert list(columns.select([True, False, True])) == [items[0], items[2]]
    with pytest.raises(AttributeError):
        columns.values = ()
    with pytest.raises(ValueError):
        Observations(["a"], [0, 1], [None], [False], [True])


@pytest.mark.parametrize("seed, shuffled", [(9, False), (10, True)])
def test_reports_pick_the_same_failing_rows_as_grouping_every_row(seed, shuffled):
    from gatewise.report._rows import failing_outcomes, outcomes_of, row_outcomes, worst_first
    from gatewise.result import EndpointInfo, GateResult, Verdict

    samples, scores = _run(seed, shuffled=shuffled)
    result = GateResult("gate.yaml", "c" * 64, "data.jsonl", "d" * 64, EndpointInfo("http://h/v1", "m", "chat", ()),
                        samples, scores, {}, Verdict(False, (), len(samples), 0), "2026-01-01T00:00:00+00:00")
    every = row_outcomes(result)
    failing = [o for o in every if not o.passed]
    assert 0 < len(failing) < len(every)
    assert failing_outcomes(result) == failing
    assert worst_first(failing_outcomes(result)) == worst_first(every)
    some = list(samples[::7])
    assert outcomes_of(result, some) == [o for o in every if o.sample in some]


@pytest.mark.parametrize("seed, shuffled", [(11, False), (12, True)])
def test_intervals_over_a_runs_shared_row_numbering_equal_each_metric_alone(config, seed, shuffled):
    from gatewise.gate import metric_intervals

    samples, scores = _run(seed, shuffled=shuffled)
    got = metric_intervals(observations(config, samples, scores), resamples=300, seed=2)
    alone = {name: tuple(items) for name, items in _reference_observations(config, samples, scores).items()}
    assert got == metric_intervals(alone, resamples=300, seed=2)
    assert got["latency_ms"] and got["format"]
