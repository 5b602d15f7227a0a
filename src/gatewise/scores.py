"""Per-row results of a check: the value Evidently (or a built-in) computed and whether it passed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Score:
    """One check on one sample. ``metric`` is ``suite.check`` (for example ``format.length``).

    ``value`` is the descriptor's own value (a length, a count, 1.0/0.0 for a boolean check);
    ``passed`` is the check's verdict for the row; ``error`` is set when the row could not be
    scored (its call failed, or the check raised), in which case ``passed`` is False.

    Judge suites also record the judge's ``reason`` and the ``judge_model`` id its responses named.
    """

    row_id: str
    metric: str
    value: float | None
    passed: bool
    repeat: int = 0
    error: str | None = None
    reason: str | None = None
    judge_model: str | None = None

    @property
    def suite(self) -> str:
        return self.metric.split(".", 1)[0]

    @classmethod
    def from_record(cls, row_id: str, repeat: int, metric: str, item: dict) -> "Score":
        """One entry of a results.jsonl line's ``scores`` (``metric: {value, passed, error, …}``)."""
        return cls(row_id, str(metric), item.get("value"), bool(item.get("passed")), repeat, item.get("error"),
                   item.get("reason"), item.get("judge_model"))


@dataclass(frozen=True)
class Measure:
    """A statistic of a whole dataset that a suite computed, such as a classifier's accuracy.

    ``metric`` is the suite (``clf``) or one of its parts (``clf.setosa``, ``drift.age``);
    ``value`` is None when it could not be computed, which fails any threshold on it.
    """

    metric: str
    statistic: str
    value: float | None


@dataclass(frozen=True)
class Measured:
    """What a dataset-level suite produced: per-row scores and the dataset's statistics."""

    scores: tuple[Score, ...] = ()
    measures: tuple[Measure, ...] = ()

    def __add__(self, other: "Measured") -> "Measured":
        return Measured(self.scores + other.scores, self.measures + other.measures)
