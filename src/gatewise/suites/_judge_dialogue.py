"""deepeval's conversational metrics (conversational G-Eval, knowledge retention, role adherence,
conversation completeness, turn relevancy) and its tool-correctness metric, with their test cases
built from a sample: the conversation is the messages sent plus the answer; the tools called are
the answer's ``tool_calls``.

Tool correctness runs in deepeval's default mode: it compares the called tools with the expected
ones without asking the judge (no ``available_tools`` is given, so no tool-selection prompt).
"""

from __future__ import annotations

import json
from typing import Any

from ..config import JudgeSuiteConfig
from ..dialogue import RowValueError, parse_expected_calls
from ..samples import Sample
from ._judge_guard import delimit, guarded_criteria, guarded_steps


def build_dialogue_metric(name: str, judge: JudgeSuiteConfig, common: dict[str, Any]) -> Any:
    from deepeval import metrics

    if judge.metric == "conversational-g-eval":
        from deepeval.test_case import MultiTurnParams

        params = [MultiTurnParams.ROLE, MultiTurnParams.CONTENT]
        params += [getattr(MultiTurnParams, "EXPECTED_OUTCOME" if field == "expected_output" else "CONTEXT")
                   for field, _ in judge.columns.items()]
        return metrics.ConversationalGEval(
            name=name, evaluation_params=params,
            criteria=guarded_criteria(judge.criteria) if judge.criteria is not None else None,
            evaluation_steps=guarded_steps(judge.evaluation_steps) if judge.evaluation_steps else None,
            rubric=_rubric(judge), **common)
    if judge.metric == "tool-correctness":
        return metrics.ToolCorrectnessMetric(include_reason=True, **common)
    classes = {"knowledge-retention": metrics.KnowledgeRetentionMetric,
               "role-adherence": metrics.RoleAdherenceMetric,
               "conversation-completeness": metrics.ConversationCompletenessMetric,
               "turn-relevancy": metrics.TurnRelevancyMetric}
    # "llm": the judge decides every step; other modes send rows to a remote service
    return classes[judge.metric](eval_mode="llm", include_reason=True, **common)


def _rubric(judge: JudgeSuiteConfig) -> list[Any] | None:
    if judge.rubric is None:
        return None
    from deepeval.metrics.g_eval import Rubric

    return [Rubric(score_range=band.score_range, expected_outcome=band.expected_outcome) for band in judge.rubric]


def conversation_case(sample: Sample, judge: JudgeSuiteConfig) -> Any:
    """The user and assistant turns of the conversation, the answer last. System and tool messages
    are not turns in deepeval's sense; every assistant turn is the judged model's (or the row's
    stand-in for it) and is delimited as judged text."""
    from deepeval.test_case import ConversationalTestCase, Turn

    assert sample.output is not None
    turns = []
    for message in sample.messages:
        if message.role not in ("user", "assistant"):
            continue
        text = _text(message.content) or _calls_text(message.extra)
        if text:
            turns.append(Turn(role=message.role, content=delimit(text) if message.role == "assistant" else text))
    turns.append(Turn(role="assistant", content=delimit(sample.output)))
    fields: dict[str, Any] = {"turns": turns}
    if judge.chatbot_role is not None:
        fields["chatbot_role"] = judge.chatbot_role
    for field, column in judge.columns.items():
        value = sample.inputs.get(column)
        if field == "expected_output":
            fields["expected_outcome"] = _text(value)
        elif field == "context":
            fields["context"] = value if isinstance(value, list) else [_text(value)]
    return ConversationalTestCase(**fields)


def tool_case(sample: Sample, judge: JudgeSuiteConfig, prompt: str) -> Any:
    from deepeval.test_case import LLMTestCase, ToolCall

    column = judge.columns.expected_tools
    assert column is not None and sample.output is not None
    try:
        expected = parse_expected_calls(sample.inputs.get(column))
    except RowValueError as exc:
        raise ValueError(f"column {column!r}: {exc}") from None
    called = [ToolCall(name=call.name, input_parameters=_arguments(call.arguments)) for call in sample.tool_calls]
    return LLMTestCase(input=prompt, actual_output=delimit(sample.output), tools_called=called,
                       expected_tools=[ToolCall(name=name, input_parameters=args) for name, args in expected])


def _arguments(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # content parts
        return "\n".join(part.get("text", "") for part in value if isinstance(part, dict))
    return str(value)


def _calls_text(extra: Any) -> str:
    calls = (extra or {}).get("tool_calls") or []
    return "\n".join(f"{(c.get('function') or {}).get('name')}({(c.get('function') or {}).get('arguments')})"
                     for c in calls if isinstance(c, dict))
