"""Each sample with its scores, and whether the row passed: what results.jsonl and the summary share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..result import GateResult
from ..samples import Sample
from ..scores import Score


@dataclass(frozen=True)
class RowOutcome:
    sample: Sample
    scores: tuple[Score, ...]

    @property
    def failed_checks(self) -> tuple[Score, ...]:
        return tuple(s for s in self.scores if not s.passed or s.error is not None)

    @property
    def passed(self) -> bool:
        """Every check passed and the call did not fail (a row with no checks passes if it ran)."""
        return self.sample.ok and not self.failed_checks


def row_outcomes(result: GateResult) -> list[RowOutcome]:
    by_row = result.scores_by_row()
    return [RowOutcome(s, tuple(by_row.get((s.row_id, s.repeat), ()))) for s in result.samples]


def outcomes_of(result: GateResult, samples: Sequence[Sample]) -> list[RowOutcome]:
    """The outcomes of these samples only (a report's few listed rows): their scores picked out
    without grouping every row's, which at 100 000 rows cost more than the report itself."""
    ids = {s.row_id for s in samples}
    by_row: dict[tuple[str, int], list[Score]] = {}
    for score in [s for s in result.scores if s.row_id in ids]:
        by_row.setdefault((score.row_id, score.repeat), []).append(score)
    return [RowOutcome(s, tuple(by_row.get((s.row_id, s.repeat), ()))) for s in samples]


def failing_outcomes(result: GateResult) -> list[RowOutcome]:
    """The rows that did not pass, in sample order: the rows of ``row_outcomes`` whose ``passed``
    is false, found from the failed checks alone."""
    failed = {(s.row_id, s.repeat) for s in result.scores if not s.passed or s.error is not None}
    return outcomes_of(result, [s for s in result.samples if not s.ok or (failed and (s.row_id, s.repeat) in failed)])


def worst_first(outcomes: list[RowOutcome]) -> list[RowOutcome]:
    """Failing rows, errored calls first, then the rows failing most checks; ties keep dataset order."""
    failing = [o for o in outcomes if not o.passed]
    return sorted(failing, key=lambda o: (o.sample.ok, -len(o.failed_checks)))
