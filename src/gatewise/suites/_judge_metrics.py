"""deepeval's metric objects and test cases for a judge suite, and which way its scores point.

A deepeval metric keeps the state of its last measurement on itself, so each row gets its own
instance; the judge model (and its client, cache and concurrency bound) is shared.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..config import LOWER_IS_BETTER, JudgeSuiteConfig
from ..config._judge import CONVERSATIONAL
from ._judge_dialogue import build_dialogue_metric, conversation_case, tool_case
from ..samples import Sample
from ._judge_guard import delimit, guarded_criteria, guarded_steps

# the JudgeColumns fields that are deepeval SingleTurnParams members (by upper-cased name)
_PARAMS = frozenset({"input", "expected_output", "context", "retrieval_context"})


def violations_scored() -> bool:
    """Whether this deepeval scores bias/toxicity/hallucination as a share of violations (lower is
    better, deepeval < 4). deepeval 4 flipped them to "1 is a pass" and ships the warning that says so."""
    try:
        from deepeval.metrics.utils.metrics import warn_score_direction_flipped  # noqa: F401
    except ImportError:
        return True
    return False


def higher_is_better_score(judge: JudgeSuiteConfig, raw: float, violations: bool) -> float:
    """deepeval's score as gatewise reports it: higher is better for every judge metric."""
    return 1.0 - raw if violations and judge.metric in LOWER_IS_BETTER else raw


def build_metric(name: str, judge: JudgeSuiteConfig, model: Any, violations: bool,
                 generated_steps: list[str] | None = None) -> Any:
    """A fresh metric for one row; ``generated_steps``: the G-Eval steps the judge already wrote for
    this suite (from its criteria), given as they are so the row does not ask for them again."""
    from deepeval import metrics

    threshold = judge.threshold
    if violations and judge.metric in LOWER_IS_BETTER:
        threshold = 1.0 - threshold  # deepeval's own threshold is then a maximum
    common = {"threshold": threshold, "model": model, "async_mode": True}
    if judge.metric == "g-eval":
        return metrics.GEval(
            name=name,
            evaluation_params=_evaluation_params(judge),
            criteria=guarded_criteria(judge.criteria) if judge.criteria is not None else None,
            evaluation_steps=(guarded_steps(judge.evaluation_steps) if judge.evaluation_steps
                              else generated_steps or None),
            rubric=_rubric(judge),
            **common,
        )
    if judge.metric in CONVERSATIONAL or judge.metric == "tool-correctness":
        return build_dialogue_metric(name, judge, common)
    classes = {"answer-relevancy": metrics.AnswerRelevancyMetric, "faithfulness": metrics.FaithfulnessMetric,
               "hallucination": metrics.HallucinationMetric, "bias": metrics.BiasMetric,
               "toxicity": metrics.ToxicityMetric, "contextual-precision": metrics.ContextualPrecisionMetric,
               "contextual-recall": metrics.ContextualRecallMetric,
               "contextual-relevancy": metrics.ContextualRelevancyMetric}
    # "llm": the judge decides every step; other modes send rows to a remote service
    return classes[judge.metric](eval_mode="llm", include_reason=True, **common)


def build_case(sample: Sample, judge: JudgeSuiteConfig) -> Any:
    from deepeval.test_case import LLMTestCase

    assert sample.output is not None
    if judge.metric in CONVERSATIONAL:
        return conversation_case(sample, judge)
    if judge.metric == "tool-correctness":
        return tool_case(sample, judge, _prompt_text(sample))
    return LLMTestCase(**case_fields(sample, judge))


def case_fields(sample: Sample, judge: JudgeSuiteConfig) -> dict[str, Any]:
    """A single-turn row as deepeval's ``LLMTestCase`` fields: the prompt sent (or ``columns.input``),
    the delimited output, and the other columns' values (context fields as lists of passages)."""
    assert sample.output is not None
    fields: dict[str, Any] = {"input": _prompt_text(sample), "actual_output": delimit(sample.output)}
    for field, column in judge.columns.items():
        value = sample.inputs.get(column)
        fields[field] = _as_list(value) if field in ("context", "retrieval_context") else _as_text(value)
    return fields


def evaluation_fields(judge: JudgeSuiteConfig) -> list[str]:
    """The test-case fields G-Eval shows the judge, in the order deepeval lists them."""
    return ["input", "actual_output", *(field for field, _ in judge.columns.items()
                                        if field in _PARAMS and field != "input")]


def _evaluation_params(judge: JudgeSuiteConfig) -> list[Any]:
    from deepeval.test_case import SingleTurnParams

    return [getattr(SingleTurnParams, field.upper()) for field in evaluation_fields(judge)]


def _rubric(judge: JudgeSuiteConfig) -> list[Any] | None:
    if judge.rubric is None:
        return None
    from deepeval.metrics.g_eval import Rubric

    return [Rubric(score_range=band.score_range, expected_outcome=band.expected_outcome) for band in judge.rubric]


def _prompt_text(sample: Sample) -> str:
    """What the model was asked: the last user message sent (deepeval's ``input``)."""
    users = [m.content for m in sample.messages if m.role == "user"]
    return _as_text(users[-1]) if users else ""  # content parts (a list) read as their JSON


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _as_list(value: Any) -> list[str]:
    """deepeval's context fields are lists of passages: a list column as is, a text column as one."""
    if isinstance(value, (list, tuple)):
        return [_as_text(v) for v in value]
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return [_as_text(v) for v in parsed]
    text = _as_text(value)
    return [text] if text else []
