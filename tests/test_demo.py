"""``gatewise demo``'s whole loop in a fresh process: gate on the stand-in, a model version in the
local MLflow (sqlite in the demo directory), and a PR on the local manifests repository."""

from __future__ import annotations

import os
import subprocess
import sys

from gatewise.registry import connect

from .conftest import REPO

GATEWISE = [sys.executable, "-m", "gatewise"]


def test_demo_gates_registers_and_opens_the_manifests_pr_with_nothing_configured(tmp_path):
    # whatever the shell exports for a real setup must not leak into the demo
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "MLFLOW_TRACKING_URI": "http://127.0.0.1:9",
           "GATEWISE_MANIFESTS_TOKEN": "", "GITHUB_SHA": "", "GATEWISE_ENDPOINT_URL": "http://127.0.0.1:9/v1"}
    out = tmp_path / "demo"
    proc = subprocess.run([*GATEWISE, "demo", "--out", str(out), "--quiet"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr

    database = out / "mlflow" / "mlruns.db"
    assert f"mlflow ui --backend-store-uri sqlite:///{database.resolve()}" in proc.stdout
    client = connect(f"sqlite:///{database.resolve()}")
    version = client.get_model_version_by_alias("qa-assistant", "candidate")
    assert (str(version.version), version.source) == ("1", "hf://gatewise/qa-assistant@main")
    assert client.get_run(version.run_id).data.metrics["correctness.pass_rate"] >= 0.85

    assert "branch gatewise/qa-assistant-v1" in proc.stdout
    diff = (out / "manifests.diff").read_text(encoding="utf-8")
    assert "+    canaryTrafficPercent: 10\n" in diff
    assert '+      storageUri: "hf://gatewise/qa-assistant@main"  # pinned by gatewise promote\n' in diff
    assert diff in proc.stdout
    edited = (out / "manifests" / "kserve" / "qa-assistant" / "inferenceservice.yaml").read_text(encoding="utf-8")
    assert "canaryTrafficPercent: 10" in edited and "hf://gatewise/qa-assistant@main" in edited
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # nothing in the working directory


def test_a_failing_demo_gate_promotes_nothing(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = tmp_path / "demo"
    proc = subprocess.run([*GATEWISE, "demo", "--quality", "0.5", "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 1
    assert "nothing is promoted" in proc.stdout
    assert not (out / "manifests.diff").exists()
    # the failed gate run is in the history (tracking logs every run); nothing is registered
    from gatewise.registry import connect

    client = connect(f"sqlite:///{(out / 'mlflow' / 'mlruns.db').resolve().as_posix()}")
    assert client.search_registered_models() == []
    [run] = client.search_runs([client.get_experiment_by_name("qa-assistant").experiment_id])
    assert run.data.tags["gatewise.verdict"] == "failed"
