"""Per-row checks scored in this process where gatewise computes the descriptor itself
(``_native``), and by Evidently (in the scoring worker) only for the rest: one Score per sample
per check, in the order ``score_evidently`` gives, then the tool-call suites' scores."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

from ..config import CheckConfig, SuiteConfig
from ..config._descriptor_kinds import ITEM_LIST_DESCRIPTORS
from ..bulk import without_collection_pauses
from ..samples import Sample
from ..scores import Score
from ._descriptors import pass_rule
from ._frame import OUTPUT, as_items, as_text, has_output
from ._native import is_native, native_values
from ._tool_calls import score_tool_calls

EvidentlyScores = Callable[[Sequence[Sample], Sequence[SuiteConfig]], tuple[Score, ...]]


def natively_scored(check: CheckConfig) -> bool:
    """True when this check never needs Evidently (unless a row makes Evidently's own code raise)."""
    return is_native(check.descriptor, check.params)


def needs_evidently(suites: Sequence[SuiteConfig]) -> bool:
    """Some check is Evidently's alone (the dataset-level suites are asked separately)."""
    return any(not natively_scored(check) for suite in suites for check in suite.evidently or ())


def score_row_checks(samples: Sequence[Sample], suites: Sequence[SuiteConfig],
                     evidently: EvidentlyScores) -> tuple[Score, ...]:
    """Every per-row check, native ones here and the others through ``evidently`` (the worker's
    ``score``), then the tool-call suites'. The same Scores ``score_per_row`` gives."""
    with without_collection_pauses():  # 300 000 Scores at 100 000 rows x 3 checks
        return _score_descriptors(samples, suites, evidently) + score_tool_calls(samples, suites)


@dataclasses.dataclass(frozen=True)
class _Check:
    suite: SuiteConfig
    check: CheckConfig

    @property
    def metric(self) -> str:
        return f"{self.suite.name}.{self.check.label}"


def _score_descriptors(samples: Sequence[Sample], suites: Sequence[SuiteConfig],
                       evidently: EvidentlyScores) -> tuple[Score, ...]:
    checks = [_Check(suite, check) for suite in suites for check in suite.evidently or ()]
    if not checks:
        return ()
    rows = [s for s in samples if has_output(s)]
    item_columns = frozenset(c.check.expected for c in checks
                             if c.check.descriptor in ITEM_LIST_DESCRIPTORS and c.check.expected is not None)
    table = _Table(rows, item_columns)
    values: dict[int, list[float | None]] = {}
    for index, c in enumerate(checks):
        found = _native_column(c.check, table) if rows else None
        if found is not None:
            values[index] = found
    if any(_reads(c.check, item_columns) for index, c in enumerate(checks) if index not in values):
        # Evidently's frame reads a column as items only when an item check is in it: send them all
        values = {index: v for index, v in values.items()
                  if checks[index].check.descriptor not in ITEM_LIST_DESCRIPTORS}
    left = [index for index in range(len(checks)) if index not in values]
    from_evidently = _from_evidently(samples, [checks[index] for index in left], evidently) if left else ()
    slot = {index: k for k, index in enumerate(left)}
    # one column of Scores per check over every sample, then row by row: score_evidently's order
    answered = [has_output(sample) for sample in samples]
    columns = [_native_scores(samples, answered, c, values[index]) if index in values
               else from_evidently[slot[index]::len(left)] for index, c in enumerate(checks)]
    return tuple(score for row in zip(*columns) for score in row)


def _native_scores(samples: Sequence[Sample], answered: list[bool], c: _Check,
                   values: list[float | None]) -> list[Score]:
    rule, metric, found = pass_rule(c.check), c.metric, iter(values)
    scores = []
    for sample, has in zip(samples, answered):
        if has:
            value = next(found)
            scores.append(Score(sample.row_id, metric, value, rule(value), sample.repeat,
                                None if value is not None else "Evidently gave no value"))
        else:
            scores.append(Score(sample.row_id, metric, None, False, sample.repeat,
                                f"no output: {sample.error or 'the endpoint returned none'}"))
    return scores


def _reads(check: CheckConfig, columns: frozenset[str]) -> bool:
    return check.column in columns or check.expected in columns


def _native_column(check: CheckConfig, table: "_Table") -> list[float | None] | None:
    """The check's value per row, or None when Evidently must compute it (not native, a column it
    reads is missing or holds items where text is expected, or Evidently's code would raise)."""
    if not natively_scored(check):
        return None
    expected = check.expected
    if check.column not in table.names or (expected is not None and expected not in table.names):
        return None  # Evidently's path names the missing column
    if check.column in table.item_columns:
        return None  # Evidently's frame holds lists there
    if expected is not None and (expected in table.item_columns) != (check.descriptor in ITEM_LIST_DESCRIPTORS):
        return None
    try:
        raw = native_values(check.descriptor, table.column(check.column),
                            table.column(expected) if expected is not None else None, dict(check.params))
    except Exception:  # noqa: BLE001 - Evidently raises here too: its path names the rows and the error
        return None
    # native values are bools, ints, floats or None (never NaN): as _evidently._number reads them
    return [None if v is None else float(v) for v in raw]


def _from_evidently(samples: Sequence[Sample], left: list[_Check], evidently: EvidentlyScores) -> tuple[Score, ...]:
    """The Evidently-only checks' scores: for each sample, one per check of ``left`` in its order."""
    by_suite: dict[str, tuple[SuiteConfig, list[CheckConfig]]] = {}
    for c in left:  # in config order, so grouped by suite
        by_suite.setdefault(c.suite.name, (c.suite, []))[1].append(c.check)
    subset = [suite.model_copy(update={"evidently": kept}) for suite, kept in by_suite.values()]
    got = evidently(samples, subset)
    if len(got) != len(left) * len(samples):
        raise RuntimeError(f"Evidently gave {len(got)} scores for {len(samples)} samples x {len(left)} checks")
    return got


class _Table:
    """The columns Evidently's frame would hold (``_frame.build_frame``), as plain lists."""

    def __init__(self, rows: Sequence[Sample], item_columns: frozenset[str]) -> None:
        names: dict[str, None] = {OUTPUT: None}
        for sample in rows:
            names.update(dict.fromkeys(sample.inputs))
        self.names = names
        self.item_columns = item_columns
        self._rows = rows
        self._cache: dict[str, list[Any]] = {}

    def column(self, name: str) -> list[Any]:
        if name not in self._cache:
            if name == OUTPUT:
                self._cache[name] = [s.output for s in self._rows]
            else:
                convert = as_items if name in self.item_columns else as_text
                self._cache[name] = [convert(s.inputs.get(name)) for s in self._rows]
        return self._cache[name]
