"""Deterministic checks computed by Evidently: per-row values and pass/fail, read back as Scores.

All samples with an output go into one Evidently ``Dataset``; each check adds its descriptor and
the descriptor's tests. A check that raises is retried on halves of the rows, so one row that
trips Evidently (say ``42`` under JSONSchemaMatch) errors alone instead of taking every row
with it. Rows without output, and rows a check could not score, get error scores: never a pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from ..config import SuiteConfig
from ..config._descriptor_kinds import ITEM_LIST_DESCRIPTORS
from ..samples import Sample
from ..scores import Score
from ..telemetry import disable_telemetry
from ._descriptors import CheckSetupError, Planned, plan
from ._frame import build_frame, has_output
from ._registry import suite_kind

if TYPE_CHECKING:
    import pandas as pd
    from evidently import Dataset

# Sub-runs allowed per failing check while narrowing down the rows that make it raise; past
# this the rows still unresolved share the error (it bounds the cost of a check that fails
# on every row).
BISECT_BUDGET = 32


@dataclass(frozen=True)
class Outcome:
    value: float | None
    passed: bool
    error: str | None = None


@dataclass(frozen=True)
class Evaluation:
    """Evidently's dataset for the samples with output, and each check's outcome per such row."""

    dataset: "Dataset | None"
    plans: tuple[Planned, ...]
    outcomes: dict[str, list[Outcome]]  # metric -> one per row, in the order of the rows


def load_evidently() -> None:
    """Import what scoring needs (3-5 s), with telemetry off first."""
    disable_telemetry()
    import evidently.descriptors  # noqa: F401
    import evidently.presets  # noqa: F401
    import evidently.tests  # noqa: F401


def plan_checks(suites: Sequence[SuiteConfig], taken: set[str]) -> tuple[Planned, ...]:
    """Place every check; its column is ``suite.check``, kept clear of the dataset's own columns."""
    plans = []
    for suite in suites:
        for check in suite.evidently or ():
            alias = f"{suite.name}.{check.label}"
            while alias in taken:
                alias = f"_{alias}"
            planned = plan(suite.name, check, alias)
            taken.update((alias, *planned.test_columns))
            plans.append(planned)
    return tuple(plans)


def evaluate(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> Evaluation:
    rows = [s for s in samples if has_output(s)]
    if not rows or not any(suite.evidently for suite in suites):
        return Evaluation(None, plan_checks(suites, set()), {})
    load_evidently()
    from evidently import Dataset

    frame, definition = build_frame(rows, _item_columns(suites))
    plans = plan_checks(suites, set(frame.columns))
    dataset = Dataset.from_pandas(frame, data_definition=definition)
    outcomes = {p.metric: _run_check(dataset, frame, definition, p) for p in plans}
    return Evaluation(dataset, plans, outcomes)


def _item_columns(suites: Sequence[SuiteConfig]) -> frozenset[str]:
    return frozenset(check.expected for suite in suites for check in suite.checks
                     if check.descriptor in ITEM_LIST_DESCRIPTORS and check.expected is not None)


@suite_kind("evidently")
def score_evidently(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> tuple[Score, ...]:
    """One Score per sample per check, samples in the given order, checks in config order."""
    evaluation = evaluate(samples, suites)
    scores: list[Score] = []
    row = 0
    for sample in samples:
        if not has_output(sample):
            reason = f"no output: {sample.error or 'the endpoint returned none'}"
            scores.extend(Score(sample.row_id, p.metric, None, False, sample.repeat, reason)
                          for p in evaluation.plans)
            continue
        for p in evaluation.plans:
            o = evaluation.outcomes[p.metric][row]
            scores.append(Score(sample.row_id, p.metric, o.value, o.passed, sample.repeat, o.error))
        row += 1
    return tuple(scores)


def _run_check(dataset: "Dataset", frame: "pd.DataFrame", definition: Any, p: Planned) -> list[Outcome]:
    missing = [c for c in p.input_columns() if c not in frame.columns]
    if missing:
        known = ", ".join(frame.columns)
        return _failed(len(frame), f"column {missing[0]!r} is not in the dataset (columns: {known})")
    try:
        descriptor = p.descriptor()
    except CheckSetupError as exc:
        return _failed(len(frame), str(exc))
    except Exception as exc:  # a parameter Evidently rejects: no row can pass
        return _failed(len(frame), f"{p.check.descriptor} could not be set up: {_describe(exc)}")
    try:
        dataset.add_descriptor(descriptor)
        return _read(dataset.as_dataframe(), p)
    except Exception as exc:
        return _bisect(frame, definition, p, exc, [BISECT_BUDGET])


def _bisect(frame: "pd.DataFrame", definition: Any, p: Planned, exc: Exception,
            budget: list[int]) -> list[Outcome]:
    if len(frame) == 1 or budget[0] <= 0:
        return _failed(len(frame), f"{p.check.descriptor} raised {_describe(exc)}")
    mid = len(frame) // 2
    return [*_retry(frame.iloc[:mid], definition, p, budget),
            *_retry(frame.iloc[mid:], definition, p, budget)]


def _retry(part: "pd.DataFrame", definition: Any, p: Planned, budget: list[int]) -> list[Outcome]:
    from evidently import Dataset

    budget[0] -= 1
    part = part.reset_index(drop=True)
    try:
        dataset = Dataset.from_pandas(part, data_definition=definition, descriptors=[p.descriptor()])
        return _read(dataset.as_dataframe(), p)
    except Exception as exc:
        return _bisect(part, definition, p, exc, budget)


def _read(table: "pd.DataFrame", p: Planned) -> list[Outcome]:
    import numpy as np

    values = [_number(v) for v in table[p.alias].tolist()]
    verdicts = [table[c].tolist() for c in p.test_columns]
    outcomes = []
    for i, value in enumerate(values):
        # only a real boolean True passes: NaN is truthy in Python and must not
        passed = value is not None and all(isinstance(v[i], (bool, np.bool_)) and v[i] for v in verdicts)
        outcomes.append(Outcome(value, bool(passed), None if value is not None else "Evidently gave no value"))
    return outcomes


def _number(value: Any) -> float | None:
    """A descriptor's value as a float (booleans as 1.0/0.0); None where it is missing."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _failed(n: int, message: str) -> list[Outcome]:
    return [Outcome(None, False, message)] * n


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
