"""``gatewise promote``: a real gate result, a real ``mlflow server``, and PyGithub against the
in-memory GitHub API (``tests/github_api.py``). Tests assert on the state both servers end in.

Each test uses its own model name and manifests repository, so they share the servers safely.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from gatewise import cli
from gatewise.registry import connect
from gatewise.standin import StandinServer

from .conftest import example_rows, write_gate
from .github_api import GitHubAPI
from .mlflow_server import mlflow_server  # noqa: F401  (session fixture)

TOKEN = "ghs_" + "Promote0Token" * 3
READ_ONLY_TOKEN = "ghs_read_only_promote_token_xxxxxxxx"
MANIFEST_PATH = "kserve/qa/inferenceservice.yaml"
MANIFEST = (Path(__file__).parent / "data" / "manifests" / "inferenceservice.yaml").read_text(encoding="utf-8")
OLD_URI = "hf://org/qa-model@3f9c2e1"
NEW_URI = "hf://org/qa-model@9a8b7c6"
GIT_SHA = "a1" * 20


@pytest.fixture(scope="module")
def github_api():
    with GitHubAPI() as api:
        api.add_token(TOKEN)
        api.add_token(READ_ONLY_TOKEN, set())
        yield api


@pytest.fixture(autouse=True)
def _environment(monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    monkeypatch.setenv("GATEWISE_MANIFESTS_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_SHA", GIT_SHA)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/qa-service")
    for name in ("GITHUB_REF", "GITHUB_EVENT_PATH", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def manifests_repo(github_api) -> str:
    name = f"acme/ai-manifests-{uuid.uuid4().hex[:8]}"
    github_api.add_repo(name, files={MANIFEST_PATH: MANIFEST, "README.md": "# manifests\n"})
    return name


@pytest.fixture
def model_name() -> str:
    return f"qa-{uuid.uuid4().hex[:8]}"


def gate_run(directory: Path, base_url: str, *, mlflow_url: str, api_url: str, repo: str, model: str,
             source: str = NEW_URI, promote_extra: str = "") -> tuple[Path, Path]:
    """A gate config with a ``promote:`` section, and the real gate run over it: (config, gate-result.json)."""
    directory.mkdir(parents=True, exist_ok=True)
    extra = f"""model:
  name: {model}
  source: {source}
promote:
  mlflow: {{ tracking_uri: "{mlflow_url}", experiment: gatewise-tests, alias: candidate }}
  manifests:
    repo: {repo}
    base: main
    path: {MANIFEST_PATH}
    set: {{ "spec.predictor.model.storageUri": "{{model.source}}" }}
    labels: [gatewise]
    api_url: {api_url}
{promote_extra}"""
    config = write_gate(directory, base_url, rows=example_rows(8), extra=extra)
    out = directory / "out"
    assert cli.main(["gate", "--config", str(config), "--out", str(out), "--quiet"]) in (0, 1)
    return config, out / "gate-result.json"


@pytest.fixture
def gated(tmp_path, standin, mlflow_server, github_api, manifests_repo, model_name):  # noqa: F811
    def make(name: str = "gate", **overrides) -> tuple[Path, Path]:
        settings = {"mlflow_url": mlflow_server.url, "api_url": github_api.base_url, "repo": manifests_repo,
                    "model": model_name, **overrides}
        return gate_run(tmp_path / name, standin.base_url, **settings)
    return make


def promote(config: Path, result: Path, *extra: str) -> int:
    return cli.main(["promote", "--config", str(config), "--result", str(result), *extra])


def versions(mlflow_url: str, model: str) -> list[str]:
    client = connect(mlflow_url)
    return sorted(v.version for v in client.search_model_versions(f"name = '{model}'"))


def pulls(api: GitHubAPI, repo: str) -> list[dict]:
    with api.lock:
        return [dict(p) for p in api.repos[repo].pulls.values()]


def branches(api: GitHubAPI, repo: str) -> list[str]:
    with api.lock:
        return sorted(api.repos[repo].refs)


def pull_url(pull: dict) -> str:
    return f"/pull/{pull['number']}"


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new) if a != b]


def test_promotion_registers_the_version_and_opens_one_pull_request(gated, github_api, manifests_repo, model_name,
                                                                    mlflow_server, capsys):  # noqa: F811
    config, result = gated()
    assert promote(config, result) == 0

    client = connect(mlflow_server.url)
    version = client.get_model_version_by_alias(model_name, "candidate")
    assert (version.version, version.source) == ("1", NEW_URI)
    run = client.get_run(version.run_id)
    assert run.data.tags["gatewise.git_sha"] == GIT_SHA

    [pull] = pulls(github_api, manifests_repo)
    branch = f"gatewise/{model_name}-v1"
    assert (pull["state"], pull["head_ref"], pull["base_ref"], pull["labels"]) == ("open", branch, "main",
                                                                                   ["gatewise"])
    assert "PASSED" in pull["body"] and version.run_id in pull["body"] and "version 1" in pull["body"]
    assert f"acme/qa-service@{GIT_SHA}" in pull["body"] and "| `correctness.pass_rate` |" in pull["body"]
    edited = github_api.file(manifests_repo, MANIFEST_PATH, branch)
    assert changed_lines(MANIFEST, edited) == [
        (f'      storageUri: "{OLD_URI}"  # pinned revision', f'      storageUri: "{NEW_URI}"  # pinned revision')]
    assert github_api.file(manifests_repo, MANIFEST_PATH, "main") == MANIFEST
    out = capsys.readouterr().out
    assert "version 1 registered" in out and pull_url(pull) in out


def test_running_the_same_promotion_again_changes_nothing(gated, github_api, manifests_repo, model_name,
                                                          mlflow_server, capsys):  # noqa: F811
    config, result = gated()
    assert promote(config, result) == 0
    refs = dict(github_api.repos[manifests_repo].refs)
    [first] = pulls(github_api, manifests_repo)

    assert promote(config, result) == 0
    assert versions(mlflow_server.url, model_name) == ["1"]
    assert github_api.repos[manifests_repo].refs == refs  # no new commit, no new branch
    [again] = pulls(github_api, manifests_repo)
    assert (again["number"], again["state"], again["body"]) == (first["number"], "open", first["body"])
    assert "already registered" in capsys.readouterr().out


def test_a_newer_version_supersedes_the_open_pull_request(gated, github_api, manifests_repo, model_name,
                                                          mlflow_server):  # noqa: F811
    first = gated("first")
    assert promote(*first) == 0
    assert promote(*gated("second", source="hf://org/qa-model@0d1e2f3")) == 0
    assert promote(*first) == 0  # replaying the older promotion brings nothing back

    assert versions(mlflow_server.url, model_name) == ["1", "2"]
    by_branch = {p["head_ref"]: p for p in pulls(github_api, manifests_repo)}
    old, new = by_branch[f"gatewise/{model_name}-v1"], by_branch[f"gatewise/{model_name}-v2"]
    assert (old["state"], new["state"]) == ("closed", "open")
    [comment] = github_api.comments(manifests_repo, old["number"])
    assert f"Superseded by #{new['number']}" in comment["body"]


def test_a_manifest_that_already_pins_the_source_gets_no_pull_request(gated, github_api, manifests_repo,
                                                                       mlflow_server, model_name, capsys):  # noqa: F811
    config, result = gated(source=OLD_URI)
    assert promote(config, result) == 0
    assert pulls(github_api, manifests_repo) == [] and branches(github_api, manifests_repo) == ["heads/main"]
    assert versions(mlflow_server.url, model_name) == ["1"]
    assert "already pins" in capsys.readouterr().out


def test_dry_run_prints_the_diff_and_touches_nothing(gated, github_api, manifests_repo, mlflow_server,
                                                     model_name, capsys):  # noqa: F811
    config, result = gated()
    assert promote(config, result, "--dry-run") == 0
    out = capsys.readouterr().out
    assert f'-      storageUri: "{OLD_URI}"' in out and f'+      storageUri: "{NEW_URI}"' in out
    assert "dry run" in out
    assert versions(mlflow_server.url, model_name) == []
    assert pulls(github_api, manifests_repo) == [] and branches(github_api, manifests_repo) == ["heads/main"]


def test_a_failed_gate_result_is_refused(tmp_path, answers, mlflow_server, github_api, manifests_repo,
                                         model_name, capsys):  # noqa: F811
    with StandinServer(answers=answers, quality=0.3, seed=3) as weak:
        config, result = gate_run(tmp_path, weak.base_url, mlflow_url=mlflow_server.url,
                                  api_url=github_api.base_url, repo=manifests_repo, model=model_name)
    assert promote(config, result) == 2
    assert "did not pass" in capsys.readouterr().err
    assert versions(mlflow_server.url, model_name) == []
    assert pulls(github_api, manifests_repo) == [] and branches(github_api, manifests_repo) == ["heads/main"]


@pytest.mark.parametrize("changed", ["config", "dataset"])
def test_a_stale_gate_result_is_refused(changed, gated, github_api, manifests_repo, mlflow_server, model_name,
                                        capsys):  # noqa: F811
    config, result = gated()
    touched = config if changed == "config" else config.parent / "data.jsonl"
    touched.write_bytes(touched.read_bytes() + (b"# edited\n" if changed == "config" else b"\n"))
    assert promote(config, result) == 2
    err = capsys.readouterr().err
    assert "stale" in err and f"produced from a {changed}" in err
    assert versions(mlflow_server.url, model_name) == []
    assert pulls(github_api, manifests_repo) == []


def test_a_missing_token_is_exit_2_naming_the_variable(gated, github_api, manifests_repo, mlflow_server,
                                                       model_name, monkeypatch, capsys):  # noqa: F811
    config, result = gated()
    monkeypatch.delenv("GATEWISE_MANIFESTS_TOKEN")
    assert promote(config, result) == 2
    assert "GATEWISE_MANIFESTS_TOKEN" in capsys.readouterr().err
    assert versions(mlflow_server.url, model_name) == []


def test_a_token_without_write_permission_is_exit_3_naming_repo_and_permission(gated, github_api, manifests_repo,
                                                                               monkeypatch, capsys):
    config, result = gated()
    monkeypatch.setenv("GATEWISE_MANIFESTS_TOKEN", READ_ONLY_TOKEN)
    assert promote(config, result) == 3
    err = capsys.readouterr().err
    assert manifests_repo in err and "contents: write" in err and READ_ONLY_TOKEN not in err
    assert pulls(github_api, manifests_repo) == []


def test_promote_without_model_source_names_the_key(tmp_path, standin, capsys):
    config = write_gate(tmp_path, standin.base_url, rows=example_rows(2), extra="""model:
  name: qa
promote:
  manifests: { repo: acme/m, path: a.yaml, set: { a: "{model.source}" } }
""")
    assert promote(config, tmp_path / "out" / "gate-result.json") == 2
    assert "[model.source]" in capsys.readouterr().err


def test_an_unknown_promote_key_names_file_line_and_key(tmp_path, standin, capsys):
    config = write_gate(tmp_path, standin.base_url, rows=example_rows(2), extra="""promote:
  manifests:
    repo: acme/m
    path: a.yaml
    set: { a: "{model.source}" }
    lables: [gatewise]
""")
    assert cli.main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "[promote.manifests.lables]" in err and "unknown key" in err and "gate.yaml:" in err


# -- without --result, promote runs the gate first ------------------------------------------------------

def test_promote_without_result_runs_the_gate_then_promotes(gated, github_api, manifests_repo, model_name,
                                                            mlflow_server, capsys):  # noqa: F811
    config, _ = gated()
    out = config.parent / "promote-out"
    assert cli.main(["promote", "--config", str(config), "--out", str(out)]) == 0
    assert (out / "gate-result.json").is_file() and (out / "summary.md").is_file()
    assert versions(mlflow_server.url, model_name) == ["1"]
    [pull] = pulls(github_api, manifests_repo)
    assert NEW_URI in github_api.file(manifests_repo, MANIFEST_PATH, pull["head_ref"])
    output = capsys.readouterr().out
    assert "PASSED" in output and "version 1 registered" in output


def test_promote_without_result_and_a_failing_gate_exits_1_and_promotes_nothing(
        tmp_path, answers, mlflow_server, github_api, manifests_repo, model_name, capsys):  # noqa: F811
    with StandinServer(answers=answers, quality=0.3, seed=3) as weak:
        config, _ = gate_run(tmp_path, weak.base_url, mlflow_url=mlflow_server.url, api_url=github_api.base_url,
                             repo=manifests_repo, model=model_name)
        assert cli.main(["promote", "--config", str(config), "--out", str(tmp_path / "again")]) == 1
    assert "nothing promoted" in capsys.readouterr().out
    assert versions(mlflow_server.url, model_name) == []
    assert pulls(github_api, manifests_repo) == [] and branches(github_api, manifests_repo) == ["heads/main"]


def test_promote_without_result_checks_the_token_before_running_the_gate(gated, monkeypatch, capsys):
    config, _ = gated()
    monkeypatch.delenv("GATEWISE_MANIFESTS_TOKEN")
    out = config.parent / "never"
    assert cli.main(["promote", "--config", str(config), "--out", str(out)]) == 2
    assert "GATEWISE_MANIFESTS_TOKEN" in capsys.readouterr().err
    assert not out.exists()  # the gate never ran


# -- several manifest files, one commit -----------------------------------------------------------------

VALUES_PATH = "helm/qa/values.yaml"
VALUES = "# Helm values for the QA assistant\nmodel:\n  revision: 3f9c2e1  # pinned\n  version: \"0\"\nreplicas: 2\n"


def test_several_manifest_files_are_edited_in_one_commit(tmp_path, standin, mlflow_server, github_api, model_name,
                                                          capsys):  # noqa: F811
    repo = f"acme/ai-manifests-{uuid.uuid4().hex[:8]}"
    github_api.add_repo(repo, files={MANIFEST_PATH: MANIFEST, VALUES_PATH: VALUES})
    main_before = github_api.repos[repo].refs["heads/main"]
    config = write_gate(tmp_path, standin.base_url, rows=example_rows(8), extra=f"""model:
  name: {model_name}
  source: {NEW_URI}
promote:
  mlflow: {{ tracking_uri: "{mlflow_server.url}", experiment: gatewise-tests }}
  manifests:
    repo: {repo}
    api_url: {github_api.base_url}
    files:
      - path: {MANIFEST_PATH}
        set: {{ "spec.predictor.model.storageUri": "{{model.source}}" }}
      - path: {VALUES_PATH}
        set: {{ model.revision: "9a8b7c6", model.version: "{{registry.version}}" }}
""")
    assert cli.main(["promote", "--config", str(config), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    branch = f"gatewise/{model_name}-v1"
    head = github_api.commit_of(repo, branch)
    assert head["parents"] == [main_before]  # one commit on top of main holds both files
    assert changed_lines(MANIFEST, github_api.file(repo, MANIFEST_PATH, branch)) == [
        (f'      storageUri: "{OLD_URI}"  # pinned revision', f'      storageUri: "{NEW_URI}"  # pinned revision')]
    assert changed_lines(VALUES, github_api.file(repo, VALUES_PATH, branch)) == [
        ("  revision: 3f9c2e1  # pinned", "  revision: 9a8b7c6  # pinned"), ('  version: "0"', '  version: "1"')]
    assert head["message"].startswith(f"gatewise: promote {model_name} v1")
    [pull] = pulls(github_api, repo)
    assert pull["head_ref"] == branch and pull["state"] == "open"
    assert "manifests PR opened" in capsys.readouterr().out

    refs = dict(github_api.repos[repo].refs)
    assert promote(config, tmp_path / "out" / "gate-result.json") == 0  # again: no second commit
    assert github_api.repos[repo].refs == refs and len(pulls(github_api, repo)) == 1


def test_a_missing_second_file_is_an_error_before_anything_is_written(tmp_path, standin, mlflow_server, github_api,
                                                                       model_name, capsys):  # noqa: F811
    repo = f"acme/ai-manifests-{uuid.uuid4().hex[:8]}"
    github_api.add_repo(repo, files={MANIFEST_PATH: MANIFEST})
    config = write_gate(tmp_path, standin.base_url, rows=example_rows(8), extra=f"""model:
  name: {model_name}
  source: {NEW_URI}
promote:
  mlflow: {{ tracking_uri: "{mlflow_server.url}", experiment: gatewise-tests }}
  manifests:
    repo: {repo}
    api_url: {github_api.base_url}
    files:
      - {{ path: {MANIFEST_PATH}, set: {{ "spec.predictor.model.storageUri": "{{model.source}}" }} }}
      - {{ path: {VALUES_PATH}, set: {{ model.revision: "9a8b7c6" }} }}
""")
    assert cli.main(["promote", "--config", str(config), "--out", str(tmp_path / "out"), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert VALUES_PATH in err and repo in err
    assert versions(mlflow_server.url, model_name) == []
    assert pulls(github_api, repo) == [] and branches(github_api, repo) == ["heads/main"]


@pytest.mark.parametrize("manifests, key", [
    ("{ repo: acme/m, path: a.yaml, set: { a: x }, files: [{ path: b.yaml, set: { b: y } }] }",
     "promote.manifests.files"),
    ("{ repo: acme/m, path: a.yaml }", "promote.manifests"),
    ("{ repo: acme/m, files: [{ path: a.yaml, set: { a: x } }, { path: a.yaml, set: { b: y } }] }",
     "promote.manifests.files[1].path"),
    ("{ repo: acme/m, files: [{ path: /etc/a.yaml, set: { a: x } }] }", "promote.manifests.files[0].path"),
    ("{ repo: acme/m, path: a.yaml, set: { a: x } }\n  canary: { traffic_percent: 100 }",
     "promote.canary.traffic_percent"),
])
def test_bad_manifests_and_canary_settings_name_file_line_and_key(tmp_path, standin, manifests, key, capsys):
    config = write_gate(tmp_path, standin.base_url, rows=example_rows(2),
                        extra=f"promote:\n  manifests: {manifests}\n")
    assert cli.main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"[{key}]" in err and "gate.yaml:" in err
