"""``regression:`` suites: predicted value against the target column: MAE, RMSE and MAPE by Evidently.

MAPE is reported as a fraction (Evidently gives percent), so ``"<= 10%"`` and ``"<= 0.1"`` agree.
Each row scores its absolute error.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ..scores import Measure, Measured, Score
from ._predictions import each_suite, failed, named, number, result_value, scored_rows
from ._registry import suite_kind

TRUTH, PREDICTION = "target", "prediction"
STATISTICS = ("mae", "rmse", "mape")


@suite_kind("regression")
@each_suite
def measure_regression(samples: Sequence[Sample], suite: SuiteConfig) -> Measured:
    assert suite.regression is not None
    rows, errors = scored_rows(samples, suite.regression.target, number)
    if not rows:
        return failed(samples, suite, STATISTICS, "no row has both a numeric prediction and a numeric target")
    scores = [Score(s.row_id, "", abs(p - t), True, s.repeat) for s, t, p in rows]
    try:
        measures = _measures(suite.name, *_report([(t, p) for _, t, p in rows]))
    except Exception as exc:  # noqa: BLE001 - Evidently's failures are many and untyped
        return failed(samples, suite, STATISTICS, f"Evidently could not compute the regression metrics: "
                                                  f"{type(exc).__name__}: {exc}")
    return Measured(named([*scores, *errors], suite), measures)


def snapshot(samples: Sequence[Sample], suite: SuiteConfig) -> Any:
    """Evidently's run of this suite's metrics, for the HTML report; None without rows to show."""
    assert suite.regression is not None
    rows, _ = scored_rows(samples, suite.regression.target, number)
    return _report([(t, p) for _, t, p in rows])[0] if rows else None


def _report(pairs: list[tuple[float, float]]) -> tuple[Any, dict[str, Any]]:
    import pandas as pd
    from evidently import DataDefinition, Dataset, Regression, Report
    from evidently.metrics import MAE, MAPE, RMSE

    frame = pd.DataFrame({TRUTH: [t for t, _ in pairs], PREDICTION: [p for _, p in pairs]}, dtype=float)
    definition = DataDefinition(regression=[Regression(target=TRUTH, prediction=PREDICTION)],
                                numerical_columns=[TRUTH, PREDICTION])
    metrics = {"mae": MAE(), "rmse": RMSE(), "mape": MAPE()}
    run = Report(list(metrics.values()), include_tests=False).run(
        Dataset.from_pandas(frame, data_definition=definition), None)
    return run, metrics


def _measures(suite: str, run: Any, metrics: dict[str, Any]) -> tuple[Measure, ...]:
    values = {stat: result_value(run.context.get_metric_result(metric)) for stat, metric in metrics.items()}
    if values["mape"] is not None:
        values["mape"] /= 100.0  # Evidently's MAPE is in percent
    return tuple(Measure(suite, stat, value) for stat, value in values.items())
