"""``classification:`` suites: predicted class against the label column, through Evidently.

Accuracy and macro-averaged precision, recall and F1 for the suite (or, with ``positive``, that
class's); precision, recall and F1 per class as ``suite.<class>``. Each row scores 1 when its
prediction is its label.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..config import SuiteConfig
from ..config._predictive import PART_STATISTICS, SUITE_STATISTICS
from ..samples import Sample
from ..scores import Measure, Measured, Score
from ._predictions import class_key, each_suite, failed, named, result_value, scored_rows
from ._registry import suite_kind

TRUTH, PREDICTION = "label", "prediction"
STATISTICS = tuple(s for s in SUITE_STATISTICS["classification"] if s != "error_count")


@suite_kind("classification")
@each_suite
def measure_classification(samples: Sequence[Sample], suite: SuiteConfig) -> Measured:
    assert suite.classification is not None
    rows, errors = scored_rows(samples, suite.classification.label, class_key)
    if not rows:
        return failed(samples, suite, STATISTICS, "no row has both a prediction and a label")
    scores = [Score(s.row_id, "", float(truth == predicted), truth == predicted, s.repeat)
              for s, truth, predicted in rows]
    positive = _positive(suite)
    try:
        measures = _measures(suite.name, positive, *_report([(t, p) for _, t, p in rows], positive))
    except Exception as exc:  # noqa: BLE001 - Evidently's failures are many and untyped
        return failed(samples, suite, STATISTICS, f"Evidently could not compute the classification metrics: "
                                                  f"{type(exc).__name__}: {exc}")
    return Measured(named([*scores, *errors], suite), measures)


def snapshot(samples: Sequence[Sample], suite: SuiteConfig) -> Any:
    """Evidently's run of this suite's metrics, for the HTML report; None without rows to show."""
    assert suite.classification is not None
    rows, _ = scored_rows(samples, suite.classification.label, class_key)
    return _report([(t, p) for _, t, p in rows], _positive(suite))[0] if rows else None


def _positive(suite: SuiteConfig) -> str | None:
    assert suite.classification is not None
    return class_key(suite.classification.positive)


def _report(pairs: list[tuple[str, str]],
            positive: str | None) -> tuple[Any, dict[str, Any], dict[str, Any], list[str]]:
    """Evidently's snapshot, its overall and per-class metrics, and the classes seen."""
    import pandas as pd
    from evidently import BinaryClassification, DataDefinition, Dataset, MulticlassClassification, Report
    from evidently.metrics import Accuracy, F1ByLabel, F1Score, Precision, PrecisionByLabel, Recall, RecallByLabel

    frame = pd.DataFrame({TRUTH: [t for t, _ in pairs], PREDICTION: [p for _, p in pairs]}, dtype=object)
    classes = sorted({*frame[TRUTH], *frame[PREDICTION]})
    if len(classes) == 2:
        # Evidently treats two classes as binary and needs the positive one (its default, 1, may not exist)
        task = BinaryClassification(target=TRUTH, prediction_labels=PREDICTION,
                                    pos_label=positive if positive in classes else classes[1])
    else:
        task = MulticlassClassification(target=TRUTH, prediction_labels=PREDICTION)
    definition = DataDefinition(classification=[task], categorical_columns=[TRUTH, PREDICTION])
    overall = {"accuracy": Accuracy(), "precision": Precision(), "recall": Recall(), "f1": F1Score()}
    by_class = {"precision": PrecisionByLabel(), "recall": RecallByLabel(), "f1": F1ByLabel()}
    report = Report([*overall.values(), *by_class.values()], include_tests=False)
    run = report.run(Dataset.from_pandas(frame, data_definition=definition), None)
    return run, overall, by_class, classes


def _measures(suite: str, positive: str | None, run: Any, overall: dict[str, Any], by_class: dict[str, Any],
              classes: list[str]) -> tuple[Measure, ...]:
    context = run.context
    values = {stat: result_value(context.get_metric_result(m)) for stat, m in overall.items()}
    assert tuple(by_class) == PART_STATISTICS["classification"]
    per_class: dict[str, dict[str, float | None]] = {}
    for stat, metric in by_class.items():
        found = getattr(context.get_metric_result(metric), "values", {}) or {}
        per_class[stat] = {label: result_value(found.get(label)) for label in classes}
        if positive is not None:
            values[stat] = per_class[stat].get(positive)
        elif len(classes) == 2:
            # Evidently's two-class precision/recall/F1 are the positive class's; macro is the mean
            both = list(per_class[stat].values())
            values[stat] = None if None in both else sum(both) / 2  # type: ignore[arg-type]
    measures = [Measure(suite, stat, value) for stat, value in values.items()]
    measures.extend(Measure(f"{suite}.{label}", stat, per_class[stat][label]) for stat in by_class for label in classes)
    return tuple(measures)
