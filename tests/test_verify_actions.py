"""What ``gatewise verify`` does about its decision: the completion or rollback PR through the
promotion code (real ``mlflow server``, PyGithub against the in-memory GitHub API), the decision
recorded on the candidate version, and re-runs that change nothing and exit the same way."""

from __future__ import annotations

from gatewise import cli
from gatewise.config import load_config
from gatewise.forge import github_client
from gatewise.registry import connect
from gatewise.standin import Faults, StandinServer
from gatewise.verify import summary_lines, verify

from .mlflow_server import mlflow_server  # noqa: F401  (session fixture)
from .test_champion import CANARY, SECOND_URI, aliases, complete, merge
from .test_promote import (MANIFEST_PATH, NEW_URI, _environment, gate_run, github_api,  # noqa: F401
                           manifests_repo, model_name, promote, pulls)
from .verify_support import send_traffic


def verify_section(canary: StandinServer, champion: StandinServer) -> str:
    return f"""verify:
  metrics:
    scrape: {{ canary: "{canary.root_url}/metrics", champion: "{champion.root_url}/metrics", window_s: 1 }}
  min_requests: 50
  checks:
    latency_p95: {{ max_ratio: 2 }}  # about actions, not sensitivity
    error_rate: {{ max_increase: 0.02 }}
"""


def verify_with_traffic(config, out, canary: StandinServer, champion: StandinServer):
    def window(seconds: float) -> None:  # the window's traffic, sent between the two scrapes
        send_traffic(canary.base_url, 100)
        send_traffic(champion.base_url, 100)

    return verify(load_config(config), out_dir=out, github_client_factory=github_client, sleep=window)


def test_a_good_canary_is_completed_with_a_pr_and_a_rerun_changes_nothing(
        tmp_path, standin, answers, mlflow_server, github_api, manifests_repo, model_name, capsys,  # noqa: F811
        monkeypatch):
    with StandinServer(answers=answers, faults=Faults(latency_ms=30, jitter_ms=5, seed=1)) as champion, \
            StandinServer(answers=answers, faults=Faults(latency_ms=30, jitter_ms=5, seed=2)) as canary:
        config, result = gate_run(tmp_path / "gate", standin.base_url, mlflow_url=mlflow_server.url,
                                  api_url=github_api.base_url, repo=manifests_repo, model=model_name,
                                  promote_extra=CANARY + verify_section(canary, champion))
        assert promote(config, result) == 0
        merge(github_api, manifests_repo, f"gatewise/{model_name}-v1")

        decision = verify_with_traffic(config, tmp_path / "out", canary, champion)
    assert decision.outcome == "complete" and decision.exit_code == 0, summary_lines(decision)
    assert aliases(mlflow_server.url, model_name) == {"candidate": "1", "champion": "1"}
    assert connect(mlflow_server.url).get_model_version(model_name, "1").tags["gatewise.verify"] == "complete"
    done = f"gatewise/{model_name}-v1-complete"
    assert "canaryTrafficPercent: 100" in github_api.file(manifests_repo, MANIFEST_PATH, done)
    [pull] = [p for p in pulls(github_api, manifests_repo) if p["head_ref"] == done]
    assert pull["state"] == "open"
    url = f"https://github.com/{manifests_repo}/pull/{pull['number']}"
    assert decision.pr_url == url

    refs = dict(github_api.repos[manifests_repo].refs)
    # the servers are gone: a re-run re-applies the recorded decision without measuring anything
    outputs = tmp_path / "github-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    assert cli.main(["verify", "--config", str(config), "--out", str(tmp_path / "again")]) == 0
    out = capsys.readouterr().out
    assert "decided by an earlier run: complete" in out and "up to date" in out
    assert github_api.repos[manifests_repo].refs == refs
    # the action's manifests-pr-url output names the (up to date) completion PR
    lines = outputs.read_text().splitlines()
    [at] = [i for i, line in enumerate(lines) if line.startswith("manifests-pr-url<<")]
    assert lines[at + 1] == url


def test_a_bad_canary_is_rolled_back_to_the_champion_and_marked(
        tmp_path, standin, answers, mlflow_server, github_api, manifests_repo, model_name, capsys,  # noqa: F811
        monkeypatch):
    with StandinServer(answers=answers, faults=Faults(latency_ms=30, jitter_ms=5, seed=1)) as champion, \
            StandinServer(answers=answers, faults=Faults(latency_ms=30, jitter_ms=5, error_rate=0.3, seed=2)) as canary:
        section = CANARY + verify_section(canary, champion)
        first = gate_run(tmp_path / "first", standin.base_url, mlflow_url=mlflow_server.url,
                         api_url=github_api.base_url, repo=manifests_repo, model=model_name, promote_extra=section)
        assert promote(*first) == 0
        merge(github_api, manifests_repo, f"gatewise/{model_name}-v1")
        assert complete(first[0]) == 0
        merge(github_api, manifests_repo, f"gatewise/{model_name}-v1-complete")
        second = gate_run(tmp_path / "second", standin.base_url, mlflow_url=mlflow_server.url,
                          api_url=github_api.base_url, repo=manifests_repo, model=model_name, source=SECOND_URI,
                          promote_extra=section)
        assert promote(*second) == 0
        merge(github_api, manifests_repo, f"gatewise/{model_name}-v2")
        on_main = github_api.file(manifests_repo, MANIFEST_PATH, "main")
        assert SECOND_URI in on_main and "canaryTrafficPercent: 10" in on_main

        decision = verify_with_traffic(second[0], tmp_path / "out", canary, champion)
    assert decision.outcome == "rollback" and decision.exit_code == 1, summary_lines(decision)
    assert aliases(mlflow_server.url, model_name) == {"candidate": "2", "champion": "1"}
    assert connect(mlflow_server.url).get_model_version(model_name, "2").tags["gatewise.verify"] == "rollback"
    branch = f"gatewise/{model_name}-v1-rollback"
    rolled = github_api.file(manifests_repo, MANIFEST_PATH, branch)
    assert NEW_URI in rolled and SECOND_URI not in rolled and "canaryTrafficPercent: 100" in rolled

    refs = dict(github_api.repos[manifests_repo].refs)
    assert cli.main(["verify", "--config", str(second[0]), "--out", str(tmp_path / "again")]) == 1
    assert "decided by an earlier run: rollback" in capsys.readouterr().out
    assert github_api.repos[manifests_repo].refs == refs
