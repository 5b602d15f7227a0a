"""The ``tool_calls`` suite: deterministic checks of the calls a model answered with, against the
row's expected calls and the tools it was offered.

Per row: ``tool`` (the right functions were called: the same names, as a multiset, or in order
with ``order: true``), ``arguments`` (each expected call has a call of that name whose arguments
match: ``exact`` or ``subset``; no extra calls), ``schema`` (every call names an offered tool and
its arguments are a JSON object valid against that tool's ``parameters``). A row whose call
failed gets an error on each check: never a pass.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..config import SuiteConfig
from ..dialogue import RowValueError, offered_tools, parse_expected_calls, schema_validator
from ..samples import Sample, ToolCall
from ..scores import Score
from ._frame import has_output
from ._registry import suite_kind

_NOT_JSON = object()


@suite_kind("tool_calls")
def score_tool_calls(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> tuple[Score, ...]:
    """One Score per sample per check of every ``tool_calls`` suite, suites in config order."""
    scores: list[Score] = []
    for suite in suites:
        if suite.tool_calls is None:
            continue
        for sample in samples:
            scores.extend(_score_row(suite, sample))
    return tuple(scores)


def _score_row(suite: SuiteConfig, sample: Sample) -> list[Score]:
    settings = suite.tool_calls
    assert settings is not None
    labels = settings.check_labels()
    if not has_output(sample):
        error = f"no output: {sample.error or 'the endpoint returned none'}"
        return [Score(sample.row_id, f"{suite.name}.{label}", None, False, sample.repeat, error) for label in labels]
    try:
        expected = parse_expected_calls(sample.inputs.get(settings.expected))
        tools = offered_tools(sample.inputs.get(settings.tools)) if settings.tools else []
    except RowValueError as exc:  # checked before the calls; a results file edited since may still hold one
        return [Score(sample.row_id, f"{suite.name}.{label}", None, False, sample.repeat, f"row: {exc}")
                for label in labels]
    outcomes = {"tool": _right_tools(expected, sample.tool_calls, settings.order),
                "arguments": _arguments_match(expected, sample.tool_calls, settings.arguments, settings.order),
                "schema": _valid_against_schema(sample.tool_calls, tools)}
    return [_score(sample, f"{suite.name}.{label}", *outcomes[label]) for label in labels]


def _score(sample: Sample, metric: str, value: float, why: str | None) -> Score:
    return Score(sample.row_id, metric, value, why is None, sample.repeat, reason=why)


def _right_tools(expected: tuple[tuple[str, Any], ...], calls: tuple[ToolCall, ...],
                 order: bool) -> tuple[float, str | None]:
    wanted, called = [name for name, _ in expected], [call.name for call in calls]
    same = wanted == called if order else sorted(wanted) == sorted(called)
    if same:
        return 1.0, None
    said = ", ".join(called) if called else "no tool (a text answer)"
    return 0.0, f"expected {', '.join(wanted) or 'no tool call'}{' in this order' * order}; called {said}"


def _arguments_match(expected: tuple[tuple[str, Any], ...], calls: tuple[ToolCall, ...], mode: str,
                     order: bool) -> tuple[float, str | None]:
    """Each expected call paired with a call of its name (in order, or the first unused one)."""
    unused = list(range(len(calls)))
    matched, problems = 0, []
    for position, (name, arguments) in enumerate(expected):
        if order:
            index = position if position < len(calls) and calls[position].name == name else None
        else:
            index = next((i for i in unused if calls[i].name == name), None)
        if index is None:
            problems.append(f"no call of {name}")
            continue
        unused = [i for i in unused if i != index]
        got = _arguments(calls[index])
        if got is _NOT_JSON:
            problems.append(f"{name}: arguments are not a JSON object ({_short(calls[index].arguments)})")
        elif arguments is not None and not _agrees(arguments, got, mode):
            problems.append(f"{name}: expected arguments {_short(json.dumps(arguments, ensure_ascii=False))}, "
                            f"got {_short(calls[index].arguments)}")
        else:
            matched += 1
    extra = [calls[i].name for i in unused] if not order else [c.name for c in calls[len(expected):]]
    if extra:
        problems.append(f"unexpected call{'s' * (len(extra) > 1)} of {', '.join(extra)}")
    total = max(len(expected), len(calls), 1)
    value = 1.0 if not expected and not calls else matched / total
    return value, "; ".join(problems) or None


def _agrees(expected: dict[str, Any], got: dict[str, Any], mode: str) -> bool:
    if mode == "exact":
        return expected == got
    return all(key in got and got[key] == value for key, value in expected.items())


def _valid_against_schema(calls: tuple[ToolCall, ...], tools: list[dict[str, Any]]) -> tuple[float, str | None]:
    if not calls:
        return 1.0, None
    schemas = {tool["function"]["name"]: tool["function"].get("parameters") for tool in tools}
    problems = []
    for call in calls:
        got = _arguments(call)
        if call.name not in schemas:
            problems.append(f"{call.name} is not one of the tools offered ({', '.join(schemas)})")
        elif got is _NOT_JSON:
            problems.append(f"{call.name}: arguments are not a JSON object ({_short(call.arguments)})")
        elif schemas[call.name] is not None:
            validator = schema_validator(json.dumps(schemas[call.name], sort_keys=True))
            error = next(iter(validator.iter_errors(got)), None)
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path) or "(arguments)"
                problems.append(f"{call.name}: {where}: {error.message}")
    value = (len(calls) - len(problems)) / len(calls)
    return value, "; ".join(problems) or None


def _arguments(call: ToolCall) -> Any:
    try:
        value = json.loads(call.arguments) if call.arguments.strip() else {}
    except json.JSONDecodeError:
        return _NOT_JSON
    return value if isinstance(value, dict) else _NOT_JSON


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
