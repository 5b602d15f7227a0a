"""The gate's parts together, through ``gatewise gate``: judge suites with a baseline and with
repeats, predictive suites over KServe V2 with a baseline from an earlier run, and a baseline
whose dataset differs. Real servers on 127.0.0.1: the stand-in as model and as judge, KServe's
``ModelServer``; every expected value is computed here from the outputs, not taken from gatewise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatewise.cli import main
from gatewise.standin import StandinServer

from .conftest import example_rows, write_gate
from .test_baseline import endpoint_block
from .conftest import JUDGE_MODEL
from .test_judge import G_EVAL, judge_section, states_answer
from .v2_server import IRIS_FEATURES, V2Server, iris_rows, train_models, write_v2_gate

ROWS = example_rows(24)
JUDGE_KEY = "sk-judge-integ-0a1b2c3d4e5f"
LOOSE = '\n  correctness: { mean: ">= 0.0" }\n'  # no absolute bar: only the baseline can fail these gates


def judged_gate(directory: Path, model: StandinServer, judge_url: str, *, rows=ROWS, extra: str = "",
                thresholds: str = LOOSE) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return write_gate(directory, model.base_url, rows=rows, suites=G_EVAL, thresholds=thresholds,
                      extra=judge_section(judge_url) + extra)


def gate(capsys, config: Path, out: Path, *flags: str) -> tuple[int, str, str]:
    code = main(["gate", "--config", str(config), "--out", str(out), "--cache-dir", str(out.parent / "cache"),
                 *flags])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read(out: Path) -> tuple[dict, list[dict], str]:
    """gate-result.json, results.jsonl and summary.md of a run."""
    document = json.loads((out / "gate-result.json").read_text(encoding="utf-8"))
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    return document, lines, (out / "summary.md").read_text(encoding="utf-8")


def pr_comment(out: Path, config: Path) -> str:
    """What ``gatewise publish`` posts for the run in ``out``: rendered again from its files."""
    from gatewise.publish import feedback_from_run, load_gate_run

    return feedback_from_run(load_gate_run(out), str(config)).markdown(65536)


def threshold(document: dict, key: str) -> dict:
    (line,) = [t for t in document["thresholds"] if f"{t['metric']}.{t['statistic']}" == key]
    return line


# -- the judge's identity in the result ---------------------------------------------------------------

def test_the_judge_is_named_in_the_result_summary_and_junit_without_its_credentials(
        tmp_path, capsys, judge, good_model, monkeypatch):
    monkeypatch.setenv("GATEWISE_JUDGE_KEY", JUDGE_KEY)
    # a key in the URL's user part is a credential too: the result keeps only the public URL
    secret_url = judge.base_url.replace("http://", f"http://user:{JUDGE_KEY}@")
    config = judged_gate(tmp_path, good_model, secret_url)
    config.write_text(config.read_text() + '  api_key: "${GATEWISE_JUDGE_KEY}"\n')
    before = judge.stats.completions
    code, stdout, stderr = gate(capsys, config, tmp_path / "out")
    assert code == 0, stderr
    made = judge.stats.completions - before
    document, _, summary = read(tmp_path / "out")
    assert document["schema_version"] == "gatewise.gate-result/v1"
    assert document["judge"] == {"base_url": judge.base_url, "model": JUDGE_MODEL,
                                 "reported_model_ids": [JUDGE_MODEL], "calls": made, "cached": 0}
    assert made == len(ROWS) + 1  # one per row, plus G-Eval's evaluation steps
    assert f"judge `{JUDGE_MODEL}`" in summary.split("\n\n")[2]  # the header line beside the model
    junit = (tmp_path / "out" / "junit.xml").read_text(encoding="utf-8")
    assert f'name="judge_model" value="{JUDGE_MODEL}"' in junit
    for name in ("gate-result.json", "results.jsonl", "summary.md", "junit.xml"):
        assert JUDGE_KEY not in (tmp_path / "out" / name).read_text(encoding="utf-8"), name
    assert JUDGE_KEY not in stdout + stderr

    # a rerun takes every judge answer from the cache, and says so
    code, _, stderr = gate(capsys, config, tmp_path / "again")
    assert code == 0, stderr
    assert read(tmp_path / "again")[0]["judge"]["calls"] == 0
    assert read(tmp_path / "again")[0]["judge"]["cached"] == made


def test_a_gate_without_judge_suites_records_no_judge(tmp_path, capsys, good_model, judge):
    # a judge section alone does not make the run judged
    config = write_gate(tmp_path, good_model.base_url, rows=ROWS, extra=judge_section(judge.base_url))
    code, _, stderr = gate(capsys, config, tmp_path / "out")
    assert code == 0, stderr
    document, _, summary = read(tmp_path / "out")
    assert document["judge"] is None
    assert "judge `" not in summary


def test_publish_reads_the_judge_back_and_mlflow_params_name_it(tmp_path, capsys, judge, good_model):
    from gatewise.publish import load_gate_run
    from gatewise.registry import Lineage
    from gatewise.registry._run import read_gate_result, run_params

    assert gate(capsys, judged_gate(tmp_path, good_model, judge.base_url), tmp_path / "out")[0] == 0
    loaded = load_gate_run(tmp_path / "out").result
    assert loaded.judge is not None and loaded.judge.model == JUDGE_MODEL
    assert loaded.judge.reported_model_ids == (JUDGE_MODEL,)
    document, _ = read_gate_result(tmp_path / "out")
    params = run_params(document, Lineage())
    assert params["judge_model"] == JUDGE_MODEL and params["judge_model_ids"] == JUDGE_MODEL


# -- (a) a judge suite against a better baseline endpoint --------------------------------------------

def test_a_judge_suite_fails_its_regression_line_against_a_better_baseline_endpoint(
        tmp_path, capsys, judge, good_model, poor_model):
    config = judged_gate(tmp_path, poor_model, judge.base_url,
                         extra="baseline:\n" + endpoint_block(good_model.base_url))
    before = judge.stats.completions
    code, stdout, stderr = gate(capsys, config, tmp_path / "out")
    assert code == 1, stderr
    assert "correctness.mean vs baseline" in stdout
    document, lines, summary = read(tmp_path / "out")

    # the judge was asked about both models' outputs: every distinct (row, output) once, the steps once
    candidate_outputs = {(x["row_id"], x["output"]) for x in lines}
    baseline_outputs = {(r["id"], r["answer"]) for r in ROWS}  # the good model answers every row right
    assert judge.stats.completions - before == len(candidate_outputs | baseline_outputs) + 1
    assert document["judge"]["calls"] == judge.stats.completions - before
    # the baseline's outputs that the candidate also gave were judged once, then read back
    assert document["judge"]["cached"] == len(candidate_outputs & baseline_outputs) + 1

    line = threshold(document, "correctness.mean vs baseline")
    assert line["passed"] is False
    assert [t["passed"] for t in document["thresholds"] if t is not line] == [True, True]
    (comparison,) = document["baseline"]["metrics"]
    assert document["baseline"]["kind"] == "endpoint" and document["baseline"]["paired"] is True
    wrong = {x["row_id"] for x in lines if not states_answer(x["output"], x["inputs"]["answer"])}
    assert 0 < len(wrong) < len(ROWS), "the poor model must get some rows wrong for this test to mean anything"
    assert comparison["baseline"] == 1.0
    assert comparison["candidate"] == pytest.approx(1 - len(wrong) / len(ROWS))
    assert comparison["worse_count"] == len(wrong) and comparison["better_count"] == 0
    assert {r["row_id"] for r in comparison["worse_rows"]} == wrong
    assert "### Compared with the baseline" in summary
    assert f"correctness: {len(wrong)} rows got worse" in summary
    for row_id in wrong:
        assert f"`{row_id}`" in summary
    assert pr_comment(tmp_path / "out", config) == summary  # the PR comment says the same


# -- (b) a judge suite with repeats ------------------------------------------------------------------

def test_a_judge_suite_with_repeats_reports_agreement_and_judges_every_output(tmp_path, capsys, judge, answers):
    rows = example_rows(20)
    # a noisy model: a weighted coin per call, so repeats of a row disagree on many rows
    with StandinServer(answers=answers, quality=0.7, noise=2.0, seed=11) as noisy:
        config = judged_gate(tmp_path, noisy, judge.base_url, rows=rows, extra="repeats: 2\n")
        before = judge.stats.completions
        code, _, stderr = gate(capsys, config, tmp_path / "out")
        assert noisy.stats.completions == 2 * len(rows)
    assert code == 0, stderr
    made = judge.stats.completions - before
    document, lines, summary = read(tmp_path / "out")

    assert len(lines) == 2 * len(rows) and {x["repeat"] for x in lines} == {0, 1}
    right = {(x["row_id"], x["repeat"]): states_answer(x["output"], x["inputs"]["answer"]) for x in lines}
    for x in lines:  # every (row, repeat) output has the judge's own score
        score = x["scores"]["correctness.g-eval"]
        assert score["error"] is None and score["judge_model"] == JUDGE_MODEL
        assert score["value"] == (1.0 if right[(x["row_id"], x["repeat"])] else 0.0)
    # the judge is asked once per distinct output of a row (a repeat that said the same thing
    # reads the same judge prompt, answered once), plus G-Eval's evaluation steps
    assert made == len({(x["row_id"], x["output"]) for x in lines}) + 1
    assert document["judge"]["calls"] == made

    flaky = {r["id"] for r in rows if right[(r["id"], 0)] != right[(r["id"], 1)]}
    assert flaky, "the noisy model should flip some rows between repeats"
    assert document["repeats"] == {"k": 2, "suites": {"correctness": {
        "rows": len(rows), "agreement": pytest.approx(1 - len(flaky) / (2 * len(rows))),
        "flaky_rows": len(flaky), "flakiness": pytest.approx(len(flaky) / len(rows))}}}
    assert "### Repeats" in summary and "`correctness`" in summary.split("### Repeats")[1]
    for x in lines:
        expected = 0.5 if x["row_id"] in flaky else 1.0
        assert x["agreement"] == {"correctness": expected}
    assert pr_comment(tmp_path / "out", config) == summary  # the PR comment says the same


# -- (c), (d) predictive suites over KServe V2 with a baseline from an earlier run -----------------

IRIS = iris_rows()
CLASSIFICATION = """
  - name: clf
    classification: {label: species}
"""


@pytest.fixture(scope="module")
def iris_models(tmp_path_factory):
    """``iris`` (a logistic regression on the four features) and ``iris_weak`` (a one-split tree on
    the petal length alone, which cannot tell the last two species apart), saved where the V2
    server loads them."""
    import joblib
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier

    directory = tmp_path_factory.mktemp("iris-models")
    strong = train_models(directory)["iris"]
    (directory / "diabetes.joblib").unlink()  # not needed here: a lighter server
    # the gate sends all four features; the pipeline keeps one, as a weaker model would
    weak = make_pipeline(ColumnTransformer([("petal_length", "passthrough", [2])]),
                         DecisionTreeClassifier(max_depth=1, random_state=0))
    weak.fit(np.array([[row[f] for f in IRIS_FEATURES] for row in IRIS]), [row["species"] for row in IRIS])
    joblib.dump(weak, directory / "iris_weak.joblib")
    return directory, strong, weak


@pytest.fixture(scope="module")
def v2(iris_models):
    with V2Server(iris_models[0]) as running:
        yield running


@pytest.fixture(scope="module")
def strong_out(tmp_path_factory, v2):
    """A run of the strong classifier: the results the later runs compare with."""
    directory = tmp_path_factory.mktemp("strong")
    config = write_v2_gate(directory, v2.base_url, IRIS, suites=CLASSIFICATION, thresholds="{}")
    assert main(["gate", "--config", str(config), "--out", str(directory / "out")]) == 0
    return directory / "out"


def predictions(model, rows) -> dict[str, int]:
    import numpy as np

    predicted = model.predict(np.array([[row[f] for f in IRIS_FEATURES] for row in rows]))
    return {row["id"]: int(p) for row, p in zip(rows, predicted)}


def test_a_v2_classifier_is_paired_by_row_id_with_an_earlier_runs_results(tmp_path, capsys, v2, iris_models,
                                                                         strong_out):
    _, strong, weak = iris_models
    config = write_v2_gate(tmp_path, v2.base_url, IRIS, model="iris_weak", suites=CLASSIFICATION,
                           thresholds="{}", extra=f"baseline: {{ results: {strong_out} }}\n")
    code, stdout, stderr = gate(capsys, config, tmp_path / "out")
    document, lines, summary = read(tmp_path / "out")

    strong_said, weak_said = predictions(strong, IRIS), predictions(weak, IRIS)
    was_right = {r["id"]: strong_said[r["id"]] == r["species"] for r in IRIS}
    now_right = {r["id"]: weak_said[r["id"]] == r["species"] for r in IRIS}
    worse = {i for i in was_right if was_right[i] and not now_right[i]}
    better = {i for i in was_right if now_right[i] and not was_right[i]}
    assert len(worse) > 5, "the weak model must lose rows for this test to mean anything"
    assert [x["prediction"] for x in lines] == [weak_said[r["id"]] for r in IRIS]

    assert document["baseline"]["kind"] == "results" and document["baseline"]["paired"] is True
    (comparison,) = document["baseline"]["metrics"]
    assert comparison["n"] == len(IRIS)
    assert comparison["baseline"] == pytest.approx(sum(was_right.values()) / len(IRIS))
    assert comparison["candidate"] == pytest.approx(sum(now_right.values()) / len(IRIS))
    assert comparison["worse_count"] == len(worse) and comparison["better_count"] == len(better)
    assert {r["row_id"] for r in comparison["worse_rows"]} <= worse
    assert code == 1 and "clf.mean vs baseline" in stdout, stderr
    assert "rows got worse" in summary
    assert pr_comment(tmp_path / "out", config) == summary


def test_a_baseline_run_on_another_dataset_is_compared_by_aggregates_only(tmp_path, capsys, v2, strong_out):
    subset = IRIS[::3]  # another file, another sha256
    config = write_v2_gate(tmp_path, v2.base_url, subset, suites=CLASSIFICATION, thresholds="{}",
                           extra=f"baseline: {{ results: {strong_out} }}\n")
    code, _, stderr = gate(capsys, config, tmp_path / "out")
    document, _, summary = read(tmp_path / "out")
    baseline_sha = json.loads((strong_out / "gate-result.json").read_text())["dataset"]["sha256"]

    assert code == 0, stderr  # the same model on a third of the rows: no regression
    assert document["baseline"]["paired"] is False
    assert document["baseline"]["dataset_sha256"] == baseline_sha != document["dataset"]["sha256"]
    (comparison,) = document["baseline"]["metrics"]
    assert comparison["worse_rows"] == [] and comparison["interval"] is not None
    assert "aggregates only, rows not paired" in summary
    assert f"the baseline ran on another dataset (sha256 {baseline_sha[:12]}" in summary
    assert "rows got worse" not in summary
    assert pr_comment(tmp_path / "out", config) == summary  # the PR comment says the same


@pytest.fixture(scope="module")
def judged_good_out(tmp_path_factory, judge, good_model):
    """A judged run of the good model over ROWS: the results later judged runs compare with."""
    directory = tmp_path_factory.mktemp("judged-good")
    config = judged_gate(directory, good_model, judge.base_url)
    assert main(["gate", "--config", str(config), "--out", str(directory / "out"), "--cache-dir",
                 str(directory / "cache")]) == 0
    return directory / "out"


def test_a_judge_suite_is_paired_by_row_id_with_an_earlier_judged_run(tmp_path, capsys, judge, poor_model,
                                                                     judged_good_out):
    config = judged_gate(tmp_path, poor_model, judge.base_url, extra=f"baseline: {{ results: {judged_good_out} }}\n")
    code, stdout, stderr = gate(capsys, config, tmp_path / "out")
    document, lines, summary = read(tmp_path / "out")
    wrong = {x["row_id"] for x in lines if not states_answer(x["output"], x["inputs"]["answer"])}
    assert code == 1 and "correctness.mean vs baseline" in stdout, stderr
    assert document["baseline"]["kind"] == "results" and document["baseline"]["paired"] is True
    (comparison,) = document["baseline"]["metrics"]
    assert comparison["n"] == len(ROWS) and comparison["baseline"] == 1.0
    assert {r["row_id"] for r in comparison["worse_rows"]} == wrong
    assert f"correctness: {len(wrong)} rows got worse" in summary
    assert pr_comment(tmp_path / "out", config) == summary


def test_a_judge_suite_against_results_of_another_dataset_says_aggregates_only(tmp_path, capsys, judge, poor_model,
                                                                              judged_good_out):
    config = judged_gate(tmp_path, poor_model, judge.base_url, rows=example_rows(30),
                         extra=f"baseline: {{ results: {judged_good_out} }}\n")
    code, stdout, stderr = gate(capsys, config, tmp_path / "out")
    document, lines, summary = read(tmp_path / "out")
    assert document["baseline"]["paired"] is False
    assert "aggregates only, rows not paired" in summary and "another dataset" in summary
    (comparison,) = document["baseline"]["metrics"]
    assert comparison["baseline"] == 1.0 and comparison["worse_rows"] == []
    wrong = sum(not states_answer(x["output"], x["inputs"]["answer"]) for x in lines)
    assert comparison["candidate"] == pytest.approx(1 - wrong / len(lines))
    # half the rows wrong is a drop no unpaired interval can call noise
    assert code == 1 and "correctness.mean vs baseline" in stdout, stderr


# -- gatewise validate names what the run will compare and how ----------------------------------------

def test_validate_names_the_judge_repeats_confidence_and_baseline_endpoint(tmp_path, capsys, judge, good_model,
                                                                          poor_model):
    config = judged_gate(tmp_path, poor_model, judge.base_url, extra=(
        "repeats: 3\nconfidence: { mode: confident, level: 0.9 }\nbaseline:\n" + endpoint_block(good_model.base_url)
        + "  rule: point\n"))
    calls = judge.stats.requests, good_model.stats.requests, poor_model.stats.requests
    assert main(["validate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"{config}: OK — " in out and out.count("\n") == 1
    assert f"judge {judge.base_url} model {JUDGE_MODEL}" in out
    assert "repeats 3; confidence confident at 0.9" in out
    assert (f"baseline endpoint {good_model.base_url} model standin-model, rule point "
            "(max regression 0.02, confidence 0.99)") in out
    assert (judge.stats.requests, good_model.stats.requests, poor_model.stats.requests) == calls


def test_validate_says_a_baseline_run_on_another_dataset_compares_aggregates_only(tmp_path, capsys, v2, strong_out):
    config = write_v2_gate(tmp_path, v2.base_url, IRIS[:30], suites=CLASSIFICATION, thresholds="{}",
                           extra=f"baseline: {{ results: {strong_out} }}\n")
    assert main(["validate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "repeats 1; confidence point at 0.95" in out and "judge" not in out
    assert f"baseline results {strong_out}, {len(IRIS)} rows of another dataset: aggregates only, rule significant" \
        in out
