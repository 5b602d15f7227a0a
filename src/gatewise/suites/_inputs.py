"""Before any call: the columns the dataset-level suites read exist, and drift references match
their pins. Returns the config with data-dependent defaults filled in (drift columns, absolute
reference paths), so the scoring worker reads exactly what was checked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, DatasetError
from ._predictions import class_key, number

if TYPE_CHECKING:
    from ..config import GateConfig, SuiteConfig
    from ..dataset import Dataset


def check_suite_inputs(config: "GateConfig", dataset: "Dataset") -> "GateConfig":
    suites = []
    for index, suite in enumerate(config.suites):
        at = f"suites[{index}].{suite.kind}"
        if suite.classification is not None:
            _check_truth(config, dataset, suite.classification.label, f"{at}.label", "label", class_key)
            _check_classes(config, dataset, suite)
        elif suite.regression is not None:
            _check_truth(config, dataset, suite.regression.target, f"{at}.target", "target", number)
        elif suite.drift is not None:
            suite = _checked_drift(config, dataset, suite, at)
        elif suite.tool_calls is not None:
            from ._tool_calls_inputs import checked_tool_suite

            suite = checked_tool_suite(config, dataset, suite, at)
        suites.append(suite)
    return config.model_copy(update={"suites": suites})


def _check_truth(config: "GateConfig", dataset: "Dataset", column: str, key: str, role: str, convert: Any) -> None:
    if column not in dataset.columns:
        raise ConfigError(f"{role} column {column!r} is not in the dataset (columns: {', '.join(dataset.columns)})",
                          **config.where(key))
    for row in dataset.rows:
        if convert(row.values.get(column)) is None:
            kind = "a number" if role == "target" else "a value"
            raise DatasetError(f"dataset {dataset.path}: row {row.id!r} has no usable {role} in column "
                               f"{column!r} ({row.values.get(column)!r}); every row needs {kind}")


def _check_classes(config: "GateConfig", dataset: "Dataset", suite: "SuiteConfig") -> None:
    """A threshold on ``suite.<class>`` must name a class the label column holds."""
    assert suite.classification is not None
    classes = sorted({class_key(row.values.get(suite.classification.label)) for row in dataset.rows} - {None})
    positive = class_key(suite.classification.positive)
    if positive is not None and positive not in classes:
        index = config.suites.index(suite)
        raise ConfigError(f"no class {positive!r} in label column {suite.classification.label!r} "
                          f"(classes: {', '.join(classes)})",
                          **config.where(f"suites[{index}].classification.positive"))
    for metric in config.thresholds:
        head, _, part = metric.partition(".")
        if head == suite.name and part and part not in classes:
            raise ConfigError(f"no class {part!r} in label column {suite.classification.label!r} "
                              f"(classes: {', '.join(classes)})", **config.where(f"thresholds.{metric}"))


def _checked_drift(config: "GateConfig", dataset: "Dataset", suite: "SuiteConfig", at: str) -> "SuiteConfig":
    from ..dataset import file_sha256, read_records
    from ..endpoint import default_features

    drift = suite.drift
    assert drift is not None
    reference = drift.reference
    path = config.resolve(reference.path)
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise ConfigError(f"cannot read the reference dataset {path}: {exc.strerror}",
                          **config.where(f"{at}.reference.path")) from None
    if reference.sha256 is None:
        raise ConfigError(f"the reference dataset {path} is not pinned: its sha256 is {actual}. Review it, then "
                          f"add sha256: \"{actual}\" under reference:", **config.where(f"{at}.reference"))
    if actual != reference.sha256:
        raise ConfigError(f"the reference dataset {path} does not match its pin.\n"
                          f"  pinned (sha256): {reference.sha256}\n"
                          f"  actual (bytes):  {actual}\n"
                          "If the change is intended, review it and update the pin.",
                          **config.where(f"{at}.reference.sha256"))
    rows = [record for _, record in read_records(path, reference.format)]
    if not rows:
        raise DatasetError(f"reference dataset {path} has no rows")
    ref_columns = list(dict.fromkeys(c for row in rows for c in row))
    if drift.columns:
        columns = list(drift.columns)
    elif config.endpoint.kind == "v2" and config.endpoint.features:
        columns = list(config.endpoint.features)
    else:
        columns = default_features(config, dataset.columns)
    for column in columns:
        for where, present in (("dataset", dataset.columns), ("reference dataset", ref_columns)):
            if column not in present:
                raise ConfigError(f"drift column {column!r} is not in the {where} (columns: {', '.join(present)})",
                                  **config.where(f"{at}.columns" if drift.columns else f"{at}.reference.path"))
    for metric in config.thresholds:
        head, _, part = metric.partition(".")
        if head == suite.name and part and part not in columns:
            raise ConfigError(f"no drift column {part!r} in suite {suite.name!r} (columns: {', '.join(columns)})",
                              **config.where(f"thresholds.{metric}"))
    resolved = reference.model_copy(update={"path": str(path.resolve())})
    return suite.model_copy(update={"drift": drift.model_copy(update={"reference": resolved, "columns": columns})})
