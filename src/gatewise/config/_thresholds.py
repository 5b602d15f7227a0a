"""Threshold expressions such as ``">= 0.9"``: parsed once, evaluated against a number."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Callable

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}
_EXPRESSION = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(%?)\s*$")

# statistics a threshold may name, and what they are computed over
STATISTICS = {
    "mean": "mean of the per-row value",
    "pass_rate": "share of rows that passed (errored rows count as failed)",
    "fail_count": "rows that failed",
    "min": "smallest per-row value",
    "max": "largest per-row value",
    "p50": "median of the per-row value",
    "p90": "90th percentile",
    "p95": "95th percentile",
    "p99": "99th percentile",
    "error_count": "rows that could not be scored",
    "count": "number of rows (errors: rows that errored)",
    "rate": "share of rows that errored (errors only)",
}
ROW_STATISTICS = frozenset(STATISTICS)

# statistics of a whole dataset that predictive suites compute (Evidently), not of per-row values
STATISTICS.update({
    "accuracy": "share of rows whose predicted class is the label",
    "precision": "precision, macro-averaged over classes (per class on suite.<class>)",
    "recall": "recall, macro-averaged over classes (per class on suite.<class>)",
    "f1": "F1 score, macro-averaged over classes (per class on suite.<class>)",
    "mae": "mean absolute error",
    "rmse": "root mean squared error",
    "mape": "mean absolute percentage error, as a fraction (0.05 is 5 %)",
    "drifted_share": "share of input columns whose distribution drifted from the reference",
    "drifted_count": "input columns whose distribution drifted from the reference",
    "drift_score": "the column's drift test statistic or p-value (Evidently's drift score)",
    "drift_detected": "1 when the column drifted, else 0",
})


@dataclass(frozen=True)
class Threshold:
    metric: str
    statistic: str
    op: str
    target: float
    expression: str
    line: int | None = None
    mode: str = "point"  # "point": the estimate meets the target; "confident": the interval's far end does


    @property
    def key(self) -> str:
        return f"{self.metric}.{self.statistic}"

    def holds(self, value: float | None) -> bool:
        # a missing value (no rows could be scored) never satisfies a threshold
        return value is not None and OPERATORS[self.op](value, self.target)

    def judged_value(self, value: float | None, interval: tuple[float, float] | None) -> float | None:
        """The number the target is checked against: the estimate, or in ``confident`` mode the
        interval's end on the failing side (lower for ``>=``/``>``, upper for ``<=``/``<``).
        No interval in confident mode is None, which fails: unmeasured is never confident."""
        if self.mode != "confident":
            return value
        if interval is None or value is None:
            return None
        return interval[0] if self.op in (">=", ">") else interval[1]

    def holds_with(self, value: float | None, interval: tuple[float, float] | None) -> bool:
        return self.holds(self.judged_value(value, interval))


MODES = ("point", "confident")
# operators whose "far end" of an interval is defined; == and != have none
DIRECTIONAL_OPERATORS = (">=", ">", "<=", "<")


def parse_expression(expression: str) -> tuple[str, float]:
    """``">= 0.9"`` -> (">=", 0.9); ``">= 90%"`` -> (">=", 0.9). Raises ValueError."""
    match = _EXPRESSION.match(str(expression))
    if not match:
        raise ValueError(
            f"{expression!r} is not a threshold expression; write an operator "
            f"({', '.join(OPERATORS)}) and a number, e.g. \">= 0.9\""
        )
    op, number, percent = match.groups()
    target = float(number) / (100.0 if percent else 1.0)
    return op, target
