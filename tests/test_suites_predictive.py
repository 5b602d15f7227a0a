"""Classification, regression and drift suites end to end: ``gatewise gate`` against KServe's
``ModelServer``, with every metric checked against scikit-learn / scipy computed here, from the
model's own predictions, not against gatewise's code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from gatewise.cli import main

from .v2_server import (IRIS_FEATURES, diabetes_rows, iris_rows, models, server,  # noqa: F401 (fixtures)
                        write_pinned, write_v2_gate)

IRIS = iris_rows()
DIABETES = diabetes_rows()
DIABETES_FEATURES = [name for name in DIABETES[0] if name not in ("id", "progression")]


def run_gate(config: Path, out: Path, capsys) -> tuple[int, str, str]:
    code = main(["gate", "--config", str(config), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def iris_predictions(models) -> np.ndarray:
    return models[1]["iris"].predict(np.array([[row[f] for f in IRIS_FEATURES] for row in IRIS]))


CLASSIFICATION = """
  - name: clf
    classification: {label: species}
"""


@pytest.fixture(scope="module")
def classified(tmp_path_factory, server):
    """One classification run whose thresholds pass, shared by the tests that read its reports."""
    directory = tmp_path_factory.mktemp("clf")
    config = write_v2_gate(directory, server.base_url, IRIS, suites=CLASSIFICATION, thresholds="""
  clf: {accuracy: ">= 0.9", f1: ">= 0.85", precision: ">= 0.85", recall: ">= 0.85"}
  clf.0: {recall: ">= 0.95"}
""")
    code = main(["gate", "--config", str(config), "--out", str(directory / "out")])
    return code, json.loads((directory / "out" / "gate-result.json").read_text()), directory / "out"


def test_classification_metrics_match_scikit_learn(classified, models):
    code, result, _ = classified
    assert code == 0
    truth = [row["species"] for row in IRIS]
    predicted = iris_predictions(models)
    metric = result["metrics"]["clf"]
    assert metric["accuracy"] == pytest.approx(skm.accuracy_score(truth, predicted))
    assert metric["precision"] == pytest.approx(skm.precision_score(truth, predicted, average="macro"))
    assert metric["recall"] == pytest.approx(skm.recall_score(truth, predicted, average="macro"))
    assert metric["f1"] == pytest.approx(skm.f1_score(truth, predicted, average="macro"))
    assert metric["error_count"] == 0
    assert metric["accuracy"] < 1.0, "the model must make some mistakes for this test to mean anything"
    per_class = zip(*skm.precision_recall_fscore_support(truth, predicted, labels=[0, 1, 2])[:3])
    for label, (precision, recall, f1) in enumerate(per_class):
        assert result["metrics"][f"clf.{label}"] == pytest.approx(
            {"precision": precision, "recall": recall, "f1": f1})


def test_classification_thresholds_reach_the_verdict_and_the_reports(classified):
    _, result, out = classified
    keys = {(t["metric"], t["statistic"]): t for t in result["thresholds"]}
    assert keys[("clf", "accuracy")]["passed"] and keys[("clf.0", "recall")]["passed"]
    assert keys[("clf", "f1")]["value"] == result["metrics"]["clf"]["f1"]
    summary = (out / "summary.md").read_text()
    assert "| `clf` | accuracy |" in summary and "| `clf.0` | recall |" in summary
    junit = (out / "junit.xml").read_text()
    assert "clf.accuracy" in junit
    # Evidently's own rendering of the suite's metrics
    assert "Accuracy metric" in (out / "report.html").read_text()


def test_misclassified_rows_are_the_failing_rows(classified, models):
    _, _, out = classified
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    predicted = iris_predictions(models)
    wrong = {row["id"] for row, p in zip(IRIS, predicted) if row["species"] != p}
    assert {line["row_id"] for line in lines if not line["passed"]} == wrong
    assert all(line["scores"]["clf"]["value"] == float(line["row_id"] not in wrong) for line in lines)


@pytest.mark.parametrize("positive", [None, "dog", "cat"])
def test_two_classes_give_macro_averages_or_the_positive_class(positive):
    # Evidently calls two classes binary; the suite still means macro unless a positive class is named
    from gatewise.config import SuiteConfig
    from gatewise.samples import Sample
    from gatewise.suites import measure_suites

    rng = np.random.default_rng(5)
    truth = rng.choice(["cat", "dog"], size=200)
    predicted = np.where(rng.random(200) < 0.8, truth, np.where(truth == "cat", "dog", "cat"))
    samples = [Sample(row_id=str(i), inputs={"pet": t}, messages=(), output=p, prediction=p)
               for i, (t, p) in enumerate(zip(truth, predicted))]
    suite = SuiteConfig(name="pets", classification={"label": "pet", "positive": positive})
    values = {(m.metric, m.statistic): m.value for m in measure_suites(samples, [suite]).measures}
    average = {"average": "macro"} if positive is None else {"average": "binary", "pos_label": positive}
    assert values[("pets", "accuracy")] == pytest.approx(skm.accuracy_score(truth, predicted))
    assert values[("pets", "precision")] == pytest.approx(skm.precision_score(truth, predicted, **average))
    assert values[("pets", "recall")] == pytest.approx(skm.recall_score(truth, predicted, **average))
    assert values[("pets", "f1")] == pytest.approx(skm.f1_score(truth, predicted, **average))
    assert values[("pets.dog", "recall")] == pytest.approx(skm.recall_score(truth, predicted, pos_label="dog"))


def test_a_classifier_below_its_threshold_fails_the_gate(tmp_path, server, capsys):
    config = write_v2_gate(tmp_path, server.base_url, IRIS, suites=CLASSIFICATION,
                           thresholds='\n  clf: {accuracy: ">= 0.999"}\n  clf.2: {precision: ">= 0.999"}\n')
    code, stdout, _ = run_gate(config, tmp_path / "out", capsys)
    assert code == 1
    assert "FAIL clf.accuracy" in stdout and "FAIL clf.2.precision" in stdout
    assert "FAILED: 2 of 3 thresholds" in (tmp_path / "out" / "summary.md").read_text()


def test_regression_metrics_match_scikit_learn_and_gate(tmp_path, server, models, capsys):
    features = "  features: [" + ", ".join(DIABETES_FEATURES) + "]\n"
    config = write_v2_gate(tmp_path, server.base_url, DIABETES, model="diabetes", endpoint=features,
                           suites="\n  - name: reg\n    regression: {target: progression}\n",
                           thresholds='\n  reg: {mae: "<= 50", rmse: "<= 60", mape: "<= 10%"}\n')
    code, stdout, _ = run_gate(config, tmp_path / "out", capsys)
    result = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    truth = np.array([row["progression"] for row in DIABETES])
    predicted = models[1]["diabetes"].predict(np.array([[row[f] for f in DIABETES_FEATURES] for row in DIABETES]))
    metric = result["metrics"]["reg"]
    assert metric["mae"] == pytest.approx(skm.mean_absolute_error(truth, predicted))
    assert metric["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(truth, predicted)))
    assert metric["mape"] == pytest.approx(skm.mean_absolute_percentage_error(truth, predicted))
    # mae (~43) and rmse (~53) hold; mape (~39 %) does not
    assert code == 1
    assert "ok   reg.mae" in stdout and "ok   reg.rmse" in stdout and "FAIL reg.mape" in stdout


# -- drift ------------------------------------------------------------------------------------

def shifted(rows: list[dict], column: str, by: float) -> list[dict]:
    return [{**row, column: row[column] + by} for row in rows]


@pytest.fixture(scope="module")
def drift_runs(tmp_path_factory, server):
    """The current data (odd rows) against a like reference (even rows) and a shifted one."""
    runs = {}
    for name, reference in (("like", IRIS[0::2]), ("shifted", shifted(IRIS[0::2], "petal_length", 2.0))):
        directory = tmp_path_factory.mktemp(name)
        sha = write_pinned(directory, "reference.jsonl", reference)
        config = write_v2_gate(directory, server.base_url, IRIS[1::2], suites=CLASSIFICATION + f"""
  - name: drift
    drift:
      reference: {{path: reference.jsonl, sha256: "{sha}"}}
""", thresholds='\n  drift: {drifted_share: "<= 0.3"}\n  drift.petal_length: {drift_detected: "== 0"}\n')
        code = main(["gate", "--config", str(config), "--out", str(directory / "out")])
        runs[name] = (code, json.loads((directory / "out" / "gate-result.json").read_text()), reference,
                      directory / "out")
    return runs


def test_drift_scores_are_kolmogorov_smirnov_p_values_per_feature(drift_runs):
    for name, (_, result, reference, _) in drift_runs.items():
        for column in IRIS_FEATURES:  # the default columns: the features, not the id or the label
            expected = stats.ks_2samp([r[column] for r in reference], [r[column] for r in IRIS[1::2]]).pvalue
            assert result["metrics"][f"drift.{column}"]["drift_score"] == pytest.approx(expected), (name, column)
            assert result["metrics"][f"drift.{column}"]["drift_detected"] == float(expected < 0.05)
        assert "drift.species" not in result["metrics"] and "drift.id" not in result["metrics"]


def test_no_drift_passes_and_a_shifted_feature_fails_the_gate(drift_runs):
    like_code, like, _, out = drift_runs["like"]
    assert like_code == 0
    assert like["metrics"]["drift"] == {"drifted_share": 0.0, "drifted_count": 0.0}
    # one report page, a section per suite
    html = (out / "report.html").read_text()
    assert '"title": "clf"' in html and '"title": "drift"' in html
    code, result, _, _ = drift_runs["shifted"]
    assert code == 1
    assert result["metrics"]["drift"] == {"drifted_share": 0.25, "drifted_count": 1.0}
    failed = {(t["metric"], t["statistic"]) for t in result["thresholds"] if not t["passed"]}
    assert failed == {("drift.petal_length", "drift_detected")}


# -- bad config: exit 2 before any call, naming file, line and key --------------------------------

@pytest.fixture
def refused(tmp_path, capsys):
    def run(config: Path) -> str:
        code, _, stderr = run_gate(config, tmp_path / "out", capsys)
        assert code == 2, stderr
        assert not (tmp_path / "out").exists()
        return stderr

    return run


DEAD = "http://127.0.0.1:9"  # had the gate called it, the exit would be 3


def test_a_missing_label_column_names_the_key(tmp_path, refused):
    config = write_v2_gate(tmp_path, DEAD, IRIS, suites="\n  - name: clf\n    classification: {label: kind}\n")
    err = refused(config)
    assert f"{config}:14 [suites[0].classification.label]: label column 'kind' is not in the dataset" in err


def test_a_threshold_on_an_unknown_class_lists_the_classes(tmp_path, refused):
    config = write_v2_gate(tmp_path, DEAD, IRIS, suites=CLASSIFICATION, thresholds='\n  clf.7: {f1: ">= 0.9"}\n')
    err = refused(config)
    assert "[thresholds.clf.7]: no class '7' in label column 'species' (classes: 0, 1, 2)" in err


@pytest.mark.parametrize("thresholds, message", [
    ('{clf: {mean: ">= 0.9"}}', "unknown statistic 'mean'; use one of: accuracy, error_count, f1, precision, recall"),
    ('{clf: {accuracy: "at least 0.9"}}', "is not a threshold expression"),
], ids=["row-statistic-on-a-classifier", "bad-expression"])
def test_bad_classification_thresholds(tmp_path, refused, thresholds, message):
    config = write_v2_gate(tmp_path, DEAD, IRIS, suites=CLASSIFICATION, thresholds=thresholds)
    assert message in refused(config)


def test_a_positive_class_the_labels_lack_is_refused(tmp_path, refused):
    config = write_v2_gate(tmp_path, DEAD, IRIS,
                           suites="\n  - name: clf\n    classification: {label: species, positive: 4}\n")
    err = refused(config)
    assert f"{config}:14 [suites[0].classification.positive]: no class '4' in label column 'species'" in err


def test_a_suite_with_two_kinds_is_refused(tmp_path, refused):
    config = write_v2_gate(tmp_path, DEAD, IRIS, suites="""
  - name: both
    classification: {label: species}
    regression: {target: species}
""")
    err = refused(config)
    assert "[suites[0].regression]: a suite needs exactly one of: evidently, judge, classification, regression, drift" in err


def test_an_unpinned_reference_names_the_key_and_gives_its_hash(tmp_path, refused):
    sha = write_pinned(tmp_path, "reference.jsonl", IRIS[0::2])
    config = write_v2_gate(tmp_path, DEAD, IRIS, suites=CLASSIFICATION + """
  - name: drift
    drift: {reference: {path: reference.jsonl}}
""")
    err = refused(config)
    assert f"{config}:17 [suites[1].drift.reference]: the reference dataset" in err
    assert f"is not pinned: its sha256 is {sha}" in err


def test_a_changed_reference_prints_both_hashes(tmp_path, refused):
    sha = write_pinned(tmp_path, "reference.jsonl", IRIS[0::2])
    config = write_v2_gate(tmp_path, DEAD, IRIS, suites=CLASSIFICATION + f"""
  - name: drift
    drift: {{reference: {{path: reference.jsonl, sha256: "{sha}"}}}}
""")
    changed = write_pinned(tmp_path, "reference.jsonl", IRIS[0::3])
    err = refused(config)
    assert "[suites[1].drift.reference.sha256]: the reference dataset" in err
    assert f"pinned (sha256): {sha}" in err and f"actual (bytes):  {changed}" in err


def test_a_drift_column_missing_from_the_reference_is_named(tmp_path, refused):
    reference = [{k: v for k, v in row.items() if k != "petal_width"} for row in IRIS[0::2]]
    sha = write_pinned(tmp_path, "reference.jsonl", reference)
    config = write_v2_gate(tmp_path, DEAD, IRIS, suites=f"""
  - name: drift
    drift:
      reference: {{path: reference.jsonl, sha256: "{sha}"}}
      columns: [sepal_length, petal_width]
""")
    err = refused(config)
    assert "[suites[0].drift.columns]: drift column 'petal_width' is not in the reference dataset" in err


def test_a_target_that_is_not_a_number_names_its_row(tmp_path, refused):
    rows = [dict(row) for row in DIABETES[:10]]
    rows[4]["progression"] = "high"
    config = write_v2_gate(tmp_path, DEAD, rows, model="diabetes",
                           suites="\n  - name: reg\n    regression: {target: progression}\n")
    assert "row 'd-4' has no usable target in column 'progression' ('high')" in refused(config)


# -- the example gate shipped in quality/predictive -----------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "quality" / "predictive" / "gate.yaml"


def test_the_example_predictive_gate_passes_against_an_iris_classifier(tmp_path, server, capsys, monkeypatch):
    monkeypatch.setenv("GATEWISE_ENDPOINT_URL", server.base_url)
    code, stdout, stderr = run_gate(EXAMPLE, tmp_path / "out", capsys)
    assert code == 0, stdout + stderr
    result = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    assert {t["metric"] for t in result["thresholds"]} == {"errors", "species", "species.2", "drift", "latency_ms"}
    assert result["counts"]["samples"] == 75 and result["counts"]["errors"] == 0
