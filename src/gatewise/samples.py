"""What one call to the model under test produced: the first immutable value of a gate run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message. ``extra`` holds the OpenAI fields beyond role and content that a
    conversation row may carry (an assistant's ``tool_calls``, a tool result's ``tool_call_id``,
    ``name``), sent as they are; ``content`` is None where OpenAI allows it (tool calls only)."""

    role: str
    content: Any
    extra: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The message as the chat API takes it."""
        wire = {"role": self.role, "content": self.content}
        return {**wire, **self.extra} if self.extra else wire

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Message":
        """A message as ``to_dict`` wrote it: role, content (text, parts or null) and the rest."""
        extra = {key: value for key, value in data.items() if key not in ("role", "content")}  # tool_calls, ids
        return cls(str(data["role"]), data.get("content"), extra or None)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call the model answered with; ``arguments`` is the JSON text as it came
    (the model's, so it may be invalid: checks score that)."""

    name: str
    arguments: str
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ToolCall":
        return cls(str(data.get("name") or ""), str(data.get("arguments") or ""), data.get("id"))


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
    # the function calls the answer held (a row sent with tools); its text output names them too
    tool_calls: tuple[ToolCall, ...] = ()
    # calls made for this row: 1, or one per user turn of a simulated conversation (``messages``
    # then holds the whole conversation up to the last answer, every earlier answer included)
    turns: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "row_id": self.row_id,
            "repeat": self.repeat,
            "inputs": dict(self.inputs),
            "messages": [m.to_dict() for m in self.messages],
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
            "tool_calls": [call.to_dict() for call in self.tool_calls],
            "turns": self.turns,
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> "Sample":
        """A sample as ``to_dict`` wrote it (a results.jsonl line; other keys, such as scores, ignored)."""
        return cls(
            row_id=str(record["row_id"]), inputs=dict(record.get("inputs") or {}),
            messages=tuple(Message.from_dict(m) for m in record.get("messages") or ()),
            output=record.get("output"), error=record.get("error"), repeat=int(record.get("repeat") or 0),
            latency_ms=record.get("latency_ms"), prompt_tokens=record.get("prompt_tokens"),
            completion_tokens=record.get("completion_tokens"), finish_reason=record.get("finish_reason"),
            model_id=record.get("model_id"),
            # 0 is a real value (answered from the cache): only a missing count reads as one attempt
            attempts=int(record["attempts"]) if record.get("attempts") is not None else 1,
            cached=bool(record.get("cached")), prediction=record.get("prediction"),
            tool_calls=tuple(ToolCall.from_dict(c) for c in record.get("tool_calls") or ()),
            turns=int(record.get("turns") or 1),
        )
