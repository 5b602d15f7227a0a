"""The stand-in's tool calling, as vLLM serves it with ``--enable-auto-tool-choice``: the answer
table's answer for a question may be calls (``[{"name": ..., "arguments": {...}}]`` as JSON), and
is sent back as ``message.tool_calls`` when the request offers tools.

It serves as vLLM started with ``--enable-auto-tool-choice --tool-call-parser``: without them vLLM
(0.32) refuses "auto" and "required" with a 400. vLLM's shapes: "auto" (the default when tools are
given) answers calls with ``content: null`` and ``finish_reason: "tool_calls"``; "required" and a
named function answer ``content: ""`` and ``finish_reason: "stop"``; "none" answers text, and a
text answer has no ``tool_calls`` key. Call ids are ``chatcmpl-tool-<hex>``; arguments are JSON text.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from . import _shapes as shapes


class ToolRequestError(Exception):
    """A tool request vLLM refuses: ``location`` set for its request model's (pydantic) errors,
    else its OpenAI layer's 400 naming ``param`` (the words checked against vLLM 0.32)."""

    def __init__(self, message: str, location: str | None = None, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message, self.location, self.param = message, location, param


@dataclass(frozen=True)
class OfferedTools:
    names: tuple[str, ...]
    choice: Any  # "auto" | "none" | "required" | {"type": "function", "function": {"name": ...}}


@dataclass(frozen=True)
class ToolAnswer:
    content: str | None
    finish_reason: str
    tool_calls: list[dict[str, Any]] | None = None


def checked_tools(payload: dict[str, Any]) -> OfferedTools | None:
    """The request's tools and tool choice, checked as vLLM's request model checks them."""
    tools, choice = payload.get("tools"), payload.get("tool_choice")
    if tools is None:
        if choice not in (None, "none"):
            raise ToolRequestError("When using `tool_choice`, `tools` must be set. (parameter=tool_choice)",
                                   param="tool_choice")
        return None
    if not isinstance(tools, list) or not all(_is_function(tool) for tool in tools):
        raise ToolRequestError("Input should be a valid list", "body.tools")
    names = tuple(tool["function"]["name"] for tool in tools)
    choice = "auto" if choice is None else choice  # vLLM's default when tools are given
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name") if choice.get("type") == "function" else None
        if not isinstance(name, str):
            raise ToolRequestError("Input should be a valid named tool choice", "body.tool_choice")
        if name not in names:
            raise ToolRequestError("The tool specified in `tool_choice` does not match any of the specified "
                                   "`tools` (parameter=tool_choice)", param="tool_choice")
    elif choice not in ("auto", "none", "required"):
        raise ToolRequestError(f"Invalid value for `tool_choice`: {choice}! Only named tools, \"none\", \"auto\" "
                               "or \"required\" are supported. (parameter=tool_choice)", param="tool_choice")
    return OfferedTools(names, choice)


def tool_answer(text: str, finish_reason: str, offered: OfferedTools | None) -> ToolAnswer:
    """The model's text as vLLM would send it back: calls when the text is calls and tools are on."""
    if offered is None or offered.choice == "none":
        return ToolAnswer(text, finish_reason)
    calls = _calls_in(text)
    if isinstance(offered.choice, dict):
        # guided decoding forces the named function; the arguments are what the model wrote for it
        name = offered.choice["function"]["name"]
        arguments = next((args for called, args in calls if called == name), "{}")
        return ToolAnswer("", "stop", [_call(name, arguments)])
    if offered.choice == "required":
        calls = calls or [(offered.names[0], "{}")]  # guided decoding: at least one call
        return ToolAnswer("", "stop", [_call(name, args) for name, args in calls])
    if not calls:
        return ToolAnswer(text, finish_reason)
    return ToolAnswer(None, "tool_calls", [_call(name, args) for name, args in calls])


def _calls_in(text: str) -> list[tuple[str, str]]:
    """(name, arguments JSON text) of each call the text holds; none when it is not calls."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return []
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list) or not items:
        return []
    calls = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return []
        arguments = item.get("arguments", {})
        # a string is sent as it is: tests give a model that writes invalid JSON that way
        calls.append((item["name"], arguments if isinstance(arguments, str)
                      else json.dumps(arguments, ensure_ascii=False)))
    return calls


def _call(name: str, arguments: str) -> dict[str, Any]:
    return shapes.tool_call(f"chatcmpl-tool-{uuid.uuid4().hex}", name, arguments)


def _is_function(tool: Any) -> bool:
    function = tool.get("function") if isinstance(tool, dict) else None
    return isinstance(function, dict) and isinstance(function.get("name"), str) and tool.get("type") == "function"
