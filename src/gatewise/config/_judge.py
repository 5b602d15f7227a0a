"""Typed config of a judge suite (``suites[].judge``): one deepeval metric, its G-Eval wording,
which dataset columns fill deepeval's test-case fields, and the per-row pass threshold.

The judge endpoint itself (``judge:``) is ``JudgeConfig`` in ``_models``, next to ``EndpointConfig``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._strict import StrictModel

JudgeMetric = Literal["g-eval", "answer-relevancy", "faithfulness", "hallucination", "bias", "toxicity",
                      "contextual-precision", "contextual-recall", "contextual-relevancy"]

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

        if self.metric == "g-eval":
            if self.criteria is None and self.evaluation_steps is None:
                raise error_at(("metric",), "g-eval needs criteria or evaluation_steps")
        else:
            for key in ("criteria", "evaluation_steps", "rubric"):
                if getattr(self, key) is not None:
                    raise error_at((key,), f"{key} applies to g-eval only, not to {self.metric}")
        for field in REQUIRED_FIELDS.get(self.metric, ()):
            if getattr(self.columns, field) is None:
                raise error_at(("metric",), f"{self.metric} needs columns.{field}: the dataset column holding it")
        return self
