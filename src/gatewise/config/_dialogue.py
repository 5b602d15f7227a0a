"""Config of conversations and tool calls: where a row's messages, user turns and tools come
from (``prompt.messages`` / ``prompt.turns`` / ``prompt.tools``), and the ``tool_calls`` suite
that scores the calls the model answered with."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._strict import StrictModel, error_at

# "auto" / "none" / "required" as vLLM takes them, or the name of the one function to call
ToolChoice = str
FUNCTION_NAME = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"


class ToolCallsConfig(StrictModel):
    """The deterministic tool-call checks of one suite: right tool, argument match, schema."""

    expected: str = Field(min_length=1, description="column holding the expected calls: [{name, arguments}]")
    arguments: Literal["exact", "subset", "ignore"] = Field(
        "exact", description="exact: the same arguments; subset: the expected ones with equal values, "
                             "others allowed; ignore: names only")
    order: bool = Field(False, description="calls must come in the expected order")
    tools: str | None = Field(None, min_length=1, description="column holding the offered tools; default prompt.tools")
    schema_: bool = Field(True, alias="schema",
                          description="each call's arguments are JSON valid against its tool's parameters")

    def check_labels(self) -> tuple[str, ...]:
        """The per-row checks this suite scores, as ``suite.<label>`` metrics."""
        labels = ["tool"]
        if self.arguments != "ignore":
            labels.append("arguments")
        if self.schema_:
            labels.append("schema")
        return tuple(labels)


def check_prompt_source(prompt: Any) -> None:
    """A prompt has one source of what the model is asked, and tool settings that fit it."""
    given = [key for key in ("user", "messages", "turns") if getattr(prompt, key) is not None]
    if len(given) != 1:
        found = f"it has {' and '.join(given)}" if given else "it has none"
        raise error_at((given[1] if given else "user",),
                       f"a prompt needs exactly one of: user (a template), messages (a column of chat "
                       f"turns), turns (a column of user turns) ({found})")
    if prompt.turns is not None and prompt.tools is not None:
        raise error_at(("tools",), "a simulated conversation (turns) cannot carry tools: nothing would answer "
                                   "the calls; give the conversation with its tool results as messages")
    if prompt.tool_choice is not None and prompt.tools is None:
        raise error_at(("tool_choice",), "tool_choice needs tools: the column holding each row's tool schemas")
    choice = prompt.tool_choice
    if choice is not None and choice not in ("auto", "none", "required"):
        import re

        if not re.match(FUNCTION_NAME, choice):
            raise error_at(("tool_choice",), f"tool_choice is auto, none, required or a function name, "
                                             f"not {choice!r}")


def check_tool_suites(config: Any) -> None:
    """Every ``tool_calls`` suite has tools to read: the model is only offered the row's tools."""
    for index, suite in enumerate(config.suites):
        if suite.tool_calls is not None and (config.prompt is None or config.prompt.tools is None):
            raise error_at(("suites", index, "tool_calls"),
                           "a tool_calls suite needs prompt.tools: the column holding each row's tool schemas")


__all__ = ["FUNCTION_NAME", "ToolCallsConfig", "ToolChoice", "check_prompt_source",
           "check_tool_suites"]
