"""What one call to the model under test produced: the first immutable value of a gate run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Sample:
    """One dataset row sent once to the endpoint (``repeat`` counts re-samplings of a row).

    Exactly one of ``output`` and ``error`` is set: a row whose call failed after retries keeps
    its error and no output, so it can never be scored as a pass.
    """

    row_id: str
    inputs: Mapping[str, Any]
    messages: tuple[Message, ...]
    output: str | None
    error: str | None = None
    repeat: int = 0
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    model_id: str | None = None
    attempts: int = 1
    cached: bool = False
    # a predictive model's answer as it came (a class or a number); ``output`` is its text
    prediction: float | int | str | bool | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "row_id": self.row_id,
            "repeat": self.repeat,
            "inputs": dict(self.inputs),
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "output": self.output,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "finish_reason": self.finish_reason,
            "model_id": self.model_id,
            "attempts": self.attempts,
            "cached": self.cached,
            "prediction": self.prediction,
        }
