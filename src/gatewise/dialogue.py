"""Rows that are conversations or carry tools: reading a row's chat messages, user turns, tool
schemas and expected calls (checked for every row before any call), the request fields that offer
the tools, and the simulated conversation (the model answers each user turn in turn)."""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from typing import Any, Mapping

from .errors import DatasetError
from .samples import Message, Sample

ROLES = ("system", "user", "assistant", "tool", "developer")
# what an OpenAI chat message may carry besides role and content, sent on as it came
_MESSAGE_EXTRAS = ("tool_calls", "tool_call_id", "name")


class RowValueError(ValueError):
    """A row's column holds something that is not what its config key says it is."""


def _decoded(value: Any) -> Any:
    """A list or object column as it came (JSONL, Parquet), or decoded from its JSON text (CSV)."""
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise RowValueError(f"its text is not valid JSON ({exc.msg})") from None
    return value


def parse_messages(value: Any) -> tuple[Message, ...]:
    """OpenAI chat messages: a non-empty list of {role, content, ...}."""
    value = _decoded(value)
    if not isinstance(value, list) or not value:
        raise RowValueError("it must be a non-empty list of chat messages ({role, content})")
    messages = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or item.get("role") not in ROLES:
            raise RowValueError(f"message {index + 1} needs a role ({', '.join(ROLES)})")
        content = item.get("content")
        if content is None and not item.get("tool_calls"):
            raise RowValueError(f"message {index + 1} ({item['role']}) has no content")
        unknown = sorted(set(item) - {"role", "content", *_MESSAGE_EXTRAS})
        if unknown:
            raise RowValueError(f"message {index + 1} has unknown key {unknown[0]!r}")
        extra = {key: item[key] for key in _MESSAGE_EXTRAS if key in item}
        messages.append(Message(item["role"], content, extra or None))
    return tuple(messages)


def parse_turns(value: Any) -> tuple[str, ...]:
    """The user's turns of a simulated conversation: a non-empty list of texts."""
    value = _decoded(value)
    if not isinstance(value, list) or not value or not all(isinstance(t, str) and t.strip() for t in value):
        raise RowValueError("it must be a non-empty list of user messages (texts)")
    return tuple(value)


def parse_tools(value: Any) -> list[dict[str, Any]]:
    """OpenAI function tools: [{type: function, function: {name, description?, parameters?}}],
    each ``parameters`` a valid JSON Schema (checked here, so a bad schema fails before any call)."""
    value = _decoded(value)
    if not isinstance(value, list) or not value:
        raise RowValueError("it must be a non-empty list of tools ({type: function, function: {name, parameters}})")
    names = set()
    for index, tool in enumerate(value):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict) \
                or not isinstance(function.get("name"), str) or not function["name"]:
            raise RowValueError(f"tool {index + 1} must be {{type: function, function: {{name, parameters}}}}")
        if function["name"] in names:
            raise RowValueError(f"two tools are called {function['name']!r}")
        names.add(function["name"])
        parameters = function.get("parameters")
        if parameters is not None:
            if not isinstance(parameters, dict):
                raise RowValueError(f"tool {function['name']!r}: parameters must be a JSON Schema object")
            problem = schema_problem(json.dumps(parameters, sort_keys=True))
            if problem is not None:
                raise RowValueError(f"tool {function['name']!r}: parameters is not a valid JSON Schema ({problem})")
    return value


@lru_cache(maxsize=1024)
def schema_problem(schema_json: str) -> str | None:
    """Why a JSON Schema (as canonical JSON text) is invalid, or None. Cached: rows mostly offer the
    same tools, and checking a schema costs milliseconds (measured: 600 rows x 3 tools, 12.7 s)."""
    from jsonschema import SchemaError
    from jsonschema.validators import validator_for

    schema = json.loads(schema_json)
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        return exc.message
    return None


@lru_cache(maxsize=1024)
def schema_validator(schema_json: str) -> Any:
    """A validator for a (checked) JSON Schema given as canonical JSON text, built once per schema."""
    from jsonschema.validators import validator_for

    schema = json.loads(schema_json)
    return validator_for(schema)(schema)


def offered_tools(value: Any) -> list[dict[str, Any]]:
    """A row's tools as sent, once ``parse_tools`` has checked them before the run: decoding only,
    since checking every schema again costs more CPU than the call's own JSON (100 000 rows)."""
    return _decoded(value)


def parse_expected_calls(value: Any) -> tuple[tuple[str, Any], ...]:
    """Expected calls: a list of {name, arguments} (arguments an object, or its JSON text); an
    empty list expects no call. Returns (name, arguments object or None) pairs."""
    value = _decoded(value)
    if value is None:
        raise RowValueError("it is empty; write [] to expect no tool call")
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise RowValueError("it must be a list of expected calls ({name, arguments})")
    calls = []
    for index, call in enumerate(value):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str) or not call["name"]:
            raise RowValueError(f"expected call {index + 1} needs a name")
        unknown = sorted(set(call) - {"name", "arguments"})
        if unknown:
            raise RowValueError(f"expected call {index + 1} has unknown key {unknown[0]!r}")
        arguments = call.get("arguments")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                raise RowValueError(f"expected call {index + 1}: arguments is not valid JSON") from None
        if arguments is not None and not isinstance(arguments, dict):
            raise RowValueError(f"expected call {index + 1}: arguments must be an object")
        calls.append((call["name"], arguments))
    return tuple(calls)


def row_value(dataset_path: str, row_id: str, column: str, values: Mapping[str, Any], parse: Any) -> Any:
    """``parse`` of a row's column, or a ``DatasetError`` naming the dataset, row and column."""
    try:
        return parse(values.get(column))
    except RowValueError as exc:
        raise DatasetError(f"dataset {dataset_path}: row {row_id!r}, column {column!r}: {exc}") from None


def tool_request(tools: list[dict[str, Any]] | None, tool_choice: str | None) -> dict[str, Any] | None:
    """The request fields that offer the row's tools, as vLLM's chat API takes them."""
    if tools is None:
        return None
    extra: dict[str, Any] = {"tools": tools}
    if tool_choice in ("auto", "none", "required"):
        extra["tool_choice"] = tool_choice
    elif tool_choice is not None:  # one named function the model must call
        extra["tool_choice"] = {"type": "function", "function": {"name": tool_choice}}
    return extra


async def converse(endpoint: Any, row_id: str, inputs: Mapping[str, Any], opening: tuple[Message, ...],
                   turns: tuple[str, ...], repeat: int) -> Sample:
    """A simulated conversation: each user turn sent with every earlier turn and answer, one call
    per turn. The sample's messages hold the whole conversation up to the last answer (its
    ``output``); latency, tokens and attempts add up over the turns. A turn whose call failed
    ends the conversation as an error that names the turn: never a pass."""
    history = list(opening)
    done: list[Sample] = []
    for number, turn in enumerate(turns, start=1):
        history.append(Message("user", turn))
        sample = await endpoint.sample(row_id, inputs, tuple(history), repeat)
        done.append(sample)
        if not sample.ok:
            return _combined(done, tuple(history), error=f"turn {number} of {len(turns)}: {sample.error}")
        if number < len(turns):
            history.append(Message("assistant", sample.output))
    return _combined(done, tuple(history))


def _combined(done: list[Sample], messages: tuple[Message, ...], error: str | None = None) -> Sample:
    last = done[-1]

    def total(field: str) -> Any:
        values = [getattr(s, field) for s in done]
        return None if any(v is None for v in values) else sum(values)

    return dataclasses.replace(
        last, messages=messages, error=error, output=None if error else last.output,
        latency_ms=total("latency_ms"), prompt_tokens=total("prompt_tokens"),
        completion_tokens=total("completion_tokens"), attempts=sum(s.attempts for s in done),
        cached=all(s.cached for s in done), turns=len(done))
