"""The Kubeflow Pipelines integration (integrations/kubeflow/): its compiled YAML is what its Python
definition compiles to, and its pipelines run with kfp.local's SubprocessRunner against the stand-in
model: N shards fanned out by ``dsl.ParallelFor``, merged into one verdict, register only on pass.

kfp pins packages the test venv's kserve and friends do not accept (kubernetes < 31), so it lives in
a venv of its own (.ci/run makes it and exports GATEWISE_KFP_PYTHON); these tests skip, saying so,
only when there is none. Each pipeline task runs the test venv's ``gatewise`` (the components take
its path), as on a cluster it runs the gatewise image's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gatewise.standin import StandinServer

from .conftest import REPO, write_gate

KUBEFLOW = REPO / "integrations" / "kubeflow"
RUNNER = Path(__file__).with_name("kfp_local.py")
GATEWISE = Path(sys.executable).parent / "gatewise"
COMPILED = {"sharded_gate": "sharded-gate.yaml", "gate_then_register": "gate-then-register.yaml"}


def kfp_python() -> str:
    """The kfp venv's Python: GATEWISE_KFP_PYTHON, else the checkout's .venv-kfp; skip if neither has kfp."""
    candidates = [os.environ.get("GATEWISE_KFP_PYTHON", ""), str(REPO / ".venv-kfp" / "bin" / "python")]
    for python in filter(None, candidates):
        if Path(python).exists() and subprocess.run([python, "-c", "import kfp.local"],
                                                    capture_output=True).returncode == 0:
            return python
    pytest.skip("no Python with kfp: set GATEWISE_KFP_PYTHON or make .venv-kfp as .ci/run does")


@pytest.fixture(scope="module")
def python() -> str:
    return kfp_python()


def test_the_compiled_yaml_is_what_the_python_definition_compiles_to(python, tmp_path):
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import gatewise_kfp; from kfp import compiler\n"
              "for pipeline, name in gatewise_kfp.COMPILED.items():\n"
              "    compiler.Compiler().compile(pipeline, sys.argv[2] + '/' + name)\n")
    subprocess.run([python, "-c", script, str(KUBEFLOW), str(tmp_path)], check=True, capture_output=True)
    for name in COMPILED.values():
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        shipped = (KUBEFLOW / name).read_text(encoding="utf-8")
        assert fresh == shipped, f"{name} is stale: run `python integrations/kubeflow/gatewise_kfp.py`"


def test_the_pipeline_fans_out_with_parallel_for_and_branches_on_the_verdict():
    spec = (KUBEFLOW / "gate-then-register.yaml").read_text(encoding="utf-8")
    assert "parameterIterator" in spec  # dsl.ParallelFor over the shard list
    assert re.search(r"condition: inputs\.parameter_values\['pipelinechannel--verdict-of-Output'\]\s+== 'pass'",
                     spec), "register must run only on a passing verdict"
    sharded = (KUBEFLOW / "sharded-gate.yaml").read_text(encoding="utf-8")
    assert re.search(r"outputParameterKey: Output\s+producerSubtask: verdict-of", sharded)
    # both nest one fan-out-and-merge pipeline rather than repeating its tasks
    for pipeline in (spec, sharded):
        assert "comp-gatewise-sharded-gate-reports:" in pipeline and pipeline.count("parameterIterator") == 1


def kfp_gate(python: str, root: Path, pipeline: str, gate_dir: Path, endpoint_url: str, shards: int) -> dict:
    """Run ``pipeline`` locally; its outcome, and the log when the test fails."""
    # the dataset travels as its own artifact, handed to the config as ${GATEWISE_DATASET}
    config = gate_dir / "gate.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("path: data.jsonl",
                                                                 "path: ${GATEWISE_DATASET:-data.jsonl}"),
                      encoding="utf-8")
    proc = subprocess.run([python, str(RUNNER), "--root", str(root), "--pipeline", pipeline,
                           "--config-uri", str(gate_dir), "--dataset-uri", str(gate_dir / "data.jsonl"),
                           "--endpoint-url", endpoint_url, "--shards", str(shards), "--gatewise", str(GATEWISE)],
                          capture_output=True, text=True, timeout=600, cwd=root)
    lines = [line for line in proc.stdout.splitlines() if "KFP-LOCAL-OUTCOME " in line]
    assert proc.returncode == 0 and lines, proc.stdout[-4000:] + proc.stderr[-4000:]
    outcome = json.loads(lines[-1].split("KFP-LOCAL-OUTCOME ", 1)[1])
    outcome["log"] = proc.stdout + proc.stderr
    return outcome


def task_dirs(root: Path, task: str) -> list[Path]:
    return sorted(root.glob(f"outputs/*/{task}")) + sorted(root.glob(f"outputs/*/*/{task}"))


@pytest.fixture
def gate_dir(tmp_path) -> Path:
    directory = tmp_path / "gate"
    directory.mkdir()
    return directory


def test_a_sharded_pipeline_decides_as_one_unsharded_run(python, tmp_path, gate_dir, answers):
    with StandinServer(answers=answers, quality=1.0) as model:
        write_gate(gate_dir, model.base_url)
        outcome = kfp_gate(python, tmp_path, "sharded_gate", gate_dir, model.base_url, shards=3)
        assert outcome["state"] == "SUCCEEDED", outcome["log"][-4000:]
        assert outcome["output"] == "pass"
        # the same gate in one process, for the comparison
        single = tmp_path / "single"
        env = {**os.environ, "GATEWISE_DATASET": str(gate_dir / "data.jsonl")}
        code = subprocess.run([str(GATEWISE), "gate", "--config", str(gate_dir / "gate.yaml"), "--out", str(single),
                               "--quiet"], env=env, capture_output=True, text=True).returncode
    assert code == 0
    shard_dirs = task_dirs(tmp_path, "gate-shard")
    assert len(shard_dirs) == 3, shard_dirs
    (reports,) = [d / "reports" for d in task_dirs(tmp_path, "merge-shards")]
    merged = json.loads((reports / "gate-result.json").read_text(encoding="utf-8"))
    whole = json.loads((single / "gate-result.json").read_text(encoding="utf-8"))
    assert merged["passed"] is True and merged["shards"] == 3

    def decided(result: dict) -> dict:
        # two live runs differ only in when they ran, how long they took and the latencies measured
        kept = {k: v for k, v in result.items() if k not in ("started_at", "timings_s", "shards")}
        for section in ("metrics", "intervals"):
            kept[section] = {k: v for k, v in result[section].items() if k != "latency_ms"}
        return kept

    assert decided(merged) == decided(whole)
    assert (reports / "results.jsonl").read_text(encoding="utf-8").count("\n") == \
        (single / "results.jsonl").read_text(encoding="utf-8").count("\n")
    for name in ("summary.md", "junit.xml"):
        assert (reports / name).is_file(), name


def test_a_failing_gate_is_a_verdict_and_register_is_skipped(python, tmp_path, gate_dir, answers):
    with StandinServer(answers=answers, quality=0.3, seed=5) as model:
        write_gate(gate_dir, model.base_url)
        outcome = kfp_gate(python, tmp_path, "gate_then_register", gate_dir, model.base_url, shards=2)
    assert outcome["state"] == "SUCCEEDED", outcome["log"][-4000:]
    (reports,) = [d / "reports" for d in task_dirs(tmp_path, "merge-shards")]
    assert json.loads((reports / "gate-result.json").read_text(encoding="utf-8"))["passed"] is False
    assert not task_dirs(tmp_path, "register-model"), "register ran after a failed gate"


def test_a_passing_gate_goes_on_to_register(python, tmp_path, gate_dir, answers):
    """register runs `gatewise promote --result` on the merged result; this test config has no
    promote: section, so promote refuses it (exit 2) and that failure is the proof it ran."""
    with StandinServer(answers=answers, quality=1.0) as model:
        write_gate(gate_dir, model.base_url)
        outcome = kfp_gate(python, tmp_path, "gate_then_register", gate_dir, model.base_url, shards=2)
    assert outcome["state"] == "FAILED"
    assert "register-model" in outcome["error"]
    assert "gatewise promote exited 2" in outcome["log"]


def test_an_endpoint_that_is_down_fails_the_pipeline_before_merge(python, tmp_path, gate_dir):
    write_gate(gate_dir, "http://127.0.0.1:9/v1")
    outcome = kfp_gate(python, tmp_path, "sharded_gate", gate_dir, "http://127.0.0.1:9/v1", shards=2)
    assert outcome["state"] == "FAILED"
    assert "gate-shard" in outcome["error"]
    assert "exited 3: infrastructure" in outcome["log"]
    assert not task_dirs(tmp_path, "merge-shards")


def test_zero_shards_fail_the_pipeline_before_any_call(python, tmp_path, gate_dir):
    write_gate(gate_dir, "http://127.0.0.1:9/v1")
    outcome = kfp_gate(python, tmp_path, "sharded_gate", gate_dir, "", shards=0)
    assert outcome["state"] == "FAILED"
    assert "shard-specs" in outcome["error"]
    assert "shards must be 1 or more, not 0" in outcome["log"]
    assert not task_dirs(tmp_path, "gate-shard") and not task_dirs(tmp_path, "merge-shards")
