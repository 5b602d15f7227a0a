"""Every manifest under integrations/ is valid for its kind (a JSON Schema check, no cluster), and
every ``gatewise`` command line in it parses with gatewise's own argument parser."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from ruamel.yaml import YAML

from gatewise.cli import build_parser
from gatewise.verify import EXIT_CODES

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = Path(__file__).parent / "data" / "schemas"
MANIFESTS = sorted((REPO / "integrations").rglob("*.yaml"))
SCHEMA_OF = {"batch/v1": "batch-v1-job.json", "argoproj.io/v1alpha1": "argoproj-v1alpha1.json"}


def _registry() -> Registry:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMAS.glob("*.json")]
    return Registry().with_resources(resources)


def _load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _gatewise_commands(document) -> list[str]:
    """Every ``gatewise ...`` line inside the document's strings (shell scripts included)."""
    found: list[str] = []
    if isinstance(document, dict):
        for value in document.values():
            found += _gatewise_commands(value)
    elif isinstance(document, list):
        for value in document:
            found += _gatewise_commands(value)
    elif isinstance(document, str):
        found += [line.strip() for line in document.splitlines() if re.match(r"^\s*gatewise\s", line)]
    return found


def test_there_are_integration_manifests():
    assert {p.relative_to(REPO).as_posix() for p in MANIFESTS} >= {
        "integrations/argocd/verify-postsync-job.yaml", "integrations/argo-rollouts/analysistemplate.yaml"}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_each_manifest_matches_the_schema_of_its_kind(path):
    document = _load(path)
    schema = json.loads((SCHEMAS / SCHEMA_OF[document["apiVersion"]]).read_text())
    jsonschema.Draft202012Validator(schema, registry=_registry()).validate(document)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_each_gatewise_command_line_parses(path):
    parser = build_parser()
    for line in _gatewise_commands(_load(path)):
        args = parser.parse_args(shlex.split(line)[1:])  # exits (fails the test) on an unknown flag
        assert args.command == "verify"


def test_the_jobs_re_check_exactly_on_the_wait_exit_code():
    for path in MANIFESTS:
        text = path.read_text(encoding="utf-8")
        if "gatewise verify" in text:
            assert f'[ "$code" -eq {EXIT_CODES["wait"]} ] || exit "$code"' in text, path


def test_the_postsync_job_is_an_argocd_hook_and_the_rollout_names_the_template():
    job = _load(REPO / "integrations/argocd/verify-postsync-job.yaml")
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostSync"
    template = _load(REPO / "integrations/argo-rollouts/analysistemplate.yaml")
    rollout = _load(REPO / "integrations/argo-rollouts/rollout-canary-step.yaml")
    names = [t["templateName"] for step in rollout["spec"]["strategy"]["canary"]["steps"] if "analysis" in step
             for t in step["analysis"]["templates"]]
    assert names == [template["metadata"]["name"]]


def test_a_manifest_with_a_typo_fails_the_schema():
    job = _load(REPO / "integrations/argocd/verify-postsync-job.yaml")
    job["spec"]["template"]["spec"]["containers"][0]["volumeMount"] = []  # not volumeMounts
    schema = json.loads((SCHEMAS / "batch-v1-job.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema, registry=_registry()).validate(job)
