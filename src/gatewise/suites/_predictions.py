"""What the dataset-level suites share: a prediction per row, its truth, and Evidently's results."""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ..scores import Measure, Measured, Score


OneSuite = Callable[[Sequence[Sample], SuiteConfig], Measured]


def each_suite(one_suite: OneSuite) -> Callable[[Sequence[Sample], Sequence[SuiteConfig]], Measured]:
    """A kind's scorer (``fn(samples, suites)``) from the function that measures one of its suites."""

    @functools.wraps(one_suite)
    def measure(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> Measured:
        return sum((one_suite(samples, suite) for suite in suites), Measured())

    return measure


def scored_rows(samples: Sequence[Sample], truth: str,
                convert: Callable[[Any], Any]) -> tuple[list[tuple[Sample, Any, Any]], list[Score]]:
    """(sample, truth, prediction) for rows with both, and error scores for the others.

    The per-row score's metric is the suite name; its value and verdict are filled in by the kind.
    """
    rows, errors = [], []
    for sample in samples:
        if sample.error is not None or (sample.prediction is None and sample.output is None):
            reason = f"no prediction: {sample.error or 'the endpoint returned none'}"
            errors.append(Score(sample.row_id, "", None, False, sample.repeat, reason))
            continue
        # a V2 model's typed prediction, else the text an LLM answered (an LLM used as a classifier)
        answer = sample.prediction if sample.prediction is not None else sample.output
        truth_value, prediction = convert(sample.inputs.get(truth)), convert(answer)
        if truth_value is None or prediction is None:
            what = f"truth column {truth!r}" if truth_value is None else "prediction"
            errors.append(Score(sample.row_id, "", None, False, sample.repeat, f"the {what} is not usable here"))
            continue
        rows.append((sample, truth_value, prediction))
    return rows, errors


def named(scores: Sequence[Score], suite: SuiteConfig) -> tuple[Score, ...]:
    return tuple(Score(s.row_id, suite.name, s.value, s.passed, s.repeat, s.error) for s in scores)


def failed(samples: Sequence[Sample], suite: SuiteConfig, statistics: Sequence[str], reason: str) -> Measured:
    """Nothing could be computed: every row an error (so the reason is shown), every statistic None."""
    scores = tuple(Score(s.row_id, suite.name, None, False, s.repeat, reason) for s in samples)
    return Measured(scores, tuple(Measure(suite.name, stat, None) for stat in statistics))


def number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def class_key(value: Any) -> str | None:
    """A class as text, so 1, 1.0 and "1" (JSON, a float tensor, CSV) are the same class."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            as_number = float(text)
        except ValueError:
            return text or None
        return str(int(as_number)) if as_number.is_integer() else text
    return str(value)


def result_value(result: Any) -> float | None:
    """The number in an Evidently metric result (``SingleValue``, or the mean of ``MeanStdValue``)."""
    value = getattr(result, "value", None)
    if value is None and hasattr(result, "mean"):
        value = getattr(result.mean, "value", None)
    return number(value)
