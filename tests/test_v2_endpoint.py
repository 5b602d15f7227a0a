"""A ``kind: v2`` endpoint against KServe's own ``ModelServer`` serving scikit-learn models on
127.0.0.1: predictions come back row by row in any batch size and layout, a dead server or
unknown model stops the gate (exit 3), a failing or malformed batch makes its rows errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gatewise.cli import main

from .v2_server import (IRIS_FEATURES, PICKY_LIMIT, V2Server, free_port, iris_rows, models, server,  # noqa: F401 (fixtures)
                        write_v2_gate)

ROWS = iris_rows()
# species, the true class, is a column too: without a suite naming it as the label, it must be left out
FEATURES = "  features: [sepal_length, sepal_width, petal_length, petal_width]\n"


@pytest.fixture
def gate(tmp_path, capsys):
    """Run ``gatewise gate`` in-process; return (exit code, stdout, stderr, out dir)."""

    def run(config: Path, *extra: str):
        out = tmp_path / "out"
        code = main(["gate", "--config", str(config), "--out", str(out), *extra])
        captured = capsys.readouterr()
        return code, captured.out, captured.err, out

    return run


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def expected_classes(models, rows) -> list[int]:
    features = np.array([[row[name] for name in IRIS_FEATURES] for row in rows])
    return [int(c) for c in models[1]["iris"].predict(features)]


@pytest.mark.parametrize("endpoint", [
    "  batch_size: 1\n  concurrency: 8\n",
    "  batch_size: 7\n",
    "  batch_size: 64\n  concurrency: 1\n",
    "  layout: columns\n  batch_size: 32\n",
], ids=["batch-1", "batch-7", "batch-64-serial", "columns-layout"])
def test_each_row_gets_the_model_prediction_for_its_own_features(tmp_path, server, models, gate, endpoint):
    config = write_v2_gate(tmp_path, server.base_url, ROWS, endpoint=FEATURES + endpoint)
    code, stdout, stderr, out = gate(config)
    assert code == 0, stderr
    lines = results(out)
    assert [line["row_id"] for line in lines] == [row["id"] for row in ROWS]
    assert [line["prediction"] for line in lines] == expected_classes(models, ROWS)
    assert all(line["output"] == str(line["prediction"]) and line["error"] is None for line in lines)
    result = json.loads((out / "gate-result.json").read_text())
    assert result["endpoint"]["api"] == "v2"
    assert result["endpoint"]["reported_model_ids"] == ["iris"]


def test_default_features_leave_out_the_id_and_the_label(tmp_path, server, models, gate):
    # species is the suite's label: were it sent, the model would refuse 5 features
    config = write_v2_gate(tmp_path, server.base_url, ROWS,
                           suites="\n  - name: clf\n    classification: {label: species}\n")
    code, _, stderr, out = gate(config)
    assert code == 0, stderr
    assert [line["prediction"] for line in results(out)] == expected_classes(models, ROWS)


def test_gate_fails_closed_when_the_server_is_down(tmp_path, gate):
    config = write_v2_gate(tmp_path, f"http://127.0.0.1:{free_port()}", ROWS, endpoint=FEATURES)
    code, stdout, stderr, out = gate(config)
    assert code == 3
    assert "cannot reach the model endpoint" in stderr and "/v2/health/ready" in stderr
    assert not (out / "gate-result.json").exists()


def test_an_unknown_model_stops_the_gate_naming_it(tmp_path, server, gate):
    config = write_v2_gate(tmp_path, server.base_url, ROWS, model="no-such-model", endpoint=FEATURES)
    code, _, stderr, out = gate(config)
    assert code == 3
    assert "model 'no-such-model' is not served" in stderr
    assert not (out / "gate-result.json").exists()


def test_a_model_that_always_errors_is_exit_3_with_its_error_message(tmp_path, server, gate):
    config = write_v2_gate(tmp_path, server.base_url, ROWS, model="broken",
                           endpoint=FEATURES + "  api_key: sekrit-token-123\n")
    code, _, stderr, out = gate(config)
    assert code == 3
    # KServe's V2 error body, read and shown: not a bare status code
    assert "HTTP 500: RuntimeError : the model fell over" in stderr
    assert "after 2 attempts" in stderr
    assert "sekrit-token-123" not in stderr


def test_a_failing_batch_makes_each_of_its_rows_an_error_and_the_others_are_kept(tmp_path, server, models, gate):
    config = write_v2_gate(tmp_path, server.base_url, ROWS, model="picky", endpoint=FEATURES + "  batch_size: 10\n",
                           extra="max_errors: 1000\n")
    code, _, stderr, out = gate(config)
    lines = results(out)
    bad_batches = {i // 10 for i, row in enumerate(ROWS) if row["sepal_length"] > PICKY_LIMIT}
    assert bad_batches, "the data must hold rows the picky model refuses"
    expected = expected_classes(models, ROWS)
    for index, line in enumerate(lines):
        if index // 10 in bad_batches:
            assert line["prediction"] is None and line["output"] is None
            assert "HTTP 500" in line["error"] and "above" in line["error"]
        else:
            assert line["error"] is None and line["prediction"] == expected[index]
    result = json.loads((out / "gate-result.json").read_text())
    assert result["counts"]["errors"] == 10 * len(bad_batches)
    assert code == 0, stderr  # max_errors allows them here


def test_errored_rows_fail_the_gate_by_default(tmp_path, server, gate):
    config = write_v2_gate(tmp_path, server.base_url, ROWS, model="picky", endpoint=FEATURES + "  batch_size: 10\n")
    code, stdout, _, out = gate(config)
    assert code == 1
    assert "FAIL errors.count" in stdout


def test_a_503_is_retried_and_the_retry_counted(tmp_path, server, models, gate):
    # flaky fails each request the first time it sees it: each batch fails once, then works
    config = write_v2_gate(tmp_path, server.base_url, ROWS, model="flaky", endpoint=FEATURES + "  batch_size: 50\n")
    code, _, stderr, out = gate(config)
    assert code == 0, stderr
    lines = results(out)
    assert [line["prediction"] for line in lines] == expected_classes(models, ROWS)
    assert {line["attempts"] for line in lines} == {2}
    result = json.loads((out / "gate-result.json").read_text())
    assert result["counts"]["calls"] == 150 * 2  # per row: the attempts of its batch


def test_without_retries_a_503_is_final(tmp_path, server, gate):
    # a batch size of its own, so flaky has not seen these requests before
    config = write_v2_gate(tmp_path, server.base_url, ROWS, model="flaky",
                           endpoint=FEATURES + "  batch_size: 30\n  max_retries: 0\n")
    config.write_text(config.read_text().replace("  max_retries: 1\n", "", 1))
    code, _, stderr, _ = gate(config)
    assert code == 3
    assert "HTTP 503: Model with name flaky is not ready. warming up" in stderr and "after 1 attempt)" in stderr


def test_a_400_is_not_retried(tmp_path, server, gate):
    config = write_v2_gate(tmp_path, server.base_url, ROWS, model="refusing",
                           endpoint=FEATURES + "  max_retries: 3\n")
    config.write_text(config.read_text().replace("  max_retries: 1\n", "", 1))
    code, _, stderr, _ = gate(config)
    assert code == 3
    assert "HTTP 400: the features are not what this model takes" in stderr and "after 1 attempt)" in stderr


def test_a_malformed_body_makes_row_errors_not_predictions(tmp_path, server, gate):
    # "short" answers one prediction fewer than it is sent: no row can be matched to a prediction
    config = write_v2_gate(tmp_path, server.base_url, ROWS[:20], model="short",
                           endpoint=FEATURES + "  batch_size: 10\n")
    code, _, stderr, _ = gate(config)
    assert code == 3
    assert "malformed response: 10 rows were sent" in stderr


def test_a_cached_rerun_calls_nothing_and_measures_the_same(tmp_path, server, models, gate):
    config = write_v2_gate(tmp_path, server.base_url, ROWS, endpoint=FEATURES,
                           suites="\n  - name: clf\n    classification: {label: species}\n",
                           thresholds='{clf: {accuracy: ">= 0.9"}}')
    cache = str(tmp_path / "cache")
    code, _, stderr, out = gate(config, "--cache", "--cache-dir", cache)
    assert code == 0, stderr
    first = json.loads((out / "gate-result.json").read_text())
    code, stdout, stderr, out = gate(config, "--cache", "--cache-dir", cache)
    assert code == 0, stderr
    result = json.loads((out / "gate-result.json").read_text())
    assert result["counts"]["cached"] == len(ROWS) and result["counts"]["calls"] == 0
    assert [line["prediction"] for line in results(out)] == expected_classes(models, ROWS)
    # the scores and the dataset-level statistics both come back from the cache
    assert "taken from the cache" in stderr + stdout
    for metric in ("clf", "clf.0", "clf.1", "clf.2"):
        assert result["metrics"][metric] == first["metrics"][metric]


def test_the_server_and_all_its_processes_are_gone_after_stop(models):
    import os

    server = V2Server(models[0]).start()
    group = server.process.pid
    server.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)


# -- bad config: exit 2 before any call --------------------------------------------------------
# the endpoint is a port nobody listens on: had the gate called it, the exit would be 3

def test_an_openai_endpoint_without_a_prompt_names_the_key(tmp_path, gate):
    config = write_v2_gate(tmp_path, f"http://127.0.0.1:{free_port()}", ROWS)
    config.write_text(config.read_text().replace("  kind: v2\n", ""))
    code, _, stderr, _ = gate(config)
    assert code == 2
    assert f"{config}" in stderr and "[prompt]: required key is missing" in stderr


def test_a_v2_endpoint_with_a_prompt_names_the_key(tmp_path, gate):
    config = write_v2_gate(tmp_path, f"http://127.0.0.1:{free_port()}", ROWS,
                           extra="prompt: {user: \"{sepal_length}\"}\n")
    code, _, stderr, _ = gate(config)
    assert code == 2
    assert "[prompt]: a v2 endpoint is sent feature columns, not a prompt" in stderr


@pytest.mark.parametrize("endpoint, where, message", [
    ("  features: [sepal_length, petal_size]\n", ":9 [endpoint.features]", "feature 'petal_size' is not a column"),
    ("  temperature: 0\n", ":9 [endpoint.temperature]", "unknown key"),
    ("  layout: rows\n", ":9 [endpoint.layout]", "'matrix' or 'columns'"),
    ("  batch_size: 0\n", ":9 [endpoint.batch_size]", "greater than or equal to 1"),
], ids=["missing-feature", "openai-only-key", "bad-layout", "batch-size-0"])
def test_bad_v2_endpoint_settings_name_line_and_key(tmp_path, gate, endpoint, where, message):
    config = write_v2_gate(tmp_path, f"http://127.0.0.1:{free_port()}", ROWS, endpoint=endpoint)
    code, _, stderr, _ = gate(config)
    assert code == 2, stderr
    assert f"{config}{where}: " in stderr and message in stderr


def test_an_unknown_endpoint_kind_lists_the_kinds(tmp_path, gate):
    config = write_v2_gate(tmp_path, f"http://127.0.0.1:{free_port()}", ROWS)
    config.write_text(config.read_text().replace("kind: v2", "kind: grpc"))
    code, _, stderr, _ = gate(config)
    assert code == 2
    assert f"{config}:2 [endpoint.kind]: unknown endpoint kind" in stderr and "'v2'" in stderr


def test_v2_keys_without_kind_v2_say_what_is_missing(tmp_path, gate):
    config = write_v2_gate(tmp_path, f"http://127.0.0.1:{free_port()}", ROWS, endpoint=FEATURES,
                           extra="prompt: {user: \"{sepal_length}\"}\n")
    config.write_text(config.read_text().replace("  kind: v2\n", ""))
    code, _, stderr, _ = gate(config)
    assert code == 2
    assert f"{config}:8 [endpoint.features]: unknown key for an OpenAI-compatible endpoint; it is a v2 key" in stderr


def test_a_text_feature_in_a_matrix_names_its_row(tmp_path, gate):
    rows = [dict(row) for row in ROWS[:5]]
    rows[3]["petal_width"] = "wide"
    config = write_v2_gate(tmp_path, f"http://127.0.0.1:{free_port()}", rows)
    code, _, stderr, _ = gate(config)
    assert code == 2
    assert "row 'iris-3', feature 'petal_width': 'wide' is not a number" in stderr


# -- a baseline endpoint of the same kind ---------------------------------------------------------

CLASSIFIER = "\n  - name: clf\n    classification: {label: species}\n"


def test_a_v2_baseline_endpoint_is_sent_the_same_features_and_paired_by_row(tmp_path, server, gate):
    # a per-row check on the predicted class's text: 1 where the model says setosa (class 0)
    setosa = "\n  - name: setosa\n    evidently: [{descriptor: RegExp, reg_exp: \"^0$\"}]\n"
    config = write_v2_gate(tmp_path, server.base_url, ROWS, endpoint=FEATURES, suites=setosa,
                           extra=f"baseline:\n  endpoint: {{ kind: v2, base_url: {server.base_url}, model: iris }}\n")
    code, _, stderr, out = gate(config)
    assert code == 0, stderr
    document = json.loads((out / "gate-result.json").read_text())
    comparison = document["baseline"]["metrics"][0]
    assert document["baseline"]["kind"] == "endpoint" and document["baseline"]["paired"] is True
    assert comparison["n"] == len(ROWS) and 0 < comparison["baseline"] < 1
    assert comparison["candidate"] == comparison["baseline"] and comparison["delta"] == 0


def test_a_classification_suite_pairs_each_row_right_or_wrong_with_the_baseline_endpoint(tmp_path, server, models,
                                                                                        gate):
    config = write_v2_gate(tmp_path, server.base_url, ROWS, suites=CLASSIFIER,
                           extra=f"baseline:\n  endpoint: {{ kind: v2, base_url: {server.base_url}, model: iris }}\n")
    code, _, stderr, out = gate(config)
    assert code == 0, stderr
    [comparison] = json.loads((out / "gate-result.json").read_text())["baseline"]["metrics"]
    right = sum(p == row["species"] for p, row in zip(expected_classes(models, ROWS), ROWS)) / len(ROWS)
    assert comparison["metric"] == "clf" and comparison["n"] == len(ROWS)
    assert comparison["baseline"] == pytest.approx(right) and comparison["candidate"] == pytest.approx(right)
    assert comparison["delta"] == 0


def test_a_v2_baseline_endpoint_that_is_down_is_exit_3(tmp_path, server, gate):
    dead = f"http://127.0.0.1:{free_port()}"
    config = write_v2_gate(tmp_path, server.base_url, ROWS, suites=CLASSIFIER,
                           extra=f"baseline:\n  endpoint: {{ kind: v2, base_url: {dead}, model: iris }}\n")
    code, _, stderr, out = gate(config)
    assert code == 3
    assert "baseline endpoint (baseline.endpoint)" in stderr and not (out / "gate-result.json").exists()


def test_a_baseline_endpoint_of_another_kind_names_the_key(tmp_path, gate):
    config = write_v2_gate(tmp_path, f"http://127.0.0.1:{free_port()}", ROWS, suites=CLASSIFIER,
                           extra="baseline:\n  endpoint: { base_url: http://127.0.0.1:9/v1, model: iris }\n")
    code, _, stderr, out = gate(config)
    assert code == 2
    assert f"{config}:18 [baseline.endpoint]: the baseline endpoint is sent the same rows as the model, so it " \
           "needs the endpoint's kind (v2), not openai" in stderr
    assert not out.exists()
