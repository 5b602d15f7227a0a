"""The Argo Workflows integration (integrations/argo/): the sharded-gate WorkflowTemplate's steps run
here as Argo would run them (tests/argo_local.py: variables substituted, env set, each script run
by sh, key-only artifacts under one local folder) against the stand-in model, and the example
train -> evaluate -> register DAG is wired to the template's real names and outputs. Schema checks
of both files are in tests/test_integrations.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gatewise.standin import StandinServer

from .argo_local import ArgoLocal
from .conftest import REPO, write_gate

ARGO = REPO / "integrations" / "argo"
TEMPLATE = ARGO / "sharded-gate-workflowtemplate.yaml"
EXAMPLE = ARGO / "train-evaluate-register.yaml"


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def argo_run(tmp_path: Path, secrets: dict | None = None) -> ArgoLocal:
    templates = {t["name"]: t for t in load(TEMPLATE)["spec"]["templates"]}
    # the image's gatewise is this test venv's; nothing else of this process's environment leaks in
    path = f"{Path(sys.executable).parent}:{Path(shutil.which('sh')).parent}"
    env = {"PATH": path, **{k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "HOME", "DO_NOT_TRACK")}}
    return ArgoLocal(tmp_path / "argo", templates, env=env, secrets=secrets or {})


def gate_folder(tmp_path: Path, base_url: str, **endpoint) -> Path:
    folder = tmp_path / "repo"
    (folder / "quality").mkdir(parents=True)
    write_gate(folder / "quality", base_url, endpoint=endpoint or None)
    return folder


def test_a_sharded_gate_decides_over_all_rows(tmp_path, answers):
    with StandinServer(answers=answers, quality=1.0) as model:
        run = argo_run(tmp_path)
        outputs = run.run_dag("gate", {"endpoint-url": model.base_url, "shards": "3"},
                              {"gate": gate_folder(tmp_path, "http://127.0.0.1:9/v1")})
    assert outputs == {"verdict": "pass", "exit-code": "0"}, [s.log[-2000:] for s in run.steps]
    assert [s.template for s in run.steps] == ["gate-shard"] * 3 + ["merge"]
    assert [s.parameters["shard"] for s in run.steps[:3]] == ["1/3", "2/3", "3/3"]
    stored = sorted(p.name for p in (run.repository / run.workflow_name / "gatewise-shards").iterdir())
    assert stored == ["1", "2", "3"]
    reports = run.pod_path(run.steps[-1], "/work/gate-out")
    result = json.loads((reports / "gate-result.json").read_text(encoding="utf-8"))
    assert result["passed"] is True and result["shards"] == 3
    assert result["endpoint"]["base_url"] == model.base_url  # the endpoint-url parameter reached every shard
    assert (reports / "summary.md").is_file() and (reports / "junit.xml").is_file()


def test_a_failed_gate_is_a_verdict_not_an_error(tmp_path, answers):
    with StandinServer(answers=answers, quality=0.3, seed=5) as model:
        run = argo_run(tmp_path)
        outputs = run.run_dag("gate", {"shards": "2"}, {"gate": gate_folder(tmp_path, model.base_url)})
    assert outputs == {"verdict": "fail", "exit-code": "1"}, [s.log[-2000:] for s in run.steps]
    assert all(step.returncode == 0 for step in run.steps)


def test_the_endpoint_key_reaches_every_shard_from_the_secret(tmp_path, answers):
    with StandinServer(answers=answers, quality=1.0, api_key="sk-argo-test-key") as model:
        gate = gate_folder(tmp_path, model.base_url, api_key="${GATEWISE_ENDPOINT_KEY:-}")
        run = argo_run(tmp_path, secrets={"gatewise": {"endpoint-key": "sk-argo-test-key"}})
        assert run.run_dag("gate", {"shards": "2"}, {"gate": gate}) == {"verdict": "pass", "exit-code": "0"}
        # without the Secret's key the endpoint refuses every shard: no verdict
        unkeyed = argo_run(tmp_path / "unkeyed")
        assert unkeyed.run_dag("gate", {"shards": "2"}, {"gate": gate}) == {}
    assert [(s.template, s.returncode) for s in unkeyed.steps] == [("gate-shard", 3)]
    assert "401" in unkeyed.steps[0].log, unkeyed.steps[0].log[-2000:]
    assert all("sk-argo-test-key" not in step.log for step in run.steps + unkeyed.steps)


def test_an_endpoint_that_is_down_fails_a_shard_and_merge_never_runs(tmp_path):
    run = argo_run(tmp_path)
    outputs = run.run_dag("gate", {"shards": "2"}, {"gate": gate_folder(tmp_path, "http://127.0.0.1:9/v1")})
    assert outputs == {}
    assert [(s.template, s.returncode) for s in run.steps] == [("gate-shard", 3)]


def test_merge_refuses_an_incomplete_set_of_shards(tmp_path, answers):
    """A shard lost from the artifact repository is exit 2, not a verdict over part of the rows."""
    with StandinServer(answers=answers, quality=1.0) as model:
        run = argo_run(tmp_path)
        gate = gate_folder(tmp_path, model.base_url)
        for k in (1, 2):
            step = run.run_script("gate-shard", {"shard": f"{k}/3", "index": str(k), "config": "quality/gate.yaml",
                                                 "endpoint-url": "", "artifact-key": "gatewise-shards"},
                                  {"gate": gate})
            assert step.returncode == 0, step.log
    merge = run.run_script("merge", {"config": "quality/gate.yaml", "artifact-key": "gatewise-shards"},
                           {"gate": gate})
    assert merge.returncode == 2, merge.log
    assert merge.outputs == {} and not run.pod_path(merge, "/tmp/gatewise/verdict").exists()
    assert "shard 3/3 missing" in merge.log, merge.log


def test_the_example_dag_uses_the_template_and_branches_on_its_verdict():
    template, example = load(TEMPLATE), load(EXAMPLE)
    gate = next(t for t in template["spec"]["templates"] if t["name"] == "gate")
    tasks = {t["name"]: t for t in next(t for t in example["spec"]["templates"]
                                        if t["name"] == example["spec"]["entrypoint"])["dag"]["tasks"]}
    evaluate = tasks["evaluate"]
    assert evaluate["templateRef"] == {"name": template["metadata"]["name"], "template": "gate"}
    declared = {p["name"] for p in gate["inputs"]["parameters"]}
    assert {p["name"] for p in evaluate["arguments"]["parameters"]} <= declared
    assert {a["name"] for a in evaluate["arguments"]["artifacts"]} == {a["name"] for a in gate["inputs"]["artifacts"]}
    outputs = {p["name"] for p in gate["outputs"]["parameters"]}
    register = tasks["register"]
    match = re.fullmatch(r"'\{\{tasks\.evaluate\.outputs\.parameters\.([\w-]+)\}\}' == 'pass'", register["when"])
    assert match and match.group(1) in outputs
    assert register["depends"] == "evaluate" and evaluate["depends"] == "train"
    reports = next(a for a in register["arguments"]["artifacts"] if a["name"] == "reports")
    assert reports["from"] == "{{tasks.evaluate.outputs.artifacts.reports}}"
    assert "reports" in {a["name"] for a in gate["outputs"]["artifacts"]}


def test_shards_write_where_merge_reads():
    templates = {t["name"]: t for t in load(TEMPLATE)["spec"]["templates"]}
    written = templates["gate-shard"]["outputs"]["artifacts"][0]["s3"]["key"]
    read = next(a for a in templates["merge"]["inputs"]["artifacts"] if a["name"] == "shards")["s3"]["key"]
    assert written.startswith(read + "/") and written.count("/") == read.count("/") + 1
    assert templates["gate-shard"]["outputs"]["artifacts"][0]["archive"] == {"none": {}}


@pytest.mark.parametrize("name", ["gate-shard", "merge"])
def test_scripts_take_parameters_only_through_env(name):
    script = next(t for t in load(TEMPLATE)["spec"]["templates"] if t["name"] == name)["script"]
    assert "{{" not in script["source"]
