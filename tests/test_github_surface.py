"""The GitHub surface: action.yml, the reusable workflows, CI and the Dockerfile.

Linted with the tools GitHub users trust (check-jsonschema with GitHub's own schemas, zizmor),
checked for the rules zizmor cannot see (no expression inside a ``run:`` script), and the
composite action's ``run:`` steps executed in bash the way the runner executes them, against the
stand-in model and a local GitHub API.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gatewise.standin import StandinServer

from .action_runner import ActionRun, run_action
from .conftest import REPO, example_rows, write_gate
from .github_api import GitHubAPI

ACTION = REPO / "action.yml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DOCKERFILE = REPO / "Dockerfile"
VENV_BIN = Path(sys.executable).parent
OWN_SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def tool(name: str) -> str:
    """A linter from the test extra: beside this interpreter, else on PATH; skip only if absent."""
    for candidate in (VENV_BIN / name, shutil.which(name)):
        if candidate and Path(candidate).exists():
            return str(candidate)
    pytest.skip(f"{name} is not installed (pip install -e '.[test]' installs it)")


def load_yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def all_steps() -> list[tuple[str, dict]]:
    steps = [(f"action.yml step {s.get('name')!r}", s) for s in load_yaml(ACTION)["runs"]["steps"]]
    for workflow in WORKFLOWS:
        for job_id, job in load_yaml(workflow)["jobs"].items():
            steps += [(f"{workflow.name} {job_id} step {s.get('name') or s.get('uses')!r}", s)
                      for s in job.get("steps", [])]
    return steps


# -- linted with GitHub's schemas and zizmor -------------------------------------------------------

def test_there_is_an_action_and_the_reusable_workflows():
    assert ACTION.is_file()
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "quality-gate.yml", "promote.yml"}


def test_action_yml_matches_the_github_actions_schema():
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_each_workflow_matches_the_github_workflows_schema(workflow):
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_offline_finds_nothing():
    # --offline: no network, no GitHub token; the pedantic persona is the strictest one
    proc = subprocess.run([tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress",
                           "--format", "plain", "--color", "never", str(ACTION), str(REPO / ".github" / "workflows")],
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_no_expression_inside_any_run_script():
    """Inputs reach scripts through env: only; an expression in run: is a template injection."""
    offenders = [where for where, step in all_steps() if "run" in step and "${{" in str(step["run"])]
    assert not offenders, offenders


def test_every_third_party_action_is_pinned_by_commit_with_a_version_comment():
    for path in [ACTION, *WORKFLOWS]:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            if not match or match.group(1).startswith("./"):
                continue
            assert OWN_SHA.match(match.group(1)), f"{path.name}: not pinned by full commit: {line.strip()}"
            assert re.search(r"#\s*v\d+\.\d+\.\d+", match.group(2)), f"{path.name}: no version comment: {line.strip()}"


def test_every_input_has_a_description_and_a_default():
    action = load_yaml(ACTION)
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
    assert set(action["outputs"]) >= {"passed", "exit-code", "result-path", "summary-path", "mlflow-run-id",
                                      "model-version", "manifests-pr-url"}


def test_workflows_ask_for_least_privilege_and_never_persist_credentials():
    for workflow in WORKFLOWS:
        data = load_yaml(workflow)
        assert data.get("permissions") == {}, f"{workflow.name}: top-level permissions must be empty"
        for job_id, job in data["jobs"].items():
            assert "permissions" in job, f"{workflow.name} {job_id}: no job permissions"
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{workflow.name} {job_id}"
    gate = load_yaml(REPO / ".github" / "workflows" / "quality-gate.yml")["jobs"]["gate"]["permissions"]
    assert gate == {"contents": "read", "pull-requests": "write", "statuses": "write"}
    promote = load_yaml(REPO / ".github" / "workflows" / "promote.yml")["jobs"]["promote"]["permissions"]
    assert promote == {"contents": "read"}


# -- the Dockerfile -------------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile_base_is_slim_python_pinned_by_digest():
    froms = [arg for op, arg in dockerfile_instructions() if op == "FROM"]
    assert froms, "no FROM"
    for image in froms:
        assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}(\s+AS\s+\S+)?", image), image


def test_dockerfile_runs_as_a_non_root_user():
    users = [arg for op, arg in dockerfile_instructions() if op == "USER"]
    assert users, "no USER: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]


def test_dockerfile_entrypoint_is_gatewise_in_exec_form():
    entrypoints = [arg for op, arg in dockerfile_instructions() if op == "ENTRYPOINT"]
    assert len(entrypoints) == 1
    assert json.loads(entrypoints[0]) == ["gatewise"]


def pip_install_targets(command: str) -> list[str]:
    """What ``pip install`` installs in a shell line: its non-option words, extras stripped."""
    words = shlex.split(command)
    targets = []
    for i, word in enumerate(words):
        if word == "install" and i > 0 and words[i - 1].endswith("pip"):
            for arg in words[i + 1:]:
                if arg in ("&&", ";", "||"):
                    break
                if not arg.startswith("-"):
                    targets.append(re.sub(r"\[.*\]$", "", arg))
    return targets


def test_dockerfile_installs_this_checkout_as_ci_does():
    runs = " && ".join(arg for op, arg in dockerfile_instructions() if op == "RUN")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    # .venv-vllm holds the real vLLM server the vllm tier talks to, .venv-kfp the Kubeflow SDK that
    # compiles and runs integrations/kubeflow: test tools, not gatewise
    ci_targets = [t for line in ci.splitlines() if "pip" in line and "install" in line
                  and ".venv-vllm" not in line and ".venv-kfp" not in line
                  for t in pip_install_targets(line) if t != "pip"]
    assert ci_targets == ["."], ci_targets
    assert pip_install_targets(runs) == ["."], runs
    assert "[test]" not in runs  # the image carries the runtime dependencies only
    install = next(step for step in load_yaml(ACTION)["runs"]["steps"] if step.get("id") == "install")
    assert 'pip install --quiet "$GITHUB_ACTION_PATH"' in install["run"]  # the action: its own checkout


def test_dockerignore_keeps_the_build_context_to_what_the_image_needs():
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore
    copied = {arg.split()[0] for op, arg in dockerfile_instructions() if op == "COPY"}
    for source in ("pyproject.toml", "src", "quality"):
        assert f"!{source}" in ignore or f"!{source}/" in ignore, source
    assert copied >= {"src", "quality"}


def test_the_installed_package_carries_every_data_file_it_reads():
    """A non-editable install (the image, the action) gets only what package-data names."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["gatewise"]
    package = REPO / "src" / "gatewise"
    missing = []
    for path in package.rglob("*"):
        if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(package).as_posix()
        if not any(fnmatch.fnmatch(relative, p) for p in patterns):
            missing.append(relative)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


# -- the composite action's run: steps, executed as the runner executes them -------------------------

SECRET = "sk-gatewise-test-5ecret-key"
TOKEN = "ghs_gatewise_test_token"
REPOSITORY = "acme/qa-assistant"


@pytest.fixture(scope="module")
def github_api():
    with GitHubAPI() as api:
        api.add_token(TOKEN)
        api.add_repo(REPOSITORY)
        yield api


@pytest.fixture(scope="module")
def keyed_model(answers):
    """A healthy model that wants a key, as a real endpoint would."""
    with StandinServer(answers=answers, quality=1.0, api_key=SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def degraded_model(answers):
    with StandinServer(answers=answers, quality=0.5, seed=3, api_key=SECRET) as server:
        yield server


def runner_env() -> dict[str, str]:
    """The developer's environment minus anything the runner would set or a secret could hide in."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEWISE_", "RUNNER_", "INPUT_"))}


def gate_action(tmp_path: Path, api: GitHubAPI, pull: dict | None, *, inputs: dict[str, str],
                fork: bool = False) -> ActionRun:
    """Run action.yml for a pull request (or a push when ``pull`` is None) in ``tmp_path``."""
    workspace, temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir(exist_ok=True)
    temp.mkdir(exist_ok=True)
    if not (workspace / "gate.yaml").exists():
        # the config points nowhere useful (the endpoint-url input must override it) and reads its
        # key from the variable the action exports, as quality/gate.yaml does
        write_gate(workspace, "http://127.0.0.1:9/v1", rows=example_rows(12),
                   endpoint={"api_key": "${GATEWISE_ENDPOINT_KEY:-}"})
    event = {"ref": "refs/heads/main"}
    if pull is not None:
        head_repo = pull["head_repo"]
        event = {"action": "synchronize", "number": pull["number"],
                 "pull_request": {"number": pull["number"],
                                  "head": {"sha": pull["head_sha"], "ref": pull["head_ref"],
                                           "repo": {"full_name": head_repo, "fork": fork}},
                                  "base": {"ref": "main", "repo": {"full_name": REPOSITORY, "fork": False}}}}
    event_path = temp / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    github = {"repository": REPOSITORY, "event_name": "pull_request" if pull else "push",
              "event_path": str(event_path), "sha": "f" * 40, "token": TOKEN, "api_url": api.base_url}
    return run_action(REPO, inputs={"config": "gate.yaml", **inputs}, workspace=workspace, runner_temp=temp,
                      github=github, env=runner_env(),
                      replace={"install": {"gatewise": str(VENV_BIN / "gatewise"), "python": sys.executable}})


def assert_secret_never_shown(run: ActionRun, *paths: Path) -> None:
    assert SECRET in run.masks
    shown = [line for line in run.log.splitlines() if SECRET in line and not line.startswith("::add-mask::")]
    assert not shown, shown
    assert SECRET not in run.summary
    for path in paths:
        if path.is_dir():
            for file in path.rglob("*"):
                if file.is_file():
                    assert SECRET not in file.read_text(encoding="utf-8", errors="replace"), file


def sticky_comments(api: GitHubAPI, pull: dict) -> list[dict]:
    return [c for c in api.comments(REPOSITORY, pull["number"]) if "gatewise" in c["body"]]


def test_a_passing_gate_sets_outputs_job_summary_comment_and_status(tmp_path, github_api, keyed_model):
    pull = github_api.add_pull(REPOSITORY, title="Sharper system prompt")
    run = gate_action(tmp_path, github_api, pull, inputs={
        "endpoint-url": keyed_model.base_url, "endpoint-api-key": SECRET, "extra-args": "--verbose"})

    assert not run.failed, run.log
    assert run.outputs["passed"] == "true"
    assert run.outputs["exit-code"] == "0"
    result = Path(run.outputs["result-path"])
    assert result.is_file() and json.loads(result.read_text())["passed"] is True
    assert Path(run.outputs["summary-path"]).is_file()
    assert {run.outputs[k] for k in ("mlflow-run-id", "model-version", "manifests-pr-url")} == {""}
    assert "correctness" in run.summary and "pass" in run.summary.lower()

    comments = sticky_comments(github_api, pull)
    assert len(comments) == 1 and "correctness" in comments[0]["body"]
    statuses = github_api.latest_statuses(REPOSITORY, pull["head_sha"])
    assert [s["state"] for s in statuses.values()] == ["success"]
    assert_secret_never_shown(run, result.parent)


def test_html_false_draws_no_report_html_and_decides_the_same(tmp_path, github_api, keyed_model):
    run = gate_action(tmp_path, github_api, None, inputs={
        "endpoint-url": keyed_model.base_url, "endpoint-api-key": SECRET, "html": "false"})
    assert not run.failed, run.log
    result = Path(run.outputs["result-path"])
    assert run.outputs["passed"] == "true" and json.loads(result.read_text())["passed"] is True
    assert not (result.parent / "report.html").exists() and (result.parent / "results.jsonl").is_file()


def test_a_failing_gate_fails_the_step_and_updates_the_same_comment(tmp_path, github_api, keyed_model,
                                                                    degraded_model):
    pull = github_api.add_pull(REPOSITORY, title="Smaller model")
    first = gate_action(tmp_path, github_api, pull, inputs={
        "endpoint-url": keyed_model.base_url, "endpoint-api-key": SECRET})
    assert not first.failed, first.log
    run = gate_action(tmp_path, github_api, pull, inputs={
        "endpoint-url": degraded_model.base_url, "endpoint-api-key": SECRET})

    assert run.failed
    assert run.step("decide").returncode == 1
    assert run.outputs["passed"] == "false" and run.outputs["exit-code"] == "1"
    assert any("correctness" in message for message in run.annotations("error")), run.log
    comments = sticky_comments(github_api, pull)
    assert len(comments) == 1, "the sticky comment is edited, not added again"
    assert "correctness" in comments[0]["body"]
    statuses = github_api.latest_statuses(REPOSITORY, pull["head_sha"])
    assert [s["state"] for s in statuses.values()] == ["failure"]
    assert_secret_never_shown(run)


def test_fail_on_error_lets_a_failed_threshold_only_warn(tmp_path, github_api, degraded_model):
    run = gate_action(tmp_path, github_api, None, inputs={
        "endpoint-url": degraded_model.base_url, "endpoint-api-key": SECRET, "fail-on": "error",
        "comment": "false"})
    assert not run.failed, run.log
    assert run.outputs["passed"] == "false" and run.outputs["exit-code"] == "1"
    assert any("fail-on is 'error'" in message for message in run.annotations("warning"))


def test_fail_on_never_reports_an_unreachable_endpoint_without_failing(tmp_path, github_api):
    pull = github_api.add_pull(REPOSITORY, title="Endpoint moved")
    run = gate_action(tmp_path, github_api, pull, inputs={
        "endpoint-url": "http://127.0.0.1:9/v1", "fail-on": "never"})

    assert not run.failed, run.log
    assert run.outputs["passed"] == "false" and run.outputs["exit-code"] == "3"
    assert run.outputs["result-path"] == ""
    assert "could not run" in run.summary and "not a pass" in run.summary
    statuses = github_api.latest_statuses(REPOSITORY, pull["head_sha"])
    assert [s["state"] for s in statuses.values()] == ["error"]


def test_a_fork_pull_request_without_secrets_is_never_green_and_posts_nothing(tmp_path, github_api,
                                                                              keyed_model):
    pull = github_api.add_pull(REPOSITORY, title="Drive-by prompt tweak", head_repo="stranger/qa-assistant")
    # GitHub gives a fork's pull_request run no secrets: the key input arrives empty
    run = gate_action(tmp_path, github_api, pull, fork=True, inputs={"endpoint-url": keyed_model.base_url})

    assert run.failed
    assert run.outputs["passed"] == "false" and run.outputs["exit-code"] == "3"
    assert "fork" in run.summary
    assert sticky_comments(github_api, pull) == []
    assert github_api.statuses(REPOSITORY, pull["head_sha"]) == []


MANIFESTS_TOKEN = "ghs_manifests_" + "w" * 24
MANIFEST = (REPO / "tests" / "data" / "manifests" / "inferenceservice.yaml").read_text(encoding="utf-8")


def promotable_workspace(tmp_path: Path, api: GitHubAPI, manifests_repo: str) -> Path:
    """A workspace whose gate config promotes into ``manifests_repo`` on the local GitHub API."""
    api.add_token(MANIFESTS_TOKEN)
    api.add_repo(manifests_repo, files={"isvc.yaml": MANIFEST})
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    write_gate(workspace, "http://127.0.0.1:9/v1", rows=example_rows(12),
               endpoint={"api_key": "${GATEWISE_ENDPOINT_KEY:-}"}, extra=f"""model:
  name: qa-assistant
  source: hf://org/qa-model@9a8b7c6
promote:
  manifests:
    repo: {manifests_repo}
    path: isvc.yaml
    set: {{ "spec.predictor.model.storageUri": "{{model.source}}" }}
    api_url: {api.base_url}
""")
    return workspace


def test_promote_mode_gates_registers_and_opens_the_manifests_pr(tmp_path, github_api, keyed_model):
    manifests_repo = "acme/ai-manifests-action"
    promotable_workspace(tmp_path, github_api, manifests_repo)
    database = tmp_path / "mlflow" / "mlruns.db"
    run = gate_action(tmp_path, github_api, None, inputs={
        "mode": "promote", "endpoint-url": keyed_model.base_url, "endpoint-api-key": SECRET,
        "manifests-token": MANIFESTS_TOKEN, "mlflow-tracking-uri": f"sqlite:///{database}"})

    assert not run.failed, run.log
    assert [s.id for s in run.steps if s.ran] == ["inputs", "promote"]
    assert run.outputs["passed"] == "true" and run.outputs["exit-code"] == "0"
    assert run.outputs["model-version"] == "1" and len(run.outputs["mlflow-run-id"]) == 32
    [pull] = github_api.repos[manifests_repo].pulls.values()
    assert run.outputs["manifests-pr-url"].endswith(f"/{manifests_repo}/pull/{pull['number']}")
    assert "hf://org/qa-model@9a8b7c6" in github_api.file(manifests_repo, "isvc.yaml", pull["head_ref"])
    assert (tmp_path / "workspace" / "gate-out" / "gate-result.json").is_file()  # the gate ran first
    assert "gatewise promote" in run.summary and run.outputs["manifests-pr-url"] in run.summary
    assert MANIFESTS_TOKEN in run.masks
    assert_secret_never_shown(run, tmp_path / "workspace" / "gate-out")
    assert not [line for line in run.log.splitlines() if MANIFESTS_TOKEN in line and "::add-mask::" not in line]


def test_promote_mode_takes_a_gate_result_and_without_a_token_stops_with_exit_2(tmp_path, github_api, keyed_model):
    manifests_repo = "acme/ai-manifests-action-result"
    workspace = promotable_workspace(tmp_path, github_api, manifests_repo)
    env = {**runner_env(), "GATEWISE_ENDPOINT_KEY": SECRET}
    gated = subprocess.run([str(VENV_BIN / "gatewise"), "gate", "--config", "gate.yaml", "--endpoint-url",
                            keyed_model.base_url, "--out", "artifact", "--quiet"], cwd=workspace, env=env)
    assert gated.returncode == 0
    run = gate_action(tmp_path, github_api, None, inputs={
        "mode": "promote", "result": "artifact/gate-result.json",
        "mlflow-tracking-uri": f"sqlite:///{tmp_path / 'mlflow.db'}"})

    assert run.failed and run.step("promote").returncode == 2
    assert run.outputs["exit-code"] == "2" and run.outputs["passed"] == "false"
    assert run.outputs["model-version"] == "" and run.outputs["manifests-pr-url"] == ""
    assert any("bad input" in m for m in run.annotations("error"))
    assert github_api.repos[manifests_repo].pulls == {} and not (tmp_path / "mlflow.db").exists()


@pytest.mark.parametrize("name,value", [("fail-on", "sometimes"), ("mode", "deploy"), ("cache", "yes"),
                                        ("html", "no")])
def test_an_invalid_input_stops_with_exit_2(tmp_path, github_api, name, value):
    run = gate_action(tmp_path, github_api, None, inputs={name: value})
    assert run.failed and run.step("inputs").returncode == 2
    assert any(name in m for m in run.annotations("error"))


def test_extra_args_are_split_like_a_shell_but_never_evaluated(tmp_path, github_api, keyed_model):
    marker = tmp_path / "workspace" / "pwned"
    run = gate_action(tmp_path, github_api, None, inputs={
        "endpoint-url": keyed_model.base_url, "endpoint-api-key": SECRET, "comment": "false",
        "extra-args": "--model '$(touch pwned)' --quiet"})
    assert not marker.exists()
    assert run.outputs["exit-code"] in ("2", "3")  # the model name arrived literally, and is unknown
    assert "$(touch pwned)" in run.step("gate").log


def test_extra_args_with_an_unclosed_quote_are_bad_input(tmp_path, github_api):
    run = gate_action(tmp_path, github_api, None, inputs={"extra-args": "--model 'unclosed", "comment": "false"})
    assert run.failed
    assert run.outputs["exit-code"] == "2"
    assert "could not run" in run.summary
    assert "extra-args" in run.summary
