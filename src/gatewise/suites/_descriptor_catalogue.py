"""Evidently's descriptor catalogue read from the installed evidently: the source of
``gatewise.config._descriptor_table``, which ``gatewise validate`` reads without importing evidently.

Regenerate the table after upgrading evidently (a test fails until it matches)::

    python -m gatewise.suites._descriptor_catalogue > src/gatewise/config/_descriptor_table.py
"""

from __future__ import annotations

import inspect
import pprint
import typing
from typing import Any

from ..config._descriptor_kinds import (COLUMN_PARAMS, KNOWN_OUTPUTS, NEEDS_DOWNLOAD, NEEDS_LLM, NEEDS_NLTK,
                                        NEEDS_PACKAGE, NEEDS_PYTHON, NOT_A_ROW_CHECK)

_SKIPPED_PARAMS = {"alias", "tests", "self", "type"}


def catalogue() -> dict[str, dict[str, Any]]:
    """Every public descriptor: its parameters (type, default), how it takes columns, what it
    outputs (``bool`` or ``number``) and what it needs that gatewise cannot provide offline."""
    from ..telemetry import disable_telemetry

    disable_telemetry()
    import evidently.descriptors as descriptors

    table: dict[str, dict[str, Any]] = {}
    for name in sorted(set(descriptors.__all__)):
        entry = _entry(name, getattr(descriptors, name))
        if entry is not None:
            table[name] = entry
    return table


def _entry(name: str, obj: Any) -> dict[str, Any] | None:
    if not callable(obj):
        return None
    unsupported = _unsupported(name)
    if unsupported is not None:
        return {"unsupported": unsupported}
    signature = inspect.signature(obj)
    hints = _hints(obj)
    columns = next((kind for kind, params in COLUMN_PARAMS.items()
                    if all(p in signature.parameters for p in params)), None)
    if columns is None:
        return {"unsupported": "it reads no text column gatewise can name"}
    params: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.name in _SKIPPED_PARAMS or param.name in COLUMN_PARAMS[columns]:
            continue
        spec = {"type": _type_name(hints.get(param.name, param.annotation))}
        if param.default is not inspect.Parameter.empty:
            spec["default"] = _plain(param.default)
        params[param.name] = spec
    entry: dict[str, Any] = {"columns": columns, "params": params, "output": _output(name, obj, columns, params)}
    if name in NEEDS_NLTK:
        entry["nltk_data"] = list(NEEDS_NLTK[name])
    if name in NEEDS_PACKAGE:
        entry["package"] = NEEDS_PACKAGE[name]
    return entry


def _unsupported(name: str) -> str | None:
    if name in NEEDS_LLM:
        return "it calls an LLM provider from Evidently; use a judge suite (suites[].judge) instead"
    if name in NEEDS_DOWNLOAD:
        return "it downloads a model from the HuggingFace Hub, which a gate never does (CI has no network)"
    if name in NEEDS_PYTHON:
        return "it runs a Python function, which a YAML config cannot hold"
    if name in NOT_A_ROW_CHECK:
        return "it is not a per-row check of a text column"
    return None


def _hints(obj: Any) -> dict[str, Any]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        return typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - forward references Evidently does not resolve: fall back to annotations
        return {}


def _type_name(annotation: Any) -> Any:
    """A JSON-able description of a parameter's type: ``str``, ``bool``, ``int``, ``float``,
    ``list[str]``, ``{"choice": [...]}``, ``schema`` (a field -> type mapping), ``any``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _type_name(options[0])
        return "any"
    if origin is typing.Literal:
        return {"choice": list(args)}
    if annotation in (str, bool, int, float):
        return annotation.__name__
    if origin in (list, typing.List) and args and args[0] is str:
        return "list[str]"
    if origin in (dict, typing.Dict) and len(args) == 2 and typing.get_origin(args[1]) in (type, typing.Type):
        return "schema"
    if origin in (dict, typing.Dict) or annotation is dict:
        return "dict"
    return "any"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if value is None or isinstance(value, (str, bool, int, float, list, dict)):
        return value
    return str(getattr(value, "value", value))


def _output(name: str, obj: Any, columns: str, params: dict[str, Any]) -> str:
    """``number`` or ``bool``: found by running the descriptor on a one-row dataset."""
    if name in KNOWN_OUTPUTS:
        return KNOWN_OUTPUTS[name]
    import pandas as pd
    from evidently import DataDefinition, Dataset

    frame = pd.DataFrame({"a": ["Hello world."], "b": ["Hello world."]})
    kwargs = {"one": {"column_name": "a"}, "pair": {"columns": ["a", "b"]},
              "first_second": {"first_column": "a", "second_column": "b"}}[columns]
    for param, spec in params.items():
        if "default" not in spec:
            kwargs[param] = _sample_value(spec["type"])
        if param == "lemmatize":
            kwargs[param] = False  # true needs nltk's wordnet, not installed where this runs
    definition = DataDefinition(text_columns=["a", "b"])
    dataset = Dataset.from_pandas(frame, data_definition=definition, descriptors=[obj(**kwargs, alias="probe")])
    value = dataset.as_dataframe()["probe"].tolist()[0]
    return "bool" if isinstance(value, bool) or type(value).__name__ == "bool_" else "number"


def _sample_value(kind: Any) -> Any:
    if isinstance(kind, dict):
        return kind["choice"][0]
    return {"str": "Hello", "list[str]": ["Hello"], "bool": False, "int": 1, "float": 1.0,
            "schema": {"a": str}}.get(kind, ["Hello"])


def render(table: dict[str, dict[str, Any]]) -> str:
    import evidently

    body = pprint.pformat(table, width=110, sort_dicts=True)
    return (f'"""Evidently {evidently.__version__}\'s descriptors as gatewise validates them, without importing '
            'evidently.\n\nGenerated by ``python -m gatewise.suites._descriptor_catalogue``; do not edit by hand.\n"""\n\n'
            f"EVIDENTLY_VERSION = {evidently.__version__!r}\n\nDESCRIPTORS = {body}\n")


if __name__ == "__main__":
    print(render(catalogue()), end="")
