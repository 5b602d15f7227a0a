"""Before any call: a ``tool_calls`` suite's expected-calls column exists and every row's expected
calls read; the suite gets the column of the offered tools (``prompt.tools`` unless it names one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..dialogue import parse_expected_calls, parse_tools, row_value
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import GateConfig, SuiteConfig
    from ..dataset import Dataset


def checked_tool_suite(config: "GateConfig", dataset: "Dataset", suite: "SuiteConfig", at: str) -> "SuiteConfig":
    settings = suite.tool_calls
    assert settings is not None
    tools = settings.tools or (config.prompt.tools if config.prompt is not None else None)
    for key, column, parse in (("expected", settings.expected, parse_expected_calls), ("tools", tools, parse_tools)):
        if column is None:
            continue
        if column not in dataset.columns:
            raise ConfigError(f"tool_calls.{key} names column {column!r}, which the dataset does not have "
                              f"(columns: {', '.join(dataset.columns)})",
                              **config.where(f"{at}.{key}" if key == "expected" or settings.tools else "prompt.tools"))
        for row in dataset.rows:
            row_value(dataset.path, row.id, column, row.values, parse)
    return suite.model_copy(update={"tool_calls": settings.model_copy(update={"tools": tools})})
