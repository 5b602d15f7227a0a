"""Typed config of a judge suite (``suites[].judge``): one deepeval metric, its G-Eval wording,
which dataset columns fill deepeval's test-case fields, and the per-row pass threshold.

The judge endpoint itself (``judge:``) is ``JudgeConfig`` in ``_models``, next to ``EndpointConfig``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._strict import StrictModel

JudgeMetric = Literal["g-eval", "answer-relevancy", "faithfulness", "hallucination", "bias", "toxicity",
                      "contextual-precision", "contextual-recall", "contextual-relevancy",
                      "conversational-g-eval", "knowledge-retention", "role-adherence", "conversation-completeness",
                      "turn-relevancy", "tool-correctness"]

# metrics of a whole conversation (deepeval's ConversationalTestCase): the row's messages and answer
CONVERSATIONAL = frozenset({"conversational-g-eval", "knowledge-retention", "role-adherence",
                            "conversation-completeness", "turn-relevancy"})
# metrics written by their criteria or steps
G_EVAL = frozenset({"g-eval", "conversational-g-eval"})

# deepeval before 4 scored these as the share of violations (lower is better); deepeval 4 scores
# them like every other metric (1 is a pass). gatewise reports all of them as higher-is-better.
LOWER_IS_BETTER = frozenset({"bias", "toxicity", "hallucination"})

# the deepeval test-case field each metric cannot do without (besides input and actual_output)
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "faithfulness": ("retrieval_context",),
    "hallucination": ("context",),
    # retrieval: are the passages ranked well, do they cover the reference, are they on the question
    "contextual-precision": ("retrieval_context", "expected_output"),
    "contextual-recall": ("retrieval_context", "expected_output"),
    "contextual-relevancy": ("retrieval_context",),
    "tool-correctness": ("expected_tools",),
}


class RubricBand(StrictModel):
    score_range: tuple[int, int] = Field(description="inclusive band of the 0-10 judge score")
    expected_outcome: str = Field(min_length=1)

    @field_validator("score_range")
    @classmethod
    def _in_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        low, high = value
        if not (0 <= low <= high <= 10):
            raise ValueError("score_range is [low, high] with 0 <= low <= high <= 10")
        return value


class JudgeColumns(StrictModel):
    """Which dataset column fills each deepeval test-case field; ``input`` defaults to the prompt sent."""

    input: str | None = None
    expected_output: str | None = None
    context: str | None = None
    retrieval_context: str | None = None
    expected_tools: str | None = Field(None, description="tool-correctness: the expected calls [{name, arguments}]")

    def items(self) -> list[tuple[str, str]]:
        return [(field, column) for field, column in self.model_dump().items() if column is not None]


class JudgeSuiteConfig(StrictModel):
    metric: JudgeMetric
    criteria: str | None = Field(None, min_length=1, description="g-eval: what a good answer is")
    evaluation_steps: list[str] | None = Field(None, min_length=1, description="g-eval: the steps, instead of criteria")
    rubric: list[RubricBand] | None = Field(None, min_length=1, description="g-eval: score bands")
    columns: JudgeColumns = Field(default_factory=JudgeColumns)
    threshold: float = Field(0.5, ge=0, le=1, description="a row passes when its score is at least this")
    only_if: list[str] | None = Field(
        None, min_length=1, description="evidently suites or suite.check names a row must pass to be judged; "
                                        "a row that does not is not sent to the judge and fails this suite")
    chatbot_role: str | None = Field(None, min_length=1, description="role-adherence: the role the model plays")

    @field_validator("criteria")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("criteria must say something")
        return value

    @field_validator("evaluation_steps")
    @classmethod
    def _steps_not_blank(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not step.strip() for step in value):
            raise ValueError("every evaluation step must say something")
        return value

    @field_validator("rubric")
    @classmethod
    def _bands_apart(cls, value: list[RubricBand] | None) -> list[RubricBand] | None:
        # deepeval refuses overlapping bands when the metric is built: refuse them here, before any call
        bands = sorted(value or (), key=lambda band: band.score_range)
        for low, high in zip(bands, bands[1:]):
            if low.score_range[1] >= high.score_range[0]:
                raise ValueError(f"rubric bands {list(low.score_range)} and {list(high.score_range)} overlap")
        return value

    @model_validator(mode="after")
    def _metric_needs(self) -> "JudgeSuiteConfig":
        from ._strict import error_at

        if self.metric in G_EVAL:
            if self.criteria is None and self.evaluation_steps is None:
                raise error_at(("metric",), f"{self.metric} needs criteria or evaluation_steps")
        else:
            for key in ("criteria", "evaluation_steps", "rubric"):
                if getattr(self, key) is not None:
                    raise error_at((key,), f"{key} applies to g-eval and conversational-g-eval only, "
                                           f"not to {self.metric}")
        if self.metric == "role-adherence" and self.chatbot_role is None:
            raise error_at(("metric",), "role-adherence needs chatbot_role: the role the model must keep")
        if self.chatbot_role is not None and self.metric not in CONVERSATIONAL:
            raise error_at(("chatbot_role",), f"chatbot_role applies to conversational metrics, not to {self.metric}")
        if self.metric in CONVERSATIONAL:
            for field, _ in self.columns.items():
                if field not in ("context", "expected_output"):
                    raise error_at(("columns", field), f"{self.metric} judges the conversation; columns.{field} "
                                                       "does not apply (context and expected_output do)")
        for field in REQUIRED_FIELDS.get(self.metric, ()):
            if getattr(self.columns, field) is None:
                raise error_at(("metric",), f"{self.metric} needs columns.{field}: the dataset column holding it")
        return self
