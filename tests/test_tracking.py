"""Every gate run in MLflow: logged with params, metrics, tags, reports and rows; a server that goes
down never changes the verdict; a run of the history is a baseline; promotion links to the run.

A real ``mlflow server`` (tests/mlflow_server.py), the stand-in model and judge, and the Actions
variables a pull-request job has. Each test uses its own model name, so its own experiment.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import pytest

from gatewise import cli
from gatewise.config import load_config
from gatewise.errors import ConfigError
from gatewise.registry import connect
from gatewise.standin import Faults, StandinServer

from .conftest import example_rows, write_gate
from .mlflow_server import MlflowServer, mlflow_server  # noqa: F401  (session fixture)
from .test_judge import G_EVAL, JUDGE_KEY, judge_section

ENDPOINT_KEY = "sk-endpoint-secret-5e4d3c2b1a09"
TRACKING_TOKEN = "mlflow-token-secret-0a1b2c3d4e"
HEAD_SHA = "b2" * 20
MERGE_SHA = "c3" * 20
EVIDENTLY = """
  - name: format
    evidently:
      - { descriptor: TextLength, name: length, max: 200 }
"""


@pytest.fixture
def model_name() -> str:
    return f"qa-{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def _quiet_mlflow(monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("GITHUB_ACTIONS", "GITHUB_REPOSITORY", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_SHA",
                 "GITHUB_REF", "GITHUB_REF_NAME", "GITHUB_HEAD_REF", "GITHUB_RUN_ID", "GITHUB_OUTPUT",
                 "MLFLOW_TRACKING_TOKEN", "GATEWISE_TRACKING_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def pull_request_job(monkeypatch, tmp_path: Path, *, number: int = 42, branch: str = "feature/better-prompt") -> Path:
    """The variables of a pull_request job; returns its GITHUB_OUTPUT file."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": number, "pull_request": {
        "number": number, "head": {"sha": HEAD_SHA, "repo": {"full_name": "acme/qa-service"}}}}))
    output = tmp_path / "github-output"
    output.write_text("")
    for key, value in {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/qa-service",
                       "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
                       "GITHUB_SHA": MERGE_SHA, "GITHUB_REF": f"refs/pull/{number}/merge",
                       "GITHUB_REF_NAME": f"{number}/merge", "GITHUB_HEAD_REF": branch, "GITHUB_RUN_ID": "777",
                       "GITHUB_OUTPUT": str(output)}.items():
        monkeypatch.setenv(key, value)
    return output


def push_job(monkeypatch, tmp_path: Path, branch: str = "main") -> Path:
    output = tmp_path / "github-output"
    output.write_text("")
    for key, value in {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/qa-service", "GITHUB_EVENT_NAME": "push",
                       "GITHUB_SHA": "d4" * 20, "GITHUB_REF": f"refs/heads/{branch}", "GITHUB_REF_NAME": branch,
                       "GITHUB_RUN_ID": "778", "GITHUB_OUTPUT": str(output)}.items():
        monkeypatch.setenv(key, value)
    for name in ("GITHUB_HEAD_REF", "GITHUB_EVENT_PATH"):
        monkeypatch.delenv(name, raising=False)
    return output


def outputs(path: Path) -> dict[str, str]:
    """The step outputs in GITHUB_OUTPUT's ``name<<delimiter`` blocks."""
    lines, found = path.read_text().splitlines(), {}
    while lines:
        name, delimiter = lines.pop(0).split("<<", 1)
        end = lines.index(delimiter)
        found[name], lines = "\n".join(lines[:end]), lines[end + 1:]
    return found


def tracked_gate(directory: Path, base_url: str, model: str, *, tracking: str = "", suites: str = EVIDENTLY,
                 thresholds: str = '\n  format: { pass_rate: ">= 0.9" }\n', extra: str = "", rows: int = 8) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return write_gate(directory, base_url, rows=example_rows(rows), suites=suites, thresholds=thresholds,
                      extra=f"model: {{ name: {model} }}\n{tracking}{extra}")


def gate(config: Path, out: Path, *flags: str) -> int:
    return cli.main(["gate", "--config", str(config), "--out", str(out), "--cache-dir", str(out.parent / "cache"),
                     *flags])


def gate_runs(url: str, experiment: str) -> list:
    client = connect(url)
    found = client.get_experiment_by_name(experiment)
    return [] if found is None else client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])


# --- a run, logged -----------------------------------------------------------------------------------

def test_a_gate_run_becomes_an_mlflow_run_with_params_metrics_tags_reports_and_rows(
        tmp_path, monkeypatch, capsys, mlflow_server, good_model, judge, model_name):  # noqa: F811
    output = pull_request_job(monkeypatch, tmp_path)
    monkeypatch.setenv("GATEWISE_ENDPOINT_KEY", ENDPOINT_KEY)
    monkeypatch.setenv("GATEWISE_JUDGE_KEY", JUDGE_KEY)
    monkeypatch.setenv("GATEWISE_TRACKING_TOKEN", TRACKING_TOKEN)
    suites = EVIDENTLY + G_EVAL
    config = tracked_gate(tmp_path / "gate", good_model.base_url, model_name, suites=suites,
                          tracking="tracking: { token_env: GATEWISE_TRACKING_TOKEN }\n",
                          thresholds='\n  format: { pass_rate: ">= 0.9" }\n  correctness: { mean: ">= 0.8" }\n',
                          extra=judge_section(judge.base_url))
    out = tmp_path / "out"
    # --tracking-uri names the server; the config's tracking: section only sets the token variable
    assert gate(config, out, "--tracking-uri", mlflow_server.url) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    assert "View run" not in captured.out  # stdout is the verdict's; MLflow's run link would land there

    [run] = gate_runs(mlflow_server.url, model_name)  # experiment: the model's name
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    assert outputs(output) == {"mlflow-gate-run-id": run_id, "tracking-exit-code": "0"}
    assert f"MLflow: gate run {run_id}" in captured.err
    result = json.loads((out / "gate-result.json").read_text())

    params = run.data.params
    assert params["config_sha256"] == result["config"]["sha256"]
    assert params["dataset_path"] == result["dataset"]["path"] and params["dataset_sha256"] == result["dataset"]["sha256"]
    assert params["endpoint_model_ids"] == "standin-model"  # the id the endpoint served, not the one asked for
    assert params["judge_model"] == "judge-model" and params["judge_model_ids"] == "judge-model"
    assert params["gatewise_version"]

    metrics = run.data.metrics
    for metric, statistics in result["metrics"].items():
        for statistic, value in statistics.items():
            if value is not None:
                assert metrics[f"{metric}.{statistic}"] == pytest.approx(value)
    for metric, statistics in result["intervals"].items():
        for statistic, (low, high) in statistics.items():
            assert metrics[f"{metric}.{statistic}.ci_low"] == pytest.approx(low)
            assert metrics[f"{metric}.{statistic}.ci_high"] == pytest.approx(high)
    assert metrics["format.pass_rate"] == 1.0 and metrics["gate.passed"] == 1.0

    tags = run.data.tags
    assert tags["gatewise.verdict"] == "passed"
    assert tags["gatewise.git_sha"] == HEAD_SHA and tags["mlflow.source.git.commit"] == HEAD_SHA
    assert tags["gatewise.branch"] == "feature/better-prompt"
    assert tags["gatewise.pr_number"] == "42"
    assert tags["gatewise.pr_url"] == "https://github.com/acme/qa-service/pull/42"
    assert tags["gatewise.run_url"] == "https://github.com/acme/qa-service/actions/runs/777"

    everything = json.dumps([params, tags])
    for secret in (ENDPOINT_KEY, JUDGE_KEY, TRACKING_TOKEN):
        assert secret not in everything and secret not in captured.err and secret not in captured.out

    client = connect(mlflow_server.url)
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"gate-result.json", "results.jsonl", "summary.md", "junit.xml", "gatewise_rows.json"} <= artifacts
    table = json.loads(Path(client.download_artifacts(run_id, "gatewise_rows.json", str(tmp_path))).read_text())
    assert len(table["data"]) == 8 and "score.correctness.g-eval" in table["columns"]

    traces = client.search_traces(locations=[run.info.experiment_id], run_id=run_id)
    assert len(traces) == 8
    rows = {line["row_id"]: line for line in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    for trace in traces:
        row = rows[trace.info.tags["gatewise.row_id"]]
        assessed = {a.name: a for a in trace.info.assessments}
        assert set(assessed) == {*row["scores"], "passed"}
        judged = assessed["correctness.g-eval"]
        assert judged.value == row["scores"]["correctness.g-eval"]["value"]
        assert judged.rationale == row["scores"]["correctness.g-eval"]["reason"]
        assert judged.source.source_type == "LLM_JUDGE" and judged.source.source_id == "judge-model"
        assert assessed["passed"].value is row["passed"]


def test_tracking_is_off_unless_configured(tmp_path, capsys, mlflow_server, standin, model_name):  # noqa: F811
    config = tracked_gate(tmp_path / "gate", standin.base_url, model_name)
    assert gate(config, tmp_path / "out") == 0
    assert gate_runs(mlflow_server.url, model_name) == []
    assert "MLflow" not in capsys.readouterr().err


# --- tracking never decides ------------------------------------------------------------------------

def test_a_tracking_server_down_mid_run_is_a_warning_and_the_verdict_stands(
        tmp_path, monkeypatch, capsys, answers, model_name):
    output = pull_request_job(monkeypatch, tmp_path)
    with MlflowServer(tmp_path / "mlflow") as server, \
            StandinServer(answers=answers, faults=Faults(latency_ms=300)) as model:
        config = tracked_gate(tmp_path / "gate", model.base_url, model_name, rows=6,
                              tracking=f"tracking: {{ uri: \"{server.url}\", timeout_s: 60 }}\n",
                              extra="")
        config.write_text(config.read_text().replace('"concurrency": 8', '"concurrency": 1'))
        connect(server.url).create_experiment(model_name)  # the server is up when the gate starts

        def stop_once_called() -> None:
            while model.stats.completions < 1:
                time.sleep(0.02)
            server.stop()

        stopper = threading.Thread(target=stop_once_called)
        stopper.start()
        code = gate(config, tmp_path / "out")
        stopper.join()
    assert code == 0  # the verdict, untouched
    assert json.loads((tmp_path / "out" / "gate-result.json").read_text())["passed"] is True
    captured = capsys.readouterr()
    assert "gatewise: warning: the gate run was not logged to MLflow" in captured.err
    assert "the verdict stands" in captured.err
    assert "::warning title=gatewise tracking::" in captured.out  # an annotation on the Actions run
    assert outputs(output) == {"mlflow-gate-run-id": "", "tracking-exit-code": "3"}


def test_an_unreachable_tracking_server_never_fails_a_failing_or_passing_gate(tmp_path, capsys, standin, poor_model,
                                                                            model_name):
    from .mlflow_server import free_port

    down = f"http://127.0.0.1:{free_port()}"
    good = tracked_gate(tmp_path / "good", standin.base_url, model_name)
    assert gate(good, tmp_path / "good-out", "--tracking-uri", down) == 0
    poor = tracked_gate(tmp_path / "poor", poor_model.base_url, model_name,
                        suites="\n  - name: correctness\n    evidently:\n      - { descriptor: ExactMatch, expected: answer }\n",
                        thresholds='\n  correctness: { pass_rate: ">= 0.9" }\n')
    assert gate(poor, tmp_path / "poor-out", "--tracking-uri", down) == 1
    assert capsys.readouterr().err.count("gatewise: warning: the gate run was not logged") == 2


# --- baselines from history -----------------------------------------------------------------------

CORRECTNESS = "\n  - name: correctness\n    evidently:\n      - { descriptor: ExactMatch, expected: answer }\n"
HISTORY = "baseline: { mlflow: { branch: main, verdict: passed }, max_regression: 0.05 }\n"


def test_the_latest_passed_run_on_main_is_the_baseline_compared_row_by_row(
        tmp_path, monkeypatch, capsys, mlflow_server, good_model, poor_model, model_name):  # noqa: F811
    tracking = f"tracking: {{ uri: \"{mlflow_server.url}\" }}\n"

    def run(name: str, model, *, baseline: str = "", threshold: str = ">= 0.0") -> tuple[int, dict]:
        config = tracked_gate(tmp_path / name, model.base_url, model_name, suites=CORRECTNESS, tracking=tracking,
                              thresholds=f'\n  correctness: {{ pass_rate: "{threshold}" }}\n', extra=baseline,
                              rows=20)
        code = gate(config, tmp_path / f"{name}-out")
        return code, json.loads((tmp_path / f"{name}-out" / "gate-result.json").read_text())

    push_job(monkeypatch, tmp_path)
    code, first = run("first", good_model, baseline=HISTORY)  # no history yet: nothing to compare with
    assert code == 0 and "nothing to compare with" in first["baseline"]["note"]
    assert run("failed-on-main", poor_model, threshold=">= 0.99")[0] == 1  # a failed run is not a baseline
    [good_run, failed_run] = gate_runs(mlflow_server.url, model_name)
    assert failed_run.data.tags["gatewise.verdict"] == "failed"

    pull_request_job(monkeypatch, tmp_path)
    code, candidate = run("candidate", poor_model, baseline=HISTORY)
    assert code == 1
    baseline = candidate["baseline"]
    assert baseline["kind"] == "mlflow" and baseline["paired"] is True
    assert good_run.info.run_id in baseline["source"] and failed_run.info.run_id not in baseline["source"]
    [compared] = baseline["metrics"]
    assert compared["baseline"] == 1.0 and compared["delta"] < -0.05 and compared["worse_count"] > 0
    failed = [t for t in candidate["thresholds"] if not t["passed"]]
    assert [t["metric"] + "." + t["statistic"] for t in failed] == ["correctness.mean vs baseline"]

    # the same model again compares equal, against the same run (the PR's own runs are not on main)
    code, again = run("again", good_model, baseline=HISTORY)
    assert code == 0 and good_run.info.run_id in again["baseline"]["source"]
    assert again["baseline"]["metrics"][0]["delta"] == 0.0
    capsys.readouterr()


def test_a_history_baseline_on_an_unreachable_server_is_an_infrastructure_error(tmp_path, capsys, standin,
                                                                               model_name):
    from .mlflow_server import free_port

    config = tracked_gate(tmp_path / "gate", standin.base_url, model_name, suites=CORRECTNESS,
                          tracking=f"tracking: {{ uri: \"http://127.0.0.1:{free_port()}\" }}\n", extra=HISTORY,
                          thresholds='\n  correctness: { pass_rate: ">= 0.5" }\n')
    assert gate(config, tmp_path / "out") == 3  # a baseline asked for and not had is never "no regression"
    assert "unreachable" in capsys.readouterr().err
    assert not (tmp_path / "out" / "gate-result.json").exists()


# --- promotion links to the gate run ---------------------------------------------------------------

def test_the_promoted_version_links_to_the_tracked_gate_run_not_a_copy(
        tmp_path, monkeypatch, capsys, mlflow_server, standin, model_name):  # noqa: F811
    from .github_api import GitHubAPI
    from .test_promote import MANIFEST, MANIFEST_PATH, NEW_URI, TOKEN

    monkeypatch.setenv("GATEWISE_MANIFESTS_TOKEN", TOKEN)
    push_job(monkeypatch, tmp_path)
    with GitHubAPI() as api:
        api.add_token(TOKEN)
        repo = f"acme/ai-manifests-{uuid.uuid4().hex[:8]}"
        api.add_repo(repo, files={MANIFEST_PATH: MANIFEST})
        promote = f"""promote:
  mlflow: {{ tracking_uri: "{mlflow_server.url}", experiment: gatewise-promotions, alias: candidate }}
  manifests:
    repo: {repo}
    path: {MANIFEST_PATH}
    set: {{ "spec.predictor.model.storageUri": "{{model.source}}" }}
    api_url: {api.base_url}
tracking: {{}}
"""
        config = tracked_gate(tmp_path / "gate", standin.base_url, model_name, extra=promote)
        config.write_text(config.read_text().replace(f"model: {{ name: {model_name} }}",
                                                     f"model: {{ name: {model_name}, source: \"{NEW_URI}\" }}"))
        out = tmp_path / "out"
        assert gate(config, out) == 0  # tracking.uri unset: promote.mlflow.tracking_uri's server
        [run] = gate_runs(mlflow_server.url, model_name)
        assert cli.main(["promote", "--config", str(config), "--result", str(out / "gate-result.json")]) == 0
    client = connect(mlflow_server.url)
    [version] = client.search_model_versions(f"name = '{model_name}'")
    assert version.run_id == run.info.run_id
    assert version.tags["gatewise.config_sha256"] == run.data.params["config_sha256"]
    assert gate_runs(mlflow_server.url, "gatewise-promotions") == []  # no second copy of the run
    assert run.info.run_id in capsys.readouterr().out


# --- config ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra,key,message", [
    ("tracking: { url: http://x }\n", "tracking.url", "unknown key"),
    ("tracking: { timeout_s: 0 }\n", "tracking.timeout_s", "greater than 0"),
    ("tracking: { token_env: 'not a name' }\n", "tracking.token_env", "should match pattern"),
    ("baseline: { mlflow: { branch: \"ma'in\" } }\n", "baseline.mlflow.branch", "should match pattern"),
    ("baseline: { mlflow: { verdict: green } }\n", "baseline.mlflow.verdict", "'passed', 'failed' or 'any'"),
    ("baseline: { mlflow: {}, results: x.jsonl }\n", "baseline", "exactly one of"),
])
def test_bad_tracking_keys_name_file_line_and_key(tmp_path, extra, key, message):
    config = write_gate(tmp_path, "http://127.0.0.1:9/v1", rows=example_rows(2), extra=extra)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.key == key and caught.value.file == str(config)
    assert caught.value.line == len(config.read_text().splitlines()) - 1
    assert message in str(caught.value)


def test_tracking_uri_on_the_command_line_turns_tracking_on(tmp_path):
    config = write_gate(tmp_path, "http://127.0.0.1:9/v1", rows=example_rows(2))
    assert load_config(config).tracking is None
    tracked = load_config(config, overrides={"tracking.uri": "http://mlflow:5000"})
    assert tracked.tracking is not None and tracked.tracking.uri == "http://mlflow:5000"


# --- the demo --------------------------------------------------------------------------------------

def test_the_demo_logs_each_gate_run_and_says_how_to_look(tmp_path):
    import io

    from gatewise.demo import run_demo
    from gatewise.terminal import Console

    out = tmp_path / "demo"
    for _ in range(2):
        stdout = io.StringIO()
        assert run_demo(out_dir=out, quality=0.95, latency_ms=0, console=Console(quiet=True), stdout=stdout,
                        promote=False) == 0
    database = (out / "mlflow" / "mlruns.db").resolve()
    assert f"mlflow ui --backend-store-uri sqlite:///{database.as_posix()}" in stdout.getvalue()
    runs = gate_runs(f"sqlite:///{database.as_posix()}", "qa-assistant")
    assert len(runs) == 2 and all(r.data.tags["gatewise.verdict"] == "passed" for r in runs)


def test_validate_names_the_history_baseline_and_calls_nothing(tmp_path, capsys):
    config = write_gate(tmp_path, "http://127.0.0.1:9/v1", rows=example_rows(2),
                        extra="tracking: { uri: \"http://127.0.0.1:9\" }\n" + HISTORY)
    assert cli.main(["validate", "--config", str(config)]) == 0
    assert "baseline the latest passed gate run on main in MLflow (at gate time)" in capsys.readouterr().out
