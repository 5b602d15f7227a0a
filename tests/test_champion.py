"""Canary, ``promote --complete`` and ``rollback``: the champion alias moves with a manifests PR.

A real ``mlflow server`` and PyGithub against the in-memory GitHub API; merging a PR is done by
moving ``main`` to the PR's head, as GitHub's merge button would (fast-forward). Tests assert on
the aliases, the alias history and the files on each branch.
"""

from __future__ import annotations

import pytest

from gatewise import cli
from gatewise.registry import alias_history, connect

from .github_api import GitHubAPI
from .mlflow_server import free_port, mlflow_server  # noqa: F401  (session fixture)
from .test_promote import (MANIFEST, MANIFEST_PATH, NEW_URI, OLD_URI, _environment, changed_lines,  # noqa: F401
                           gate_run, github_api, manifests_repo, model_name, promote, pulls)

CANARY = "  canary: { traffic_percent: 10 }\n"
SECOND_URI = "hf://org/qa-model@0d1e2f3"


@pytest.fixture
def canary_gated(tmp_path, standin, mlflow_server, github_api, manifests_repo, model_name):  # noqa: F811
    def make(name: str = "gate", source: str = NEW_URI, mlflow_url: str | None = None):
        return gate_run(tmp_path / name, standin.base_url, mlflow_url=mlflow_url or mlflow_server.url,
                        api_url=github_api.base_url, repo=manifests_repo, model=model_name, source=source,
                        promote_extra=CANARY)
    return make


def merge(api: GitHubAPI, repo: str, branch: str) -> None:
    with api.lock:
        state = api.repos[repo]
        state.refs["heads/main"] = state.refs[f"heads/{branch}"]
        for pull in state.pulls.values():
            if pull["head_ref"] == branch:
                pull["state"] = "closed"


def aliases(mlflow_url: str, model: str) -> dict[str, str]:
    return dict(connect(mlflow_url).get_registered_model(model).aliases)


def complete(config) -> int:
    return cli.main(["promote", "--complete", "--config", str(config)])


def rollback(config, *extra: str) -> int:
    return cli.main(["rollback", "--config", str(config), *extra])


def test_a_canary_promotion_sets_the_traffic_share_and_completing_moves_all_traffic_and_champion(
        canary_gated, github_api, manifests_repo, model_name, mlflow_server, capsys):  # noqa: F811
    config, result = canary_gated()
    assert promote(config, result) == 0
    branch = f"gatewise/{model_name}-v1"
    edited = github_api.file(manifests_repo, MANIFEST_PATH, branch)
    assert edited == MANIFEST.replace("  predictor:\n", "  predictor:\n    canaryTrafficPercent: 10\n").replace(
        OLD_URI, NEW_URI)
    [pull] = pulls(github_api, manifests_repo)
    assert "canary: 10%" in pull["body"]
    assert aliases(mlflow_server.url, model_name) == {"candidate": "1"}
    merge(github_api, manifests_repo, branch)

    assert complete(config) == 0
    done = f"gatewise/{model_name}-v1-complete"
    completed = github_api.file(manifests_repo, MANIFEST_PATH, done)
    assert changed_lines(edited, completed) == [("    canaryTrafficPercent: 10", "    canaryTrafficPercent: 100")]
    assert aliases(mlflow_server.url, model_name) == {"candidate": "1", "champion": "1"}
    assert "moved from nowhere to version 1" in capsys.readouterr().out
    merge(github_api, manifests_repo, done)

    refs = dict(github_api.repos[manifests_repo].refs)
    assert complete(config) == 0  # completing twice changes nothing, and says so
    assert "already done" in capsys.readouterr().out
    assert github_api.repos[manifests_repo].refs == refs
    assert aliases(mlflow_server.url, model_name) == {"candidate": "1", "champion": "1"}
    assert [p["state"] for p in pulls(github_api, manifests_repo)] == ["closed", "closed"]


def test_completing_before_any_promotion_is_bad_input(canary_gated, github_api, manifests_repo, capsys):
    config, result = canary_gated()
    assert complete(config) == 2
    assert "run `gatewise promote` first" in capsys.readouterr().err
    assert cli.main(["promote", "--complete", "--config", str(config), "--result", str(result)]) == 2
    assert "--complete takes no --result" in capsys.readouterr().err
    assert pulls(github_api, manifests_repo) == []


def test_rollback_moves_champion_back_and_pins_the_previous_source(
        canary_gated, github_api, manifests_repo, model_name, mlflow_server, capsys):  # noqa: F811
    first = canary_gated("first")
    assert promote(*first) == 0
    merge(github_api, manifests_repo, f"gatewise/{model_name}-v1")
    assert complete(first[0]) == 0
    merge(github_api, manifests_repo, f"gatewise/{model_name}-v1-complete")
    second = canary_gated("second", source=SECOND_URI)
    assert promote(*second) == 0
    merge(github_api, manifests_repo, f"gatewise/{model_name}-v2")
    assert complete(second[0]) == 0
    merge(github_api, manifests_repo, f"gatewise/{model_name}-v2-complete")
    on_main = github_api.file(manifests_repo, MANIFEST_PATH, "main")
    assert SECOND_URI in on_main and "canaryTrafficPercent: 100" in on_main
    capsys.readouterr()

    refs = dict(github_api.repos[manifests_repo].refs)
    assert rollback(second[0], "--dry-run") == 0  # shows the diff, changes nothing
    out = capsys.readouterr().out
    assert f'+      storageUri: "{NEW_URI}"' in out and "would move from 2 to 1" in out
    assert github_api.repos[manifests_repo].refs == refs and aliases(mlflow_server.url, model_name)["champion"] == "2"

    assert rollback(second[0]) == 0
    assert aliases(mlflow_server.url, model_name) == {"candidate": "2", "champion": "1"}
    assert alias_history(connect(mlflow_server.url), model_name, "champion") == ["1", "2", "1"]
    branch = f"gatewise/{model_name}-v1-rollback"
    assert changed_lines(on_main, github_api.file(manifests_repo, MANIFEST_PATH, branch)) == [
        (f'      storageUri: "{SECOND_URI}"  # pinned revision', f'      storageUri: "{NEW_URI}"  # pinned revision')]
    [pull] = [p for p in pulls(github_api, manifests_repo) if p["head_ref"] == branch]
    assert pull["state"] == "open" and "roll back" in pull["title"] and "from version 2 to version 1" in pull["body"]
    out = capsys.readouterr().out
    assert "moved from 2 to version 1" in out and f"/pull/{pull['number']}" in out

    refs = dict(github_api.repos[manifests_repo].refs)
    assert rollback(second[0], "--to", "1") == 0  # the same rollback again: nothing new
    assert github_api.repos[manifests_repo].refs == refs
    assert aliases(mlflow_server.url, model_name)["champion"] == "1"


def test_rollback_to_an_unknown_version_is_bad_input_and_changes_nothing(
        canary_gated, github_api, manifests_repo, model_name, mlflow_server, capsys):  # noqa: F811
    config, result = canary_gated()
    assert promote(config, result) == 0
    assert complete(config) == 0
    refs = dict(github_api.repos[manifests_repo].refs)
    assert rollback(config, "--to", "7") == 2
    assert f"{model_name!r} has no version 7" in capsys.readouterr().err
    assert rollback(config) == 2  # one champion so far: no history to go back to
    assert "no earlier 'champion'" in capsys.readouterr().err
    assert github_api.repos[manifests_repo].refs == refs
    assert aliases(mlflow_server.url, model_name) == {"candidate": "1", "champion": "1"}


def test_rollback_with_mlflow_down_is_an_infrastructure_error(canary_gated, github_api, manifests_repo,
                                                              monkeypatch, capsys):
    config, _ = canary_gated(mlflow_url=f"http://127.0.0.1:{free_port()}")
    assert rollback(config, "--to", "1") == 3
    assert "unreachable" in capsys.readouterr().err
    assert pulls(github_api, manifests_repo) == []


def test_rollback_with_github_down_is_an_infrastructure_error_and_leaves_champion(
        canary_gated, github_api, manifests_repo, model_name, mlflow_server, monkeypatch, capsys):  # noqa: F811
    first = canary_gated("first")
    assert promote(*first) == 0 and complete(first[0]) == 0
    second = canary_gated("second", source=SECOND_URI)
    assert promote(*second) == 0 and complete(second[0]) == 0
    monkeypatch.setenv("GATEWISE_MANIFESTS_TOKEN", "ghs_revoked_token_" + "x" * 20)
    assert rollback(second[0]) == 3
    assert aliases(mlflow_server.url, model_name)["champion"] == "2"  # the PR comes first, then the alias
