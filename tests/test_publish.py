"""``gatewise publish``: the verdict on the pull request (one sticky comment, a commit status on the
head commit), in the job summary, as annotations on the config's lines and as step outputs.

PyGithub talks to ``tests/github_api.py`` on 127.0.0.1; the gate results come from real
``gatewise gate`` runs against the stand-in model, or are built directly like ``test_reports``.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from gatewise import cli
from gatewise.config import Threshold
from gatewise.gate import decide
from gatewise.report import GITHUB_COMMENT_LIMIT, write_reports
from gatewise.standin import StandinServer

from .conftest import write_gate
from .github_api import GitHubAPI
from .test_reports import _sample, _scores, make_result

REPO = "acme/qa-service"
TOKEN = "ghs_" + "T0kenValue" * 4  # shaped like a real Actions token, so redaction would also catch it
MARKER_PREFIX = "<!-- gatewise:sticky:"
RUN_URL = f"https://github.com/{REPO}/actions/runs/4242"
MERGE_SHA = "f" * 40  # GITHUB_SHA of a pull_request run: the test merge commit, not where statuses go


# -- fixtures: the GitHub stand-in, gate results, and the CLI run as Actions would run it ------------

@pytest.fixture(scope="module")
def github_api():
    with GitHubAPI() as api:
        api.add_token(TOKEN)
        api.add_token("ghs_read_only_token_xxxxxxxxxxxxxxxx", set())
        api.add_token("ghs_comments_only_token_xxxxxxxxxxxx", {"pull-requests"})
        api.add_repo(REPO, files={"quality/gate.yaml": "# the gate\n"})
        yield api


@pytest.fixture
def pull(github_api):
    """A fresh pull request with someone else's comments on it, enough to need a second page."""
    pr = github_api.add_pull(REPO, head_ref="prompt-v2", title="Tighter system prompt")
    for i in range(35):
        github_api.add_comment(REPO, pr["number"], f"review comment {i}")
    return pr


@pytest.fixture(scope="module")
def degraded_gate(tmp_path_factory, answers):
    """A real, failing gate run: the stand-in answers 60 % right, the config wants 90 %."""
    directory = tmp_path_factory.mktemp("degraded")
    config = write_gate(directory, "http://127.0.0.1:9/v1", extra="model:\n  name: qa-assistant\n")
    with StandinServer(answers=answers, quality=0.6, seed=3) as model:
        code = cli.main(["gate", "--config", str(config), "--endpoint-url", model.base_url,
                         "--out", str(directory / "out"), "--quiet"])
    assert code == 1
    return directory


def passing_result_dir(directory: Path) -> Path:
    samples = [_sample("q1"), _sample("q2")]
    scores = [*_scores(samples[0]), *_scores(samples[1])]
    thresholds = (Threshold("correctness.exact", "pass_rate", ">=", 0.8, ">= 80%", 28),)
    result = make_result(samples, scores, thresholds=thresholds,
                         verdict=decide(thresholds, {"correctness.exact": {"pass_rate": 1.0},
                                                     "errors": {"count": 0.0, "rate": 0.0}}, samples, max_errors=0))
    write_reports(result, directory)
    return directory


def failing_result_dir(directory: Path, **fields) -> Path:
    write_reports(make_result(**fields), directory)
    return directory


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    @property
    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, self.summary, *self.outputs.values()])


def parse_outputs(text: str) -> dict[str, str]:
    outputs = {}
    for match in re.finditer(r"^([\w-]+)<<(ghadelimiter_[0-9a-f]+)\n(.*?)\n\2\n", text, re.S | re.M):
        outputs[match.group(1)] = match.group(3)
    return outputs


@pytest.fixture
def actions(tmp_path, monkeypatch, capsys, github_api):
    """Run ``gatewise publish`` in-process inside a simulated Actions job for one pull request."""

    def run(*args: str, pr: dict | None, token: str | None = TOKEN, fork: bool = False,
            event: str = "pull_request", workspace: Path | None = None) -> Run:
        for key in [k for k in __import__("os").environ if k.startswith(("GITHUB_", "RUNNER_"))]:
            monkeypatch.delenv(key)
        job = tmp_path / f"job-{len(list(tmp_path.glob('job-*')))}"
        job.mkdir()
        payload: dict = {}
        if pr is not None:
            head_repo = {"full_name": "mallory/qa-service" if fork else REPO, "fork": fork}
            payload = {"number": pr["number"], "pull_request": {
                "number": pr["number"], "head": {"sha": pr["head_sha"], "ref": pr["head_ref"], "repo": head_repo}}}
        (job / "event.json").write_text(json.dumps(payload), encoding="utf-8")
        env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_NAME": event,
               "GITHUB_EVENT_PATH": str(job / "event.json"), "GITHUB_SHA": MERGE_SHA,
               "GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": github_api.base_url,
               "GITHUB_RUN_ID": "4242", "GITHUB_WORKSPACE": str(workspace or tmp_path),
               "GITHUB_OUTPUT": str(job / "output"), "GITHUB_STEP_SUMMARY": str(job / "summary")}
        if token is not None:
            env["GITHUB_TOKEN"] = token
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = cli.main(["publish", *args])
        captured = capsys.readouterr()
        read = lambda name: (job / name).read_text(encoding="utf-8") if (job / name).exists() else ""  # noqa: E731
        return Run(code, captured.out, captured.err, parse_outputs(read("output")), read("summary"))

    return run


def sticky_comments(api: GitHubAPI, pr: dict) -> list[dict]:
    return [c for c in api.comments(REPO, pr["number"]) if c["body"].startswith(MARKER_PREFIX)]


# -- the sticky comment --------------------------------------------------------------------------

def test_sticky_comment_is_created_then_edited_in_place(github_api, pull, actions, tmp_path):
    out = failing_result_dir(tmp_path / "run1")
    first = actions("--out", str(out), pr=pull)
    assert first.code == 0, first.stderr
    [comment] = sticky_comments(github_api, pull)
    assert comment["body"].startswith("<!-- gatewise:sticky:quality/gate.yaml -->\n")
    assert "gatewise gate failed" in comment["body"]
    assert f"[workflow run]({RUN_URL})" in comment["body"] and f"{RUN_URL}#artifacts" in comment["body"]

    out2 = passing_result_dir(tmp_path / "run2")
    second = actions("--out", str(out2), pr=pull)
    assert second.code == 0, second.stderr
    [edited] = sticky_comments(github_api, pull)
    assert edited["id"] == comment["id"]
    assert "gatewise gate passed" in edited["body"] and "gatewise gate failed" not in edited["body"]
    # other people's comments are left alone
    assert len(github_api.comments(REPO, pull["number"])) == 36


def test_each_config_has_its_own_sticky_comment(github_api, pull, actions, tmp_path):
    out = failing_result_dir(tmp_path / "run")
    assert actions("--out", str(out), pr=pull).code == 0
    assert actions("--out", str(out), "--config", "quality/other-gate.yaml", pr=pull).code == 0
    assert actions("--out", str(out), pr=pull).code == 0
    markers = sorted(c["body"].split("\n", 1)[0] for c in sticky_comments(github_api, pull))
    assert markers == ["<!-- gatewise:sticky:quality/gate.yaml -->",
                       "<!-- gatewise:sticky:quality/other-gate.yaml -->"]


def test_a_duplicate_left_by_racing_runs_is_removed(github_api, pull, actions, tmp_path):
    out = failing_result_dir(tmp_path / "run")
    assert actions("--out", str(out), pr=pull).code == 0
    [kept] = sticky_comments(github_api, pull)
    github_api.add_comment(REPO, pull["number"], kept["body"], login="github-actions[bot]")
    assert actions("--out", str(out), pr=pull).code == 0
    assert [c["id"] for c in sticky_comments(github_api, pull)] == [kept["id"]]


# -- the commit status ---------------------------------------------------------------------------

def test_status_is_set_on_the_pull_requests_head_commit(github_api, pull, actions, tmp_path):
    failed = actions("--out", str(failing_result_dir(tmp_path / "a")), pr=pull)
    assert failed.code == 0, failed.stderr
    assert MERGE_SHA not in github_api.repos[REPO].statuses
    status = github_api.latest_statuses(REPO, pull["head_sha"])["gatewise/qa-assistant"]
    assert status["state"] == "failure"
    assert status["target_url"] == RUN_URL
    assert status["description"].startswith("FAILED: ") and len(status["description"]) <= 140

    passed = actions("--out", str(passing_result_dir(tmp_path / "b")), pr=pull)
    assert passed.code == 0, passed.stderr
    assert github_api.latest_statuses(REPO, pull["head_sha"])["gatewise/qa-assistant"]["state"] == "success"


def test_no_comment_no_status_flags_post_nothing(github_api, pull, actions, tmp_path):
    run = actions("--out", str(failing_result_dir(tmp_path / "a")), "--no-comment", "--no-status", pr=pull)
    assert run.code == 0
    assert sticky_comments(github_api, pull) == [] and github_api.statuses(REPO, pull["head_sha"]) == []
    assert run.outputs["passed"] == "false"


# -- job summary, outputs and annotations ----------------------------------------------------------

def test_outputs_and_job_summary_are_written(pull, actions, tmp_path):
    out = failing_result_dir(tmp_path / "run")
    run = actions("--out", str(out), pr=pull)
    assert run.outputs == {"passed": "false", "exit-code": "1", "result-path": str(out / "gate-result.json"),
                           "summary-path": str(out / "summary.md"), "comment-url": run.outputs["comment-url"]}
    assert run.outputs["comment-url"].startswith(f"https://github.com/{REPO}/pull/{pull['number']}#issuecomment-")
    assert run.summary.startswith("## ❌ gatewise gate failed: qa-assistant")
    assert "### Worst failing rows" in run.summary


def test_failed_thresholds_are_annotated_at_their_config_line(degraded_gate, pull, actions, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(degraded_gate / "out", out)
    run = actions("--out", str(out), pr=pull, workspace=degraded_gate)
    assert run.code == 0, run.stderr
    lines = (degraded_gate / "gate.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip().startswith("correctness: { pass_rate"))
    errors = [text for text in run.stdout.splitlines() if text.startswith("::error ")]
    assert len(errors) == 1, errors
    assert re.fullmatch(rf"::error file=gate.yaml,line={line},title=gatewise%3A correctness.pass_rate failed::"
                        r"correctness.pass_rate = \d+\.\d%25, target >= 0.9, over \d+ rows", errors[0]), errors
    assert run.outputs["passed"] == "false" and run.outputs["exit-code"] == "1"


# -- pull requests from forks --------------------------------------------------------------------

@pytest.mark.parametrize("result", ["failing", "passing"])
def test_a_fork_pull_request_gets_no_comment_or_status_and_says_why(result, github_api, pull, actions, tmp_path):
    out = (failing_result_dir if result == "failing" else passing_result_dir)(tmp_path / "run")
    run = actions("--out", str(out), pr=pull, fork=True, token="ghs_read_only_token_xxxxxxxxxxxxxxxx")
    assert run.code == 0, run.stderr
    assert sticky_comments(github_api, pull) == []
    assert github_api.statuses(REPO, pull["head_sha"]) == []  # in particular, no green one
    assert "comes from a fork (mallory/qa-service)" in run.summary
    assert "::warning title=gatewise publish::This pull request comes from a fork" in run.stdout
    assert run.outputs["passed"] == ("false" if result == "failing" else "true")


# -- GitHub refusing ----------------------------------------------------------------------------

def test_a_wrong_token_is_exit_3_and_never_shown(github_api, pull, actions, tmp_path):
    wrong = "ghp_" + "WrongTokenValue" * 3
    run = actions("--out", str(failing_result_dir(tmp_path / "run")), pr=pull, token=wrong)
    assert run.code == 3
    assert "401" in run.stderr and REPO in run.stderr
    assert wrong not in run.everything and TOKEN not in run.everything
    assert sticky_comments(github_api, pull) == [] and github_api.statuses(REPO, pull["head_sha"]) == []
    # the verdict is still in the job summary and the outputs
    assert run.outputs["passed"] == "false" and "Could not post to GitHub" in run.summary


def test_a_missing_permission_is_named(github_api, pull, actions, tmp_path):
    run = actions("--out", str(failing_result_dir(tmp_path / "run")), pr=pull,
                  token="ghs_comments_only_token_xxxxxxxxxxxx")
    assert run.code == 3
    assert "statuses: write" in run.stderr and REPO in run.stderr
    assert len(sticky_comments(github_api, pull)) == 1  # what the token may do is still done
    assert github_api.statuses(REPO, pull["head_sha"]) == []


# -- what the comment may contain -----------------------------------------------------------------

def test_comment_keeps_html_mentions_and_huge_outputs_inert(github_api, pull, actions, tmp_path):
    evil = "<script>alert(1)</script> @octocat please review #12 " + "x" * 200_000
    samples = [_sample("evil", evil, question="<img src=x onerror=alert(1)> cc @acme/admins"), _sample("ok")]
    scores = [*_scores(samples[0], correct=False), *_scores(samples[1])]
    run = actions("--out", str(failing_result_dir(tmp_path / "run", samples=samples, scores=scores)), pr=pull)
    assert run.code == 0, run.stderr
    [comment] = sticky_comments(github_api, pull)
    body = comment["body"]
    assert len(body) <= GITHUB_COMMENT_LIMIT
    outside_code = re.sub(r"```.*?```", "", body, flags=re.S)
    assert "<script>" not in outside_code and "<img" not in outside_code
    assert "@octocat" not in outside_code and "@acme/admins" not in outside_code
    assert "output truncated" in body


def test_a_summary_too_long_for_a_comment_is_rerendered_to_fit(github_api, pull, actions, tmp_path):
    thresholds = tuple(Threshold(f"suite{i}.check_with_a_long_name_{i}", "pass_rate", ">=", 0.99, ">= 99%", 10 + i)
                       for i in range(1500))
    metrics = {t.metric: {"pass_rate": 0.5} for t in thresholds}
    samples = [_sample("q1", "Lyon")]
    scores = _scores(samples[0], correct=False)
    result = make_result(samples, scores, thresholds=thresholds,
                         metrics={**metrics, "errors": {"count": 0.0, "rate": 0.0}},
                         verdict=decide(thresholds, {**metrics, "errors": {"count": 0.0, "rate": 0.0}}, samples,
                                        max_errors=0))
    out = tmp_path / "run"
    write_reports(result, out)
    run = actions("--out", str(out), pr=pull)
    assert run.code == 0, run.stderr
    [comment] = sticky_comments(github_api, pull)
    assert len(comment["body"]) <= GITHUB_COMMENT_LIMIT
    assert "left out to fit" in comment["body"] and f"[workflow run]({RUN_URL})" in comment["body"]
    assert len(run.stdout.splitlines()) >= 1500  # one annotation per failed threshold


# -- a gate that could not run ---------------------------------------------------------------------

def test_a_gate_that_could_not_run_is_red_and_ignores_a_stale_result(github_api, pull, actions, tmp_path):
    directory = tmp_path / "gate"
    directory.mkdir()
    config = write_gate(directory, "http://127.0.0.1:9/v1", extra="model:\n  name: qa-assistant\n")
    out = passing_result_dir(directory / "out")  # an earlier run's green result, still on disk
    code = cli.main(["gate", "--config", str(config), "--out", str(out), "--quiet"])
    assert code == 3

    run = actions("--out", str(out), "--config", str(config), "--gate-exit-code", "3",
                  "--gate-error", "gatewise: error: cannot reach http://127.0.0.1:9/v1 <b>@ops</b>",
                  pr=pull, workspace=directory)
    assert run.code == 0, run.stderr
    [comment] = sticky_comments(github_api, pull)
    assert comment["body"].startswith("<!-- gatewise:sticky:gate.yaml -->\n## ❌ gatewise gate could not run")
    assert "This is not a pass" in comment["body"] and "cannot reach http://127.0.0.1:9/v1" in comment["body"]
    statuses = github_api.latest_statuses(REPO, pull["head_sha"])
    assert statuses["gatewise/qa-assistant"]["state"] == "error"
    assert "::error title=gatewise gate could not run::gate could not run (exit 3)" in run.stdout
    assert run.outputs["passed"] == "false" and run.outputs["exit-code"] == "3"
    assert run.outputs["result-path"] == ""
    assert "could not run" in Path(run.outputs["summary-path"]).read_text(encoding="utf-8")


def test_a_missing_result_is_exit_2_and_nothing_is_posted_or_written(github_api, pull, actions, tmp_path):
    run = actions("--out", str(tmp_path / "nothing-here"), pr=pull)
    assert run.code == 2
    assert "gate-result.json: not found" in run.stderr and "--gate-exit-code" in run.stderr
    assert sticky_comments(github_api, pull) == [] and github_api.statuses(REPO, pull["head_sha"]) == []
    assert run.outputs == {} and run.summary == ""


def test_a_result_that_disagrees_with_the_gate_exit_code_is_exit_2(github_api, pull, actions, tmp_path):
    run = actions("--out", str(passing_result_dir(tmp_path / "run")), "--gate-exit-code", "1", pr=pull)
    assert run.code == 2 and "stale" in run.stderr
    assert github_api.statuses(REPO, pull["head_sha"]) == []


def test_an_unknown_schema_is_exit_2(pull, actions, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "gate-result.json").write_text(json.dumps({"schema_version": "other/v9", "passed": True}))
    run = actions("--out", str(out), pr=pull)
    assert run.code == 2 and "schema_version" in run.stderr


# -- outside pull requests ----------------------------------------------------------------------

def test_a_push_run_writes_the_summary_and_posts_nothing(github_api, pull, actions, tmp_path):
    run = actions("--out", str(failing_result_dir(tmp_path / "run")), pr=None, event="push")
    assert run.code == 0, run.stderr
    assert run.summary.startswith("## ❌ gatewise gate failed") and "::warning" not in run.stdout
    assert github_api.statuses(REPO, pull["head_sha"]) == []


def test_no_token_says_so_and_posts_nothing(github_api, pull, actions, tmp_path):
    run = actions("--out", str(failing_result_dir(tmp_path / "run")), pr=pull, token=None)
    assert run.code == 0
    assert "no GitHub token (the environment variable GITHUB_TOKEN is unset or empty)" in run.summary
    assert sticky_comments(github_api, pull) == []


def test_answers_replayed_from_the_cache_read_back_with_no_attempts(tmp_path, capsys, answers):
    """A cached answer cost no call (attempts 0); publish must read that back, not one attempt."""
    from gatewise.publish._load import load_gate_run

    from .conftest import gate_cli_run

    with StandinServer(answers=answers) as server:
        config = write_gate(tmp_path, server.base_url)
        assert gate_cli_run(capsys, config, tmp_path / "first", "--cache")[0] == 0
        assert gate_cli_run(capsys, config, tmp_path / "again", "--cache")[0] == 0
    replayed = load_gate_run(tmp_path / "again").result.samples
    assert replayed and all(s.cached and s.attempts == 0 for s in replayed)
    assert all(s.attempts >= 1 for s in load_gate_run(tmp_path / "first").result.samples)
