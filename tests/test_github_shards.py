"""A gate split over a GitHub Actions matrix: the action's ``shard`` input and ``mode: merge`` run
for real (tests/action_runner.py) against the stand-in model and a local GitHub API, and the
reusable workflow's plan / shard / merge jobs are wired to each other."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO
from .test_github_surface import (REPOSITORY, SECRET, assert_secret_never_shown, gate_action, github_api,  # noqa: F401
                                  keyed_model, load_yaml, sticky_comments)

WORKFLOW = REPO / ".github" / "workflows" / "quality-gate.yml"


def run_shards(tmp_path: Path, api, pull, base_url: str, count: int, *, only: list[int] | None = None) -> list:
    """Run the action for shards K/count (``only`` some of them), then lay their directories out
    under workspace/shards/ as download-artifact does: one folder per artifact."""
    runs = []
    downloaded = tmp_path / "workspace" / "shards"
    for k in only or range(1, count + 1):
        run = gate_action(tmp_path, api, pull, inputs={
            "endpoint-url": base_url, "endpoint-api-key": SECRET, "shard": f"{k}/{count}",
            "out": f"shard-out-{k}", "artifact-name": f"gatewise-shard-{k}"})
        runs.append(run)
        if not run.failed:
            downloaded.mkdir(parents=True, exist_ok=True)
            shutil.move(str(tmp_path / "workspace" / f"shard-out-{k}"), str(downloaded / f"gatewise-shard-{k}"))
    return runs


def test_shards_publish_nothing_and_the_merge_publishes_one_verdict(tmp_path, github_api, keyed_model):
    pull = github_api.add_pull(REPOSITORY, title="Bigger dataset, sharded")
    shards = run_shards(tmp_path, github_api, pull, keyed_model.base_url, 3)

    for k, run in enumerate(shards, start=1):
        assert not run.failed, run.log
        assert run.outputs["exit-code"] == "0" and run.outputs["passed"] == ""
        assert run.outputs["result-path"] == ""
        assert f"shard {k}/3 ran" in run.summary
        assert run.step("publish").outcome == "skipped"
        assert_secret_never_shown(run)
    assert sticky_comments(github_api, pull) == []
    assert github_api.latest_statuses(REPOSITORY, pull["head_sha"]) == {}

    merge = gate_action(tmp_path, github_api, pull, inputs={"mode": "merge", "shard-dirs": "shards",
                                                            "endpoint-api-key": SECRET})
    assert not merge.failed, merge.log
    assert merge.outputs["passed"] == "true" and merge.outputs["exit-code"] == "0"
    result = json.loads(Path(merge.outputs["result-path"]).read_text(encoding="utf-8"))
    assert result["passed"] is True and result["shards"] == 3
    assert result["counts"]["samples"] == 12
    assert merge.step("restore-cache").outcome == "skipped"
    comments = sticky_comments(github_api, pull)
    assert len(comments) == 1 and "correctness" in comments[0]["body"]
    statuses = github_api.latest_statuses(REPOSITORY, pull["head_sha"])
    assert [s["state"] for s in statuses.values()] == ["success"]
    assert_secret_never_shown(merge, Path(merge.outputs["result-path"]).parent)


def test_a_merge_missing_a_shard_fails_red_and_names_it(tmp_path, github_api, keyed_model):
    pull = github_api.add_pull(REPOSITORY, title="One shard lost")
    run_shards(tmp_path, github_api, pull, keyed_model.base_url, 3, only=[1, 3])
    merge = gate_action(tmp_path, github_api, pull, inputs={"mode": "merge", "shard-dirs": "shards"})

    assert merge.failed and merge.outputs["exit-code"] == "2" and merge.outputs["passed"] == "false"
    assert merge.outputs["result-path"] == ""
    assert "could not run" in merge.summary and "shard 2/3 missing" in merge.summary
    assert "`gatewise gate --shard 2/3` probably failed or never ran: see its log" in merge.summary
    statuses = github_api.latest_statuses(REPOSITORY, pull["head_sha"])
    assert [s["state"] for s in statuses.values()] != ["success"]


def test_a_merge_with_nothing_downloaded_is_bad_input(tmp_path, github_api):
    merge = gate_action(tmp_path, github_api, None, inputs={"mode": "merge", "shard-dirs": "nothing-here",
                                                            "comment": "false"})
    assert merge.failed and merge.outputs["exit-code"] == "2"
    assert "could not run" in merge.summary


def test_a_shard_that_cannot_reach_the_endpoint_fails_its_leg(tmp_path, github_api):
    pull = github_api.add_pull(REPOSITORY, title="Endpoint down, sharded")
    (run,) = run_shards(tmp_path, github_api, pull, "http://127.0.0.1:9/v1", 2, only=[1])
    assert run.failed and run.step("decide").returncode == 3
    assert run.outputs["exit-code"] == "3" and run.outputs["passed"] == ""
    assert any("shard 1/2 could not run" in m for m in run.annotations("error")), run.log
    assert sticky_comments(github_api, pull) == []


@pytest.mark.parametrize("inputs, named", [
    ({"shard": "two"}, "shard"), ({"shard": "1/2", "mode": "promote"}, "shard"), ({"mode": "merge"}, "shard-dirs")])
def test_bad_shard_inputs_stop_before_anything_runs(tmp_path, github_api, inputs, named):
    run = gate_action(tmp_path, github_api, None, inputs=inputs)
    assert run.failed and run.step("inputs").returncode == 2
    assert any(named in m for m in run.annotations("error"))
    assert run.step("gate").outcome == "skipped"


# -- the reusable workflow -------------------------------------------------------------------------

def plan_script(shards: str, artifact_name: str = "") -> tuple[int, str, str]:
    """The plan job's script, run as the runner runs it: exit code, GITHUB_OUTPUT, log."""
    step = load_yaml(WORKFLOW)["jobs"]["plan"]["steps"][0]
    output = Path(subprocess.run(["mktemp"], capture_output=True, text=True, check=True).stdout.strip())
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          env={"PATH": "/usr/bin:/bin", "SHARDS": shards, "ARTIFACT_NAME": artifact_name,
                               "GITHUB_OUTPUT": str(output)}, capture_output=True, text=True)
    text = output.read_text(encoding="utf-8")
    output.unlink()
    return proc.returncode, text, proc.stdout + proc.stderr


def test_the_plan_job_lists_one_matrix_entry_per_shard():
    code, output, log = plan_script("3")
    assert code == 0, log
    matrix = json.loads(output.removeprefix("matrix="))
    assert matrix == {"include": [{"shard": f"{k}/3", "artifact": f"gatewise-shard-{k}"} for k in (1, 2, 3)]}
    code, output, _ = plan_script("2", "qa")
    assert json.loads(output.removeprefix("matrix="))["include"][1]["artifact"] == "qa-shard-2"


@pytest.mark.parametrize("shards", ["0", "257", "x", ""])
def test_the_plan_job_refuses_a_bad_shard_count(shards):
    code, output, log = plan_script(shards)
    assert code == 2 and output == ""
    assert "::error title=gatewise::shards must be a whole number" in log


def test_the_workflow_runs_one_gate_job_or_shards_then_one_merge():
    jobs = load_yaml(WORKFLOW)["jobs"]
    assert jobs["gate"]["if"] == "inputs.shards == 1" and jobs["plan"]["if"] == "inputs.shards != 1"
    assert jobs["shard"]["needs"] == "plan"
    assert jobs["shard"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert set(jobs["merge"]["needs"]) == {"plan", "shard"}
    shard_step = next(s for s in jobs["shard"]["steps"] if s.get("uses", "").startswith("./"))
    assert shard_step["with"]["shard"] == "${{ matrix.shard }}"
    assert shard_step["with"]["artifact-name"] == "${{ matrix.artifact }}"
    assert shard_step["with"]["comment"] == "false"
    # what the shards upload is what the merge downloads, into the folder it merges
    _, output, _ = plan_script("4")
    uploaded = [entry["artifact"] for entry in json.loads(output.removeprefix("matrix="))["include"]]
    download = next(s for s in jobs["merge"]["steps"] if "download-artifact" in s.get("uses", ""))
    pattern = download["with"]["pattern"]
    assert pattern == "${{ format('{0}-shard-*', inputs.artifact-name || 'gatewise') }}"
    assert all(fnmatch.fnmatch(name, "gatewise-shard-*") for name in uploaded)
    merge_step = next(s for s in jobs["merge"]["steps"] if s.get("uses", "").startswith("./"))
    assert merge_step["with"]["mode"] == "merge"
    assert merge_step["with"]["shard-dirs"] == download["with"]["path"]
    assert jobs["merge"]["permissions"] == jobs["gate"]["permissions"]
    assert jobs["shard"]["permissions"] == {"contents": "read"}
    outputs = load_yaml(WORKFLOW)["on"]["workflow_call"]["outputs"]
    assert outputs["passed"]["value"] == "${{ jobs.gate.outputs.passed || jobs.merge.outputs.passed }}"
