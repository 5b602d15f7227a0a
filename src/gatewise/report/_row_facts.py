"""What a reviewer needs to see of one failing row, shared by summary.md (and so the PR comment)
and junit.xml: the input, the model's answer, what it should have answered, and the judge's reasons."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ._rows import RowOutcome

_SECRET_COLUMN = re.compile(r"(?i)(api[_-]?key|token|secret|password|passwd|credential)")


@dataclass(frozen=True)
class RowFacts:
    input: tuple[str, str] | None  # (column, text): the first text input that is not the row id
    output: str | None
    expected: tuple[tuple[str, str], ...]  # (column, text) for each failed check that has one
    reasons: tuple[tuple[str, float | None, str, bool], ...]  # (metric, value, reason, from the judge)


def row_facts(outcome: RowOutcome, expected_columns: Mapping[str, str]) -> RowFacts:
    sample = outcome.sample
    columns: dict[str, None] = {}
    for score in outcome.failed_checks:
        column = expected_columns.get(score.metric) or expected_columns.get(score.suite)
        if column is not None and column in sample.inputs:
            columns.setdefault(column, None)
    expected = tuple((column, as_text(sample.inputs[column])) for column in columns)
    reasons = tuple((s.metric, s.value, s.reason, s.judge_model is not None) for s in outcome.failed_checks if s.reason)
    return RowFacts(first_input(outcome), sample.output, expected, reasons)


def first_input(outcome: RowOutcome) -> tuple[str, str] | None:
    """The first text input that is not the row id (and not a column that looks like a secret)."""
    for key, value in outcome.sample.inputs.items():
        if isinstance(value, str) and value.strip() and value != outcome.sample.row_id \
                and not _SECRET_COLUMN.search(str(key)):
            return str(key), value
    return None


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with the count of what was left out."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit].rstrip()}… ({len(flat) - limit:,} more characters)"
