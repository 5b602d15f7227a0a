"""Tool calls in a chat answer: read from OpenAI's ``message.tool_calls`` (vLLM's shape), kept in
a response record as plain dicts (JSON for the cache), and turned into ``ToolCall`` values."""

from __future__ import annotations

from typing import Any, Mapping

from ..samples import ToolCall
from ._retry import CallFailed


def read_tool_calls(value: Any) -> list[dict[str, Any]]:
    """``[{id, name, arguments}]`` from ``message.tool_calls``; none for null or an empty list.

    ``arguments`` stays the text the server sent: a model's invalid JSON is the checks' to score,
    not a transport failure. A call without a function name is a malformed body."""
    if not value:
        return []
    if not isinstance(value, list):
        raise CallFailed("malformed response: message.tool_calls is not a list", retryable=True)
    calls = []
    for call in value:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise CallFailed("malformed response: a tool call without function.name", retryable=True)
        arguments = function.get("arguments")
        calls.append({"id": call.get("id"), "name": function["name"],
                      "arguments": arguments if isinstance(arguments, str) else _json(arguments)})
    return calls


def calls_as_text(calls: list[dict[str, Any]]) -> str:
    """The answer's text when it is calls only: one ``name(arguments)`` a line, so every report
    and text check shows what the model did."""
    return "\n".join(f"{call['name']}({call['arguments']})" for call in calls)


def sample_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """A response record (fresh or from the cache) as ``Sample`` keyword arguments."""
    fields = dict(record)
    fields["tool_calls"] = tuple(ToolCall.from_dict(call) for call in record.get("tool_calls") or ())
    return fields


def _json(value: Any) -> str:
    import json

    return "" if value is None else json.dumps(value, ensure_ascii=False)
