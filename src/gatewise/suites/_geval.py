"""G-Eval on single-turn rows, computed by gatewise itself: deepeval's own prompts, schemas and
score, without importing deepeval (~1 s before the first judge call, and a metric object per row).

This restates what deepeval 4's ``GEval.a_measure`` does with a custom judge model such as
gatewise's (``metrics/g_eval/g_eval.py``, ``utils.py``, ``metrics/utils/decision.py``): the
steps are asked for with the ``generate_evaluation_steps`` prompt and the ``Steps`` schema (unless
the suite gives its own); each row's ``generate_evaluation_results`` prompt numbers them and lists
the test case's fields; the answer is read with the ``ReasonScore`` schema (a custom model has no
logprobs path: deepeval takes the score as given) and normalised as ``(score - low) / (high - low)``
over the rubric's range (0-10 without one). ``tests/test_geval_parity.py`` runs rows through both
paths against the stand-in judge and requires byte-identical requests and identical scores.

Left to deepeval's GEval (``native_suite``/``is_multimodal`` say so): a row holding deepeval's
image/PDF placeholders (deepeval's multimodal prompt and its refusal of a text-only judge), a
suite with ``columns.expected_tools`` (deepeval refuses the row), a rubric whose range is one point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..config import JudgeSuiteConfig
from ._geval_templates import GEvalTemplates
from ._judge_client import JudgeClient
from ._judge_guard import guarded_criteria, guarded_steps
from ._judge_metrics import evaluation_fields
from ._judge_reply import ask_judge


# deepeval's ``g_eval.schema`` Steps and ReasonScore: the same names and fields, so the same JSON
# schema in ``response_format`` (no docstrings: pydantic would send them as its "description")
class Steps(BaseModel):
    steps: list[str]


class ReasonScore(BaseModel):
    reason: str
    score: float


# deepeval's G_EVAL_PARAMS: how each test-case field is named in the prompt
_LABELS = {"input": "Input", "actual_output": "Actual Output", "expected_output": "Expected Output",
           "context": "Context", "retrieval_context": "Retrieval Context"}
# LLMTestCase.set_is_multimodal: a placeholder in any of these makes deepeval's prompt multimodal
_MULTIMODAL = re.compile(r"\[DEEPEVAL:(?:IMAGE|PDF):(.*?)\]")


@dataclass(frozen=True)
class GEvalSuite:
    """What every row's prompts of one G-Eval suite share."""

    fields: tuple[str, ...]
    parameters: str
    criteria: str | None
    given_steps: tuple[str, ...] | None
    rubric: str | None
    score_range: tuple[int, int]


def native_suite(judge: JudgeSuiteConfig) -> GEvalSuite | None:
    """The suite as gatewise's G-Eval judges it, or None when deepeval's GEval must (see the module)."""
    if judge.metric != "g-eval" or judge.columns.expected_tools is not None:
        return None
    bands = sorted(judge.rubric or (), key=lambda band: band.score_range[0])  # validate_and_sort_rubrics
    score_range = (bands[0].score_range[0], bands[-1].score_range[1]) if bands else (0, 10)
    if score_range[1] == score_range[0]:
        return None  # deepeval divides by the range's span: its own error names the problem
    fields = tuple(evaluation_fields(judge))
    return GEvalSuite(
        fields=fields,
        parameters=_parameters([_LABELS[field] for field in fields]),
        criteria=guarded_criteria(judge.criteria) if judge.criteria is not None else None,
        given_steps=tuple(guarded_steps(judge.evaluation_steps)) if judge.evaluation_steps else None,
        rubric="\n".join(f"{low}: {band.expected_outcome}" if low == high else
                         f"{low}-{high}: {band.expected_outcome}"
                         for band in bands for low, high in [band.score_range]) if bands else None,
        score_range=score_range,
    )


def is_multimodal(case: dict[str, Any]) -> bool:
    """Whether deepeval would read the row as multimodal (an image or PDF placeholder in a field)."""
    for field in ("input", "actual_output", "expected_output"):
        if isinstance(case.get(field), str) and _MULTIMODAL.search(case[field]) is not None:
            return True
    return any(isinstance(text, str) and _MULTIMODAL.search(text) is not None
               for field in ("context", "retrieval_context") for text in case.get(field) or ())


class NativeGEval:
    """gatewise's G-Eval for one run: deepeval's templates, the run's judge client."""

    def __init__(self, templates: GEvalTemplates, client: JudgeClient) -> None:
        self.templates = templates
        self.client = client

    def steps_prompt(self, suite: GEvalSuite) -> str:
        return self.templates.steps_prompt(criteria=suite.criteria, parameters=suite.parameters)

    async def steps(self, suite: GEvalSuite) -> list[str]:
        """The suite's own steps, or the ones the judge writes from its criteria."""
        if suite.given_steps:
            return list(suite.given_steps)
        return (await self._ask(self.steps_prompt(suite), Steps)).steps

    def results_prompt(self, suite: GEvalSuite, case: dict[str, Any], steps: list[str]) -> str:
        return self.templates.results_prompt(
            evaluation_steps="".join(f"{index}. {step}\n" for index, step in enumerate(steps, start=1)),
            test_case_content="".join(f"{_LABELS[field]}:\n{case[field]} \n\n" for field in suite.fields),
            parameters=suite.parameters, rubric=suite.rubric, score_range=suite.score_range)

    async def score(self, suite: GEvalSuite, case: dict[str, Any], steps: list[str]) -> tuple[float, str]:
        """The row's score as deepeval reports it (0-1 over the suite's range) and the judge's reason."""
        answer = await self._ask(self.results_prompt(suite, case, steps), ReasonScore)
        low, high = suite.score_range
        return (float(answer.score) - low) / (high - low), answer.reason

    async def _ask(self, prompt: str, schema: type[BaseModel]) -> Any:
        return await ask_judge(self.client, prompt, schema)  # as GatewiseJudge asks for deepeval


def _parameters(labels: list[str]) -> str:
    """deepeval's ``construct_g_eval_params_string``: "A", "A and B", "A, B, and C"."""
    if len(labels) <= 2:
        return " and ".join(labels)
    return ", ".join(labels[:-1]) + ", and " + labels[-1]
