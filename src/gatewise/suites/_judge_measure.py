"""One row measured on one judge suite, by gatewise's own G-Eval or by a deepeval metric: its score
(0-1, higher is better) and reason, or what went wrong. ``JudgeStage`` turns that into a Score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import SuiteConfig
from ..samples import Sample
from ._judge_client import JudgeCallError
from ._judge_reply import JudgeOutputError

if TYPE_CHECKING:
    from ._geval import GEvalSuite, NativeGEval


@dataclass(frozen=True)
class Measured:
    """A usable ``value``; or ``failure`` (no answer to read: the row's error as it stands); or
    ``unusable`` (the judge answered, with ``reason``, but its score cannot be used)."""

    value: float | None = None
    reason: Any = None
    failure: str | None = None
    unusable: str | None = None


async def measure_native(geval: NativeGEval, suite: GEvalSuite, case: dict[str, Any],
                         steps: dict[str, list[str]], name: str) -> Measured:
    """gatewise's G-Eval; ``steps`` holds each suite's generated steps, filled by the first row to get them."""
    try:
        known = steps.get(name)
        if known is None:
            known = await geval.steps(suite)
            if suite.given_steps is None and (usable := usable_steps(known)) is not None:
                steps.setdefault(name, usable)
        raw, reason = await geval.score(suite, case, known)
    except (JudgeCallError, JudgeOutputError) as exc:
        return Measured(failure=str(exc))
    except Exception as exc:  # noqa: BLE001 - rendering or reading went wrong: this row is an error, never a score
        return Measured(failure=f"gatewise G-Eval {type(exc).__name__}: {exc}")
    if not unit_number(raw):
        return Measured(reason=reason, unusable=f"deepeval gave no usable score ({raw!r})")  # deepeval's words
    return Measured(raw, reason)


async def measure_deepeval(sample: Sample, suite: SuiteConfig, model: Any, violations: bool,
                           steps: dict[str, list[str]]) -> Measured:
    """A fresh deepeval metric's ``a_measure`` on the row (deepeval keeps a measurement's state on
    the metric object); G-Eval's generated steps are shared through ``steps`` as above."""
    from ._judge_metrics import build_case, build_metric, higher_is_better_score

    judge = suite.judge
    assert judge is not None
    try:
        metric = build_metric(suite.name, judge, model, violations, steps.get(suite.name))
        await metric.a_measure(build_case(sample, judge), _show_indicator=False)
        if judge.metric == "g-eval" and not judge.evaluation_steps and suite.name not in steps:
            if (usable := usable_steps(getattr(metric, "evaluation_steps", None))) is not None:
                steps[suite.name] = usable
    except (JudgeCallError, JudgeOutputError) as exc:
        return Measured(failure=str(exc))
    except Exception as exc:  # noqa: BLE001 - whatever deepeval raised, this row has no score
        return Measured(failure=f"deepeval {type(exc).__name__}: {exc}")
    raw, reason = getattr(metric, "score", None), getattr(metric, "reason", None)
    if getattr(metric, "error", None) is not None or not unit_number(raw):
        return Measured(reason=reason, unusable=getattr(metric, "error", None)
                        or f"deepeval gave no usable score ({raw!r})")
    return Measured(higher_is_better_score(judge, float(raw), violations), reason)  # type: ignore[arg-type]


def usable_steps(generated: object) -> list[str] | None:
    """G-Eval steps fit to give the next rows (deepeval refuses an empty list)."""
    if isinstance(generated, list) and generated and all(isinstance(step, str) for step in generated):
        return list(generated)
    return None


def unit_number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and 0.0 <= float(value) <= 1.0)
