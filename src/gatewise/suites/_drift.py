"""``drift:`` suites: has the distribution of the input columns moved away from a reference dataset?

Evidently's ``DriftedColumnsCount`` gives the share and count of drifted columns, and
``ValueDrift`` each column's drift score and whether it drifted (its own stat test, chosen by
column type and size unless ``method`` is set). The inputs are the dataset's, once per row; they
do not depend on the model, so a failed call does not change them.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..config import SuiteConfig
from ..config._predictive import PART_STATISTICS
from ..samples import Sample
from ..scores import Measure, Measured
from ._predictions import each_suite, failed, number, result_value
from ._registry import suite_kind

STATISTICS = ("drifted_share", "drifted_count")


class ReferenceChanged(Exception):
    """The reference file no longer matches its pin (it changed after the run's input checks)."""


@suite_kind("drift")
@each_suite
def measure_drift(samples: Sequence[Sample], suite: SuiteConfig) -> Measured:
    drift = suite.drift
    assert drift is not None and drift.columns, "prepare() fills in the drift columns"
    columns = list(drift.columns)
    current = _first_of_each_row(samples)
    try:
        measures = _measures(suite.name, *_report(suite, current))
    except Exception as exc:  # noqa: BLE001 - an unreadable reference or an Evidently failure: nothing measured
        # every row carries the reason, so the summary shows why the drift thresholds read n/a
        none = failed(samples, suite, STATISTICS, f"drift could not be computed: {type(exc).__name__}: {exc}")
        parts = tuple(Measure(f"{suite.name}.{c}", stat, None) for c in columns for stat in PART_STATISTICS["drift"])
        return Measured(none.scores, none.measures + parts)
    return Measured((), measures)


def _first_of_each_row(samples: Sequence[Sample]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    rows = []
    for sample in samples:
        if sample.row_id not in seen:
            seen.add(sample.row_id)
            rows.append(dict(sample.inputs))
    return rows


def _reference_rows(path: str, sha256: str | None, fmt: str | None) -> list[dict[str, Any]]:
    from ..dataset import file_sha256, read_records

    if sha256 is not None and file_sha256(path) != sha256:
        raise ReferenceChanged(f"the reference {path} changed after it was checked against its pin")
    return [record for _, record in read_records(path, fmt)]


def snapshot(samples: Sequence[Sample], suite: SuiteConfig) -> Any:
    """Evidently's run of this suite's metrics, for the HTML report."""
    return _report(suite, _first_of_each_row(samples))[0]


def _report(suite: SuiteConfig, current: list[dict]) -> tuple[Any, Any, dict[str, Any]]:
    """Evidently's snapshot, its drifted-columns metric and each column's drift metric."""
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import DriftedColumnsCount, ValueDrift

    drift = suite.drift
    assert drift is not None and drift.columns
    columns, method, threshold = list(drift.columns), drift.method, drift.threshold
    reference = _reference_rows(drift.reference.path, drift.reference.sha256, drift.reference.format)

    numeric = [c for c in columns if all(number(r.get(c)) is not None for r in (*current, *reference))]

    def frame(rows: list[dict]) -> "pd.DataFrame":
        data = {c: [number(r.get(c)) if c in numeric else _category(r.get(c)) for r in rows] for c in columns}
        return pd.DataFrame({c: pd.Series(v, dtype=float if c in numeric else object) for c, v in data.items()})

    definition = DataDefinition(numerical_columns=numeric,
                                categorical_columns=[c for c in columns if c not in numeric])
    options = {"method": method, "threshold": threshold}
    share = DriftedColumnsCount(columns=columns, **options)
    per_column = {c: ValueDrift(column=c, **options) for c in columns}
    run = Report([share, *per_column.values()], include_tests=True).run(
        Dataset.from_pandas(frame(current), data_definition=definition),
        Dataset.from_pandas(frame(reference), data_definition=definition))
    return run, share, per_column


def _measures(suite: str, run: Any, share: Any, per_column: dict[str, Any]) -> tuple[Measure, ...]:
    from evidently.legacy.tests.base_test import TestStatus

    context = run.context
    counted = context.get_metric_result(share)
    measures = [Measure(suite, "drifted_share", result_value(counted.share)),
                Measure(suite, "drifted_count", result_value(counted.count))]
    for column, metric in per_column.items():
        result = context.get_metric_result(metric)
        # ValueDrift's own test fails exactly when the column drifted under its stat test
        statuses = [test.status for test in (result.tests or [])]
        detected = None if not statuses else float(any(s == TestStatus.FAIL for s in statuses))
        measures.append(Measure(f"{suite}.{column}", "drift_score", result_value(result)))
        measures.append(Measure(f"{suite}.{column}", "drift_detected", detected))
    return tuple(measures)


def _category(value: Any) -> str | None:
    return None if value is None else str(value)
