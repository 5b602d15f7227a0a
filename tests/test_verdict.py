"""How scores become a verdict: statistics, thresholds, the error budget."""

from __future__ import annotations

import numpy as np
import pytest

from gatewise.config import parse_expression
from gatewise.config import CheckConfig
from gatewise.config._models import SuiteConfig
from gatewise.gate import aggregate, decide, percentile
from gatewise.samples import Sample
from gatewise.scores import Score
from gatewise.config._thresholds import Threshold


def _sample(row: str, latency: float | None = 100.0, error: str | None = None) -> Sample:
    return Sample(row_id=row, inputs={}, messages=(), output=None if error else "x", error=error,
                  latency_ms=latency)


class _Config:
    """The two things aggregate reads from a GateConfig."""

    def __init__(self, suites):
        self.suites = suites


@pytest.mark.parametrize("q", [0, 12.5, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy(q):
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_threshold_expressions_parse_percent_and_reject_nonsense():
    assert parse_expression(">= 0.9") == (">=", 0.9)
    assert parse_expression("<=2500") == ("<=", 2500.0)
    assert parse_expression(">= 90%") == (">=", pytest.approx(0.9))
    for bad in ["=> 0.9", "about 0.9", ">=", "0.9", ">= 0.9 0.1", ""]:
        with pytest.raises(ValueError):
            parse_expression(bad)


def test_suite_pass_rate_counts_errored_rows_as_failed():
    suite = SuiteConfig(name="fmt", evidently=[CheckConfig(descriptor="TextLength", max=10)])
    samples = [_sample("a"), _sample("b"), _sample("c"), _sample("d", latency=None, error="HTTP 500")]
    scores = [
        Score("a", "fmt.TextLength", 5.0, True),
        Score("b", "fmt.TextLength", 8.0, True),
        Score("c", "fmt.TextLength", 20.0, False),
        Score("d", "fmt.TextLength", None, False, error="no output"),
    ]
    metrics = aggregate(_Config([suite]), samples, scores)
    check = metrics["fmt.TextLength"]
    assert check["pass_rate"] == pytest.approx(2 / 4)
    assert check["mean"] == pytest.approx(np.mean([5.0, 8.0, 20.0]))
    assert check["error_count"] == 1
    assert metrics["fmt"]["pass_rate"] == pytest.approx(0.5)
    assert metrics["errors"] == {"count": 1.0, "rate": 0.25}
    assert metrics["latency_ms"]["p95"] == pytest.approx(100.0)


def test_errors_fail_the_gate_unless_max_errors_allows_them():
    samples = [_sample("a"), _sample("b", error="timed out")]
    metrics = {"errors": {"count": 1.0, "rate": 0.5}}
    assert not decide((), metrics, samples, max_errors=0).passed
    assert decide((), metrics, samples, max_errors=1).passed


def test_a_threshold_with_nothing_measured_fails():
    rule = Threshold("fmt", "mean", ">=", 0.5, ">= 0.5")
    verdict = decide((rule,), {"fmt": {"mean": None}, "errors": {"count": 0.0}}, [_sample("a")], 0)
    assert not verdict.passed
    assert verdict.failed[0].threshold is rule


def test_no_samples_is_never_a_pass():
    assert not decide((), {"errors": {"count": 0.0}}, [], 0).passed


def test_verdict_lists_every_threshold_with_value_and_target():
    rules = (Threshold("fmt", "pass_rate", ">=", 0.9, ">= 0.9", 12),
             Threshold("latency_ms", "p95", "<=", 50.0, "<= 50", 13))
    metrics = {"fmt": {"pass_rate": 0.95}, "latency_ms": {"p95": 80.0}, "errors": {"count": 0.0}}
    verdict = decide(rules, metrics, [_sample("a")], 0)
    assert [(r.threshold.key, r.value, r.passed) for r in verdict.results] == [
        ("errors.count", 0.0, True), ("fmt.pass_rate", 0.95, True), ("latency_ms.p95", 80.0, False)]
    assert not verdict.passed
    assert "latency_ms.p95" in verdict.headline
