"""Typed config of the deterministic checks that Evidently computes: any descriptor of
``evidently.descriptors`` by its class name, with its own parameters as keys beside it.

A check names its descriptor, the column it reads (``output`` by default: the model's answer),
for two-column descriptors the ``expected`` column, and its pass condition: ``min``/``max`` on
a numeric value, ``equals`` on a numeric or boolean one; a boolean descriptor with no condition
passes when it is True. Parameters are validated against the descriptor's signature, read from
``_descriptor_table`` (generated from the installed evidently), so validating imports no evidently.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from ._descriptor_kinds import GATEWISE_DEFAULTS, LEMMATIZER_DATA, RENAMED_PARAMS
from ._descriptor_table import DESCRIPTORS
from ._offline_data import missing_nltk_data, missing_package
from ._strict import StrictModel, error_at

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_\-]*$"

# gatewise's own keys of a check; every other key is one of the descriptor's parameters
CHECK_KEYS = ("descriptor", "name", "column", "expected", "min", "max", "equals")


class CheckConfig(StrictModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    descriptor: str = Field(description="an Evidently descriptor's class name, e.g. IsValidJSON")
    name: str | None = Field(None, pattern=IDENTIFIER, description="label used in thresholds and reports")
    column: str = Field("output", description="column to check: output, or any dataset column")
    expected: str | None = Field(None, description="two-column descriptors: the dataset column compared with")
    min: float | None = Field(None, description="numeric descriptors: the row passes when value >= min")
    max: float | None = Field(None, description="numeric descriptors: the row passes when value <= max")
    equals: float | bool | None = Field(None, description="the row passes when the value equals this")

    @property
    def label(self) -> str:
        return self.name or self.descriptor

    @property
    def output(self) -> str:
        """``bool`` or ``number``: what the descriptor gives per row."""
        return DESCRIPTORS[self.descriptor]["output"]

    @property
    def params(self) -> dict[str, Any]:
        """The descriptor's parameters: the config's, over gatewise's defaults, over Evidently's."""
        return {**defaults_of(self.descriptor), **(self.model_extra or {})}

    @model_validator(mode="before")
    @classmethod
    def _descriptor_known(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if "descriptor" not in data:
            raise error_at((), "a check needs a 'descriptor' key")
        name = data["descriptor"]
        entry = DESCRIPTORS.get(name) if isinstance(name, str) else None
        if entry is None:
            raise error_at(("descriptor",), f"unknown descriptor {name!r}; one of: {', '.join(descriptor_names())}")
        if "unsupported" in entry:
            raise error_at(("descriptor",), f"{name} cannot run in a gate: {entry['unsupported']}")
        for key, value in data.items():
            if key in CHECK_KEYS:
                continue
            if key in RENAMED_PARAMS and RENAMED_PARAMS[key] in entry["params"]:
                raise error_at((key,), f"{key} is now Evidently's own name for it: rename it to {RENAMED_PARAMS[key]}")
            if key not in entry["params"]:
                known = ", ".join([*CHECK_KEYS[1:], *entry["params"]])
                raise error_at((key,), f"unknown key: {name} has no parameter {key!r}; it takes: {known}")
            problem = _type_problem(entry["params"][key]["type"], value)
            if problem is not None:
                raise error_at((key,), f"{name}.{key}: {problem}")
        for key, spec in entry["params"].items():
            if "default" not in spec and key not in data:
                raise error_at((), f"{name} needs {key}: ({_type_label(spec['type'])})")
        return data

    @model_validator(mode="after")
    def _condition_fits(self) -> "CheckConfig":
        entry = DESCRIPTORS[self.descriptor]
        if entry["columns"] != "one" and self.expected is None:
            raise error_at(("descriptor",), f"{self.descriptor} compares two columns: give expected: "
                                            "(the dataset column the checked column is compared with)")
        if entry["columns"] == "one" and self.expected is not None:
            raise error_at(("expected",), f"{self.descriptor} reads one column; expected: applies to "
                                          "two-column descriptors (ExactMatch, ItemMatch, WordMatch, JSONMatch …)")
        if self.output == "bool":
            for key in ("min", "max"):
                if getattr(self, key) is not None:
                    raise error_at((key,), f"{self.descriptor} gives True/False per row, not a number: use "
                                           "equals: true or false (or no condition: it passes when True)")
            if self.equals is not None and not isinstance(self.equals, bool):
                raise error_at(("equals",), f"{self.descriptor} gives True/False per row: equals: true or false")
        elif isinstance(self.equals, bool):
            raise error_at(("equals",), f"{self.descriptor} gives a number per row: equals takes a number")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise error_at(("max",), f"min ({self.min:g}) is greater than max ({self.max:g})")
        if "reg_exp" in self.params:
            _compiles(self.params["reg_exp"])
        self._offline_needs(entry)
        return self

    def _offline_needs(self, entry: dict[str, Any]) -> None:
        # gatewise never downloads at gate time (Evidently would, on first use): refuse up front
        needed = list(entry.get("nltk_data", ()))
        at: tuple[str, ...] = ("descriptor",)
        if self.params.get("lemmatize"):
            needed += [n for n in LEMMATIZER_DATA if n not in needed]
            at = ("lemmatize",) if "lemmatize" in (self.model_extra or {}) else at
        missing = missing_nltk_data(needed)
        if missing:
            names = " ".join(m.rsplit("/", 1)[-1].removesuffix(".zip") for m in missing)
            hint = " (or set lemmatize: false)" if at == ("lemmatize",) else ""
            raise error_at(at, f"{self.descriptor} needs nltk data that is not installed here ({names}); gatewise "
                               f"never downloads at gate time: install it with `python -m nltk.downloader "
                               f"{names}` where the gate runs{hint}")
        package = entry.get("package")
        if package is not None and missing_package(package):
            raise error_at(("descriptor",), f"{self.descriptor} needs the Python package {package}, which is not "
                                            f"installed here (pip install {package})")


def _compiles(pattern: str) -> None:
    import re

    try:
        re.compile(pattern)
    except re.error as exc:
        raise error_at(("reg_exp",), f"reg_exp is not a valid regular expression: {exc}") from None


_SCHEMA_TYPES = ("str", "int", "float", "bool", "list", "dict")
_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _type_problem(kind: Any, value: Any) -> str | None:
    """Why ``value`` does not fit the parameter type ``kind`` (a table entry), or None."""
    if isinstance(kind, dict):
        return None if value in kind["choice"] else f"one of {', '.join(map(str, kind['choice']))}, not {value!r}"
    if kind == "schema":
        if not isinstance(value, dict) or not value:
            return "a mapping of field name to type name, e.g. {answer: str}"
        bad = [f for f, t in value.items() if t not in _SCHEMA_TYPES]
        return f"field {bad[0]!r}: type is one of {', '.join(_SCHEMA_TYPES)}" if bad else None
    if kind == "list[str]" and isinstance(value, list) and not value:
        return "needs at least one item"
    python = {"str": str, "bool": bool, "int": int, "float": float, "list[str]": list[str], "dict": dict}.get(kind)
    if python is None:
        return None
    adapter = _ADAPTERS.setdefault(kind, TypeAdapter(python))
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError:
        return f"needs {_type_label(kind)}, not {type(value).__name__} {value!r}"
    return None


def _type_label(kind: Any) -> str:
    if isinstance(kind, dict):
        return "one of " + ", ".join(map(str, kind["choice"]))
    return {"str": "text", "bool": "true or false", "int": "a whole number", "float": "a number",
            "list[str]": "a list of strings", "schema": "field -> type name"}.get(kind, kind)


def defaults_of(descriptor: str) -> dict[str, Any]:
    """Evidently's defaults for ``descriptor``'s parameters, with gatewise's few changes."""
    params = DESCRIPTORS[descriptor]["params"]
    values = {key: spec["default"] for key, spec in params.items() if "default" in spec}
    for scope in ("*", descriptor):
        values.update({k: v for k, v in GATEWISE_DEFAULTS.get(scope, {}).items() if k in params})
    return values


def descriptor_names() -> list[str]:
    """Descriptors a gate can run."""
    return [name for name, entry in DESCRIPTORS.items() if "unsupported" not in entry]


def check_columns(check: CheckConfig) -> list[str]:
    """Dataset columns a check reads (besides the model output)."""
    cols = [check.column] if check.column != "output" else []
    if check.expected is not None and check.expected != "output":
        cols.append(check.expected)
    return cols
