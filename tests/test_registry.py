"""Promotion into MLflow, against a real ``mlflow server`` on 127.0.0.1 (one per session).

Each test uses its own model and experiment names, so they share the server without sharing state.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from gatewise.errors import InfraError, InputError
from gatewise.registry import (BaselineMissingError, Lineage, RegistryInputError,
                               RegistryUnreachableError, alias_history, champion_results, connect,
                               log_gate_run, move_alias, previous_version, public_uri,
                               register_version, tracking_uri_or_default)
from gatewise.result import SCHEMA_VERSION

from .mlflow_server import free_port, mlflow_server  # noqa: F401  (session fixture)

CONFIG_SHA = "c" * 64
DATASET_SHA = "d" * 64


@pytest.fixture(autouse=True)
def _quiet_mlflow(monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@pytest.fixture
def client(mlflow_server):  # noqa: F811
    return connect(mlflow_server.url)


@pytest.fixture
def model_name() -> str:
    return f"qa-assistant-{uuid.uuid4().hex[:8]}"


def write_result_dir(directory: Path, *, answers: tuple[str, ...] = ("4", "Paris"),
                     metrics: dict | None = None, prompt_sha: str | None = "p" * 64,
                     passed: bool = True) -> Path:
    """A result dir as ``gatewise gate --out`` leaves it: gate-result.json, results.jsonl, reports."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "schema_version": SCHEMA_VERSION,
        "passed": passed,
        "headline": "PASSED: 2 of 2 thresholds held over 2 rows",
        "model_name": "qa-assistant",
        "config": {"path": "quality/gate.yaml", "sha256": CONFIG_SHA},
        "dataset": {"path": "quality/data/golden.jsonl", "sha256": DATASET_SHA, "rows": len(answers)},
        "endpoint": {"base_url": "http://127.0.0.1:8000/v1", "model": "qa-assistant", "api": "chat",
                     "reported_model_ids": ["org/model-7b", "org/model-7b-rev2"]},
        "counts": {"samples": len(answers), "errors": 0, "cached": 0, "calls": len(answers)},
        "metrics": metrics if metrics is not None else {
            "correctness": {"mean": 1.0, "pass_rate": 1.0},
            "format.length": {"pass_rate": 0.5, "p95": None},
            "latency_ms": {"p50": 12.5, "p95": 40.0},
            "errors": {"count": 0},
        },
        "thresholds": [],
        "started_at": "2026-01-01T00:00:00Z",
        "timings_s": {"total": 1.5},
    }
    if prompt_sha:
        document["prompt"] = {"sha256": prompt_sha}
    (directory / "gate-result.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    rows = [{"row_id": f"r{i}", "repeat": 0, "output": answer, "error": None,
             "scores": {"correctness": {"value": 1.0, "passed": True, "error": None}}, "passed": True}
            for i, answer in enumerate(answers)]
    (directory / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (directory / "summary.md").write_text("## gatewise: PASSED\n", encoding="utf-8")
    (directory / "report.html").write_text("<html><body>report</body></html>", encoding="utf-8")
    (directory / "junit.xml").write_text("<testsuites/>", encoding="utf-8")
    return directory


def lineage(sha: str = "a" * 40, source: str = "hf://org/model-7b@0123abc") -> Lineage:
    return Lineage(git_sha=sha, repository="org/qa", source_pr=12,
                   workflow_run_url="https://github.com/org/qa/actions/runs/99", model_source=source)


def promote(client, tmp_path: Path, model_name: str, *, sha: str, source: str,
            answers: tuple[str, ...] = ("4", "Paris"), alias: str = "candidate"):
    """The promote command's two library calls, over a fresh result dir."""
    line = lineage(sha, source)
    result_dir = write_result_dir(tmp_path / f"out-{sha[:8]}-{uuid.uuid4().hex[:6]}", answers=answers)
    run_id = log_gate_run(client, f"gatewise-{model_name}", result_dir, line)
    return register_version(client, model_name, source, run_id, line, alias=alias)


def version_count(client, model_name: str) -> int:
    return len(client.search_model_versions(f"name = '{model_name}'"))


# -- the gate run ----------------------------------------------------------------------------

def test_gate_run_holds_params_metrics_and_report_artifacts(client, tmp_path, model_name, capsys):
    result_dir = write_result_dir(tmp_path / "out")
    run_id = log_gate_run(client, f"gatewise-{model_name}", result_dir, lineage())
    assert capsys.readouterr().out == ""  # MLflow's "View run at <uri>" stays off the CLI's stdout

    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {
        "config_sha256": CONFIG_SHA, "dataset_sha256": DATASET_SHA, "dataset_rows": "2",
        "prompt_sha256": "p" * 64, "endpoint_model": "qa-assistant",
        "endpoint_model_ids": "org/model-7b,org/model-7b-rev2", "model_name": "qa-assistant",
        "model_source": "hf://org/model-7b@0123abc", "git_sha": "a" * 40, "repository": "org/qa",
        "source_pr": "12", "workflow_run_url": "https://github.com/org/qa/actions/runs/99",
    }
    # flattened metric.statistic, nulls skipped
    assert run.data.metrics == {"correctness.mean": 1.0, "correctness.pass_rate": 1.0,
                                "format.length.pass_rate": 0.5, "latency_ms.p50": 12.5,
                                "latency_ms.p95": 40.0, "errors.count": 0.0}
    assert run.data.tags["gatewise.git_sha"] == "a" * 40
    assert run.data.tags["mlflow.source.git.commit"] == "a" * 40
    assert run.data.tags["gatewise.passed"] == "true"
    artifacts = sorted(info.path for info in client.list_artifacts(run_id))
    assert artifacts == ["gate-result.json", "report.html", "results.jsonl", "summary.md"]


def test_metric_names_are_made_valid_for_mlflow(client, tmp_path, model_name):
    many = {f"check_{i}": {"pass_rate": i / 1005} for i in range(1005)}  # more than one batch
    metrics = {"tone: polite?": {"mean": 0.9}, "../escape": {"p95": 1.0}, "ok": {"n/a": None}, **many}
    result_dir = write_result_dir(tmp_path / "out", metrics=metrics, prompt_sha=None)
    run_id = log_gate_run(client, f"gatewise-{model_name}", result_dir, Lineage())

    run = client.get_run(run_id)
    assert run.data.metrics == {"tone_ polite_.mean": 0.9, "escape.p95": 1.0,
                                **{f"{name}.pass_rate": s["pass_rate"] for name, s in many.items()}}
    assert "prompt_sha256" not in run.data.params and "git_sha" not in run.data.params


def test_logging_the_same_result_again_reuses_the_finished_run(client, tmp_path, model_name):
    result_dir = write_result_dir(tmp_path / "out")
    first = log_gate_run(client, f"gatewise-{model_name}", result_dir, lineage())
    again = log_gate_run(client, f"gatewise-{model_name}", result_dir, lineage())
    other_commit = log_gate_run(client, f"gatewise-{model_name}", result_dir, lineage(sha="b" * 40))

    assert again == first
    assert other_commit != first


# -- the model version ------------------------------------------------------------------------

def test_version_is_registered_with_lineage_tags_and_the_candidate_alias(client, tmp_path, model_name):
    version = promote(client, tmp_path, model_name, sha="a" * 40, source="hf://org/model-7b@0123abc")

    assert version.created and version.alias_moved
    assert (version.version, version.alias, version.alias_version) == ("1", "candidate", "1")
    stored = client.get_model_version(model_name, version.version)
    assert stored.source == "hf://org/model-7b@0123abc"
    assert stored.run_id == version.run_id and client.get_run(stored.run_id).info.status == "FINISHED"
    assert {key: stored.tags[key] for key in (
        "gatewise.git_sha", "gatewise.source", "gatewise.config_sha256", "gatewise.dataset_sha256",
        "gatewise.prompt_sha256", "gatewise.repository", "gatewise.source_pr",
        "gatewise.workflow_run_url")} == {
        "gatewise.git_sha": "a" * 40, "gatewise.source": "hf://org/model-7b@0123abc",
        "gatewise.config_sha256": CONFIG_SHA, "gatewise.dataset_sha256": DATASET_SHA,
        "gatewise.prompt_sha256": "p" * 64, "gatewise.repository": "org/qa",
        "gatewise.source_pr": "12", "gatewise.workflow_run_url": "https://github.com/org/qa/actions/runs/99"}
    assert client.get_model_version_by_alias(model_name, "candidate").version == "1"


def test_promoting_the_same_commit_and_source_again_changes_nothing(client, tmp_path, model_name):
    first = promote(client, tmp_path, model_name, sha="a" * 40, source="s3://models/qa/7b")
    model_before = client.get_registered_model(model_name)

    again = promote(client, tmp_path, model_name, sha="a" * 40, source="s3://models/qa/7b")

    assert (again.version, again.created, again.alias_moved) == (first.version, False, False)
    assert again.run_id == first.run_id  # the version still points at the run that registered it
    assert version_count(client, model_name) == 1
    model_after = client.get_registered_model(model_name)
    assert model_after.aliases == model_before.aliases == {"candidate": "1"}
    assert model_after.tags == model_before.tags


class DiesBeforeAliasing:
    """An MLflow client that fails the way a killed job would: after registering, before aliasing."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def set_registered_model_alias(self, *args, **kwargs):
        raise KeyboardInterrupt("job cancelled")


def test_a_promotion_that_died_before_aliasing_completes_on_rerun(client, tmp_path, model_name):
    source = "hf://org/model-7b@0123abc"
    with pytest.raises(KeyboardInterrupt):
        promote(DiesBeforeAliasing(client), tmp_path, model_name, sha="a" * 40, source=source)
    assert version_count(client, model_name) == 1
    assert client.get_registered_model(model_name).aliases == {}

    rerun = promote(client, tmp_path, model_name, sha="a" * 40, source=source)

    assert (rerun.version, rerun.created, rerun.alias_moved) == ("1", False, True)
    assert version_count(client, model_name) == 1
    assert client.get_registered_model(model_name).aliases == {"candidate": "1"}
    assert alias_history(client, model_name, "candidate") == ["1"]


def test_replaying_an_old_promotion_does_not_pull_the_alias_back(client, tmp_path, model_name):
    promote(client, tmp_path, model_name, sha="a" * 40, source="hf://org/m@1")
    promote(client, tmp_path, model_name, sha="b" * 40, source="hf://org/m@2")

    replay = promote(client, tmp_path, model_name, sha="a" * 40, source="hf://org/m@1")

    assert (replay.version, replay.created, replay.alias_moved, replay.alias_version) == ("1", False, False, "2")
    assert client.get_registered_model(model_name).aliases == {"candidate": "2"}


# -- aliases and their history ----------------------------------------------------------------

def test_alias_history_gives_the_previous_champion_for_rollback(client, tmp_path, model_name):
    for n in (1, 2, 3):
        promote(client, tmp_path, model_name, sha=f"{n}" * 40, source=f"hf://org/m@{n}")
    assert previous_version(client, model_name, "champion") is None

    assert move_alias(client, model_name, "champion", 1) is None
    assert move_alias(client, model_name, "champion", "2") == "1"
    assert move_alias(client, model_name, "champion", "3") == "2"
    assert move_alias(client, model_name, "champion", "3") is None  # already there: nothing
    assert alias_history(client, model_name, "champion") == ["1", "2", "3"]
    assert previous_version(client, model_name, "champion") == "2"

    # rollback: champion back to the previous one; a second rollback undoes the first
    assert move_alias(client, model_name, "champion", previous_version(client, model_name)) == "3"
    assert client.get_model_version_by_alias(model_name, "champion").version == "2"
    assert previous_version(client, model_name) == "3"

    # someone moved it by hand in the UI: the history still says where it was
    client.set_registered_model_alias(model_name, "champion", "1")
    assert previous_version(client, model_name) == "2"
    assert move_alias(client, model_name, "champion", 3) == "1"
    assert alias_history(client, model_name, "champion") == ["1", "2", "3", "2", "1", "3"]
    # the candidate alias keeps a history of its own
    assert alias_history(client, model_name, "candidate") == ["1", "2", "3"]


def test_moving_an_alias_to_a_version_that_does_not_exist_is_bad_input(client, tmp_path, model_name):
    promote(client, tmp_path, model_name, sha="a" * 40, source="hf://org/m@1")
    with pytest.raises(RegistryInputError, match="has no version 7") as caught:
        move_alias(client, model_name, "champion", 7)
    assert caught.value.exit_code == 2
    assert client.get_registered_model(model_name).aliases == {"candidate": "1"}


# -- the champion's results as a baseline -----------------------------------------------------

def test_champion_results_are_the_champion_runs_results(client, tmp_path, model_name):
    promote(client, tmp_path, model_name, sha="a" * 40, source="hf://org/m@1", answers=("old",))
    promote(client, tmp_path, model_name, sha="b" * 40, source="hf://org/m@2", answers=("new", "rows"))
    move_alias(client, model_name, "champion", 1)

    path = champion_results(client, model_name, dest=tmp_path / "baseline")

    assert path == tmp_path / "baseline" / "results.jsonl"
    assert [json.loads(line)["output"] for line in path.read_text().splitlines()] == ["old"]
    gate_result = json.loads((tmp_path / "baseline" / "gate-result.json").read_text())
    assert gate_result["dataset"]["rows"] == 1

    move_alias(client, model_name, "champion", 2)
    path = champion_results(client, model_name, dest=tmp_path / "baseline2")
    assert [json.loads(line)["output"] for line in path.read_text().splitlines()] == ["new", "rows"]


def test_no_champion_means_no_baseline(client, tmp_path, model_name):
    assert champion_results(client, model_name, dest=tmp_path / "b") is None  # no model at all
    promote(client, tmp_path, model_name, sha="a" * 40, source="hf://org/m@1")
    assert champion_results(client, model_name, dest=tmp_path / "b") is None  # only a candidate


def test_a_champion_without_a_run_is_a_missing_baseline_not_a_pass(client, tmp_path, model_name):
    version = register_version(client, model_name, "s3://models/hand-made", None, Lineage())
    move_alias(client, model_name, "champion", version.version)

    with pytest.raises(BaselineMissingError, match="no run") as caught:
        champion_results(client, model_name, dest=tmp_path / "b")
    assert caught.value.exit_code == 3


# -- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, source, alias, message", [
    ("qa", "", "candidate", "source is empty"),
    ("qa", "/local/weights", "candidate", "expected a storage URI"),
    ("qa", "hf://org/m@1 extra", "candidate", "expected a storage URI"),
    ("org/qa", "hf://org/m@1", "candidate", "may not contain"),
    ("", "hf://org/m@1", "candidate", "name is empty"),
    ("qa", "hf://org/m@1", "latest", "reserved"),
    ("qa", "hf://org/m@1", "v2", "reserved"),
])
def test_bad_names_and_sources_are_input_errors_before_anything_is_written(client, model_name, name,
                                                                            source, alias, message):
    name = name.replace("qa", model_name)
    with pytest.raises(InputError, match=message) as caught:
        register_version(client, name, source, None, Lineage(), alias=alias)
    assert caught.value.exit_code == 2
    assert client.search_registered_models(f"name = '{model_name}'") == []


def test_a_result_dir_without_a_gate_result_is_bad_input(client, tmp_path, model_name):
    with pytest.raises(RegistryInputError, match="cannot read the gate result"):
        log_gate_run(client, f"gatewise-{model_name}", tmp_path, lineage())
    (tmp_path / "gate-result.json").write_text('{"schema_version": "other/v9"}')
    with pytest.raises(RegistryInputError, match="expected schema gatewise.gate-result/v1"):
        log_gate_run(client, f"gatewise-{model_name}", tmp_path, lineage())
    assert client.get_experiment_by_name(f"gatewise-{model_name}") is None


def test_an_unreachable_tracking_server_is_an_infra_error_quickly(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    port = free_port()  # nothing listens there
    client = connect(f"http://ci-bot:s3cr3t-token@127.0.0.1:{port}")
    result_dir = write_result_dir(tmp_path / "out")
    calls = [
        lambda: log_gate_run(client, "gatewise-qa", result_dir, lineage()),
        lambda: register_version(client, "qa", "hf://org/m@1", None, lineage()),
        lambda: champion_results(client, "qa", dest=tmp_path / "b"),
        lambda: move_alias(client, "qa", "champion", 1),
        lambda: previous_version(client, "qa"),
    ]
    for call in calls:
        started = time.monotonic()
        with pytest.raises(RegistryUnreachableError) as caught:
            call()
        assert time.monotonic() - started < 10
        assert isinstance(caught.value, InfraError) and caught.value.exit_code == 3
        assert f"http://127.0.0.1:{port}" in str(caught.value)
        assert "s3cr3t" not in str(caught.value) and "ci-bot" not in str(caught.value)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_the_embedded_sqlite_default_works_without_a_server(tmp_path, monkeypatch):
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    uri = tracking_uri_or_default("", tmp_path / "state")
    assert uri == f"sqlite:///{tmp_path / 'state' / 'mlruns.db'}"
    client = connect(uri)

    version = promote(client, tmp_path, "qa-local", sha="a" * 40, source="hf://org/m@1", answers=("x",))
    move_alias(client, "qa-local", "champion", version.version)
    path = champion_results(client, "qa-local", dest=tmp_path / "baseline")

    assert version.created and path.read_text().count("\n") == 1
    assert (tmp_path / "state" / "mlruns.db").is_file()
    assert list((tmp_path / "state" / "mlartifacts").rglob("results.jsonl"))
    assert list(workdir.iterdir()) == []  # nothing written into the working directory


def test_a_configured_tracking_uri_is_kept_and_shown_without_credentials(tmp_path):
    assert tracking_uri_or_default(" http://mlflow:5000 ", tmp_path) == "http://mlflow:5000"
    assert public_uri("https://bot:tok@mlflow.example/path?x=1") == "https://mlflow.example/path?x=1"
    assert public_uri("https://mlflow.example/?access_token=abc&x=1") == "https://mlflow.example/?access_token=***&x=1"
    assert public_uri("sqlite:////tmp/mlruns.db") == "sqlite:////tmp/mlruns.db"


# -- lineage ----------------------------------------------------------------------------------

def test_lineage_is_read_from_the_github_actions_environment(tmp_path):
    env = {"GITHUB_SHA": "f" * 40, "GITHUB_REPOSITORY": "org/qa", "GITHUB_RUN_ID": "123",
           "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REF": "refs/pull/42/merge"}
    line = Lineage.from_environment("hf://org/m@1", environ=env)
    assert line == Lineage(git_sha="f" * 40, repository="org/qa", source_pr=42,
                           workflow_run_url="https://github.example/org/qa/actions/runs/123",
                           model_source="hf://org/m@1")

    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    pushed = Lineage.from_environment(environ={**env, "GITHUB_REF": "refs/heads/main",
                                               "GITHUB_EVENT_PATH": str(event)})
    assert pushed.source_pr == 7 and pushed.model_source is None
    assert Lineage.from_environment(environ={}) == Lineage()
