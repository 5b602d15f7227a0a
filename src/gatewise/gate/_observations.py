"""Per-row observations of every metric: the one grouping that aggregates, intervals, repeat
agreement and the baseline comparison all read, so they can never disagree about a row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..bulk import without_collection_pauses
from ..config import GateConfig
from ..samples import Sample
from ..scores import Score


@dataclass(frozen=True, slots=True)
class Observation:
    """One metric on one sample (row x repeat). ``value`` is None when it could not be measured."""

    row_id: str
    repeat: int
    value: float | None
    passed: bool
    errored: bool


def observations(config: GateConfig, samples: Sequence[Sample],
                 scores: Sequence[Score]) -> dict[str, tuple[Observation, ...]]:
    """``metric -> observations`` for every suite, every check, ``latency_ms`` and ``errors``."""
    with without_collection_pauses():  # one Observation per score and per row: 600 000 at 100 000 rows
        return _observations(config, samples, scores)


def _observations(config: GateConfig, samples: Sequence[Sample],
                  scores: Sequence[Score]) -> dict[str, tuple[Observation, ...]]:
    by_metric: dict[str, list[Score]] = {}
    for score in scores:
        by_metric.setdefault(score.metric, []).append(score)

    out: dict[str, tuple[Observation, ...]] = {}
    judge_errors: set[tuple[str, int]] = set()
    for suite in config.suites:
        if suite.judge is not None:
            name = f"{suite.name}.{suite.judge.metric}"
            judged = by_metric.get(name, [])
            # the row's value is the judge's score; a row it could not judge is an error, not a 0
            out[name] = out[suite.name] = _observe_all(judged)
            judge_errors.update((s.row_id, s.repeat) for s in judged if s.error is not None)
            continue
        if suite.kind in ("classification", "regression"):
            # one score per row (right class / absolute error), kept for pairing with a baseline
            out[suite.name] = _observe_all(by_metric.get(suite.name, []))
            continue
        if suite.kind == "drift":
            continue  # a property of the whole dataset, not of rows
        # (row, repeat) -> [checks, checks passed, any errored], tallied as the scores go by: no
        # per-row list of scores to walk again (the verdict's largest cost at 100 000 rows)
        tallies: dict[tuple[str, int], list] = {}
        labels = suite.tool_calls.check_labels() if suite.tool_calls is not None else \
            [check.label for check in suite.evidently or ()]
        for label in labels:
            name = f"{suite.name}.{label}"
            checked = by_metric.get(name, [])
            out[name] = _observe_all(checked)
            for s in checked:
                key = (s.row_id, s.repeat)
                tally = tallies.get(key)
                if tally is None:
                    tallies[key] = tally = [0, 0, False]
                tally[0] += 1
                tally[1] += s.passed
                tally[2] = tally[2] or s.error is not None
        out[suite.name] = tuple([_suite_row(row_id, repeat, *tally) for (row_id, repeat), tally in tallies.items()])

    out["latency_ms"] = tuple([Observation(s.row_id, s.repeat, s.latency_ms, True, False)
                               for s in samples if s.ok and s.latency_ms is not None])
    # rows that errored: their call failed, or the judge could not judge them (fail closed)
    out["errors"] = tuple([
        Observation(s.row_id, s.repeat, 0.0 if ok else 1.0, ok, False)
        for s in samples
        for ok in [s.ok and (s.row_id, s.repeat) not in judge_errors]
    ])
    return out


def _observe_all(scores: Sequence[Score]) -> tuple[Observation, ...]:
    # one comprehension, no call per score: this runs once per score
    return tuple([Observation(s.row_id, s.repeat, None if s.error is not None else s.value, s.passed,
                              s.error is not None) for s in scores])


def _suite_row(row_id: str, repeat: int, checks: int, passed: int, errored: bool) -> Observation:
    # a suite's row value is the share of its checks that passed; the row passes if all did
    return Observation(row_id, repeat, None if errored else passed / checks, passed == checks, errored)


def values_by_row(items: Sequence[Observation]) -> dict[str, list[float]]:
    """Measured values grouped by row id (a row's repeats together), in first-seen row order."""
    rows: dict[str, list[float]] = {}
    for item in items:
        if item.value is not None:
            rows.setdefault(item.row_id, []).append(item.value)
    return rows
