"""The dataset columns a V2 endpoint is sent, and how each becomes a tensor.

Checked once over the whole dataset before any call, so that every batch sends a column with the
same datatype and a value the model cannot take is an input error naming its row, not a 400 later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..config._predictive import NOT_FEATURES
from ..errors import ConfigError, DatasetError

if TYPE_CHECKING:
    from ..config import GateConfig
    from ..dataset import Dataset


@dataclass(frozen=True)
class FeatureEncoding:
    """Feature names in request order and each one's V2 datatype (FP64, INT64, BOOL or BYTES)."""

    names: tuple[str, ...]
    datatypes: tuple[str, ...]
    layout: str  # "matrix": one [n, f] FP64 tensor; "columns": one [n] tensor per feature

    def values(self, inputs: Mapping[str, Any]) -> tuple[Any, ...]:
        """One row's features, converted to what its tensor carries."""
        return tuple(_convert(inputs[name], datatype) for name, datatype in zip(self.names, self.datatypes))

    def request(self, rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
        """The V2 inference request body for these rows."""
        n = len(rows)
        if self.layout == "matrix":
            data = [value for row in rows for value in row]
            return {"inputs": [{"name": "input-0", "shape": [n, len(self.names)], "datatype": "FP64", "data": data}]}
        # KServe's get_predict_input builds a DataFrame from the tensors when content_type is pd
        tensors = [{"name": name, "shape": [n], "datatype": datatype, "data": [row[i] for row in rows]}
                   for i, (name, datatype) in enumerate(zip(self.names, self.datatypes))]
        return {"inputs": tensors, "parameters": {"content_type": "pd"}}


def default_features(config: "GateConfig", columns: Sequence[str]) -> list[str]:
    """Every column but the row id, ``label``/``target``, and the columns suites compare with."""
    left_out = {config.dataset.id_column, *NOT_FEATURES}
    left_out.update(column for suite in config.suites if (column := suite.truth_column()) is not None)
    return [column for column in columns if column not in left_out]


def encode_features(config: "GateConfig", dataset: "Dataset") -> FeatureEncoding:
    """The encoding of the endpoint's features over this dataset; raises ``InputError`` on bad input."""
    endpoint = config.endpoint
    names = list(endpoint.features) if endpoint.features else default_features(config, dataset.columns)
    key = "endpoint.features"
    if not names:
        raise ConfigError(f"the dataset has no feature columns to send (columns: {', '.join(dataset.columns)}); "
                          "list them in endpoint.features", **config.where(key))
    for name in names:
        if name not in dataset.columns:
            raise ConfigError(f"feature {name!r} is not a column of the dataset "
                              f"(columns: {', '.join(dataset.columns)})", **config.where(key))
    for row in dataset.rows:
        for name in names:
            if _missing(row.values.get(name)):
                raise DatasetError(f"dataset {dataset.path}: row {row.id!r} has no value for feature {name!r}; "
                                   "every row needs every feature")
    if endpoint.layout == "matrix":
        datatypes = ["FP64"] * len(names)
        for row in dataset.rows:
            for name in names:
                if _number(row.values[name]) is None:
                    raise DatasetError(
                        f"dataset {dataset.path}: row {row.id!r}, feature {name!r}: {row.values[name]!r} is not a "
                        "number; layout: matrix sends one FP64 tensor (use endpoint.layout: columns for text)")
    else:
        datatypes = [_column_datatype([row.values[name] for row in dataset.rows]) for name in names]
    return FeatureEncoding(tuple(names), tuple(datatypes), endpoint.layout)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _number(value: Any) -> float | None:
    """A feature value as a number: JSON numbers, and text that reads as one (CSV has no types)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, str):
        try:
            int(value)
        except ValueError:
            return False
        return True
    return False


def _column_datatype(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "BOOL"
    if all(_integer(v) for v in values):
        return "INT64"
    if all(not isinstance(v, bool) and _number(v) is not None for v in values):
        return "FP64"
    return "BYTES"


def _convert(value: Any, datatype: str) -> Any:
    if datatype == "FP64":
        return float(value)
    if datatype == "INT64":
        return int(value)
    if datatype == "BOOL":
        return bool(value)
    return value if isinstance(value, str) else str(value)
