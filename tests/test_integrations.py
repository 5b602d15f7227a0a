"""Every manifest under integrations/ is valid for its kind (a JSON Schema check, no cluster), and
every ``gatewise`` command line in it parses with gatewise's own argument parser.

Argo Workflows' kinds are checked against Argo's own published JSON schema (api/jsonschema/schema.json
of argoproj/argo-workflows v4.1.2, vendored in tests/data/schemas/argo-workflows/ with its source),
made strict: an unknown field is an error, as ``argo lint`` and the controller's strict decoding
make it. The Kubeflow pipeline specs under integrations/kubeflow/ are compiled, not written, and
are checked by tests/test_kubeflow.py."""

from __future__ import annotations

import copy
import functools
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
MANIFESTS = sorted(p for p in (REPO / "integrations").rglob("*.yaml") if "kubeflow" not in p.parts)
SCHEMA_OF = {"batch/v1": "batch-v1-job.json", "argoproj.io/v1alpha1": "argoproj-v1alpha1.json"}
ARGO_WORKFLOWS_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
GATEWISE_COMMANDS = {"verify", "gate", "merge", "promote"}


def _registry() -> Registry:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMAS.glob("*.json")]
    return Registry().with_resources(resources)


@functools.cache
def _argo_workflows_schema() -> dict:
    schema = json.loads((SCHEMAS / "argo-workflows" / "schema.json").read_text(encoding="utf-8"))

    def strict(node):
        if isinstance(node, dict):
            # a Go struct's fields; maps have additionalProperties of their own and no properties
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                strict(value)
        elif isinstance(node, list):
            for value in node:
                strict(value)

    strict(schema["definitions"])
    return schema


def argo_workflows_validator(kind: str) -> jsonschema.Draft202012Validator:
    """Argo's schema for ``kind``, strict about unknown fields."""
    schema = copy.copy(_argo_workflows_schema())
    schema.pop("oneOf")
    schema["$ref"] = f"#/definitions/io.argoproj.workflow.v1alpha1.{kind}"
    return jsonschema.Draft202012Validator(schema)


def validator_for(document: dict) -> jsonschema.Draft202012Validator:
    if document["apiVersion"] == "argoproj.io/v1alpha1" and document["kind"] in ARGO_WORKFLOWS_KINDS:
        return argo_workflows_validator(document["kind"])
    schema = json.loads((SCHEMAS / SCHEMA_OF[document["apiVersion"]]).read_text())
    return jsonschema.Draft202012Validator(schema, registry=_registry())


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
        "integrations/argocd/verify-postsync-job.yaml", "integrations/argo-rollouts/analysistemplate.yaml",
        "integrations/argo/sharded-gate-workflowtemplate.yaml", "integrations/argo/train-evaluate-register.yaml"}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_each_manifest_matches_the_schema_of_its_kind(path):
    document = _load(path)
    validator_for(document).validate(document)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_each_gatewise_command_line_parses(path):
    parser = build_parser()
    for line in _gatewise_commands(_load(path)):
        args = parser.parse_args(shlex.split(line)[1:])  # exits (fails the test) on an unknown flag
        assert args.command in GATEWISE_COMMANDS, line


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


def test_an_argo_workflow_with_a_typo_fails_the_schema():
    template = _load(REPO / "integrations/argo/sharded-gate-workflowtemplate.yaml")
    validator_for(template).validate(template)
    template["spec"]["templates"][0]["dag"]["tasks"][0]["withSequense"] = {"count": "2"}  # not withSequence
    with pytest.raises(jsonschema.ValidationError, match="withSequense"):
        validator_for(template).validate(template)
