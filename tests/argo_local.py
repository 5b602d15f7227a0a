"""Runs an Argo Workflows DAG template's script steps on this machine, the way Argo would run them in
pods: ``{{...}}`` variables substituted, each step's ``env:`` set, its ``source`` run by ``sh``, and
key-only artifacts kept under one local folder standing in for the artifact repository.

Only what integrations/argo uses is implemented: DAG tasks with ``withSequence``, ``depends`` on the
previous task, parameters, ``from:`` artifacts, s3 key-only artifacts, outputs read from a path and
env from Secrets (given to the run; a missing one that is not optional is an error, as in a pod).
Container paths (``/work/…``, ``/tmp/…``) are mapped under a per-run folder.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_VAR = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class StepRun:
    template: str
    parameters: dict[str, str]
    returncode: int
    log: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ArgoLocal:
    """One workflow's run: ``root`` holds the mapped container paths and the artifact repository."""

    root: Path
    templates: dict[str, dict]
    workflow_name: str = "gatewise-test"
    env: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)  # Secret name -> key -> value
    steps: list[StepRun] = field(default_factory=list)

    @property
    def repository(self) -> Path:
        return self.root / "artifact-repository"

    def local(self, path: str, pod: int) -> Path:
        """A container path in pod ``pod``'s own file system."""
        return self.root / f"pod-{pod}" / path.lstrip("/")

    def substitute(self, text: str, values: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in values, f"{{{{{name}}}}} has no value here"
            return values[name]

        return _VAR.sub(value, text)

    def run_dag(self, name: str, parameters: dict[str, str], artifacts: dict[str, Path]) -> dict[str, str]:
        """Run DAG template ``name``; its output parameters (empty when a task failed)."""
        template = self.templates[name]
        values = self._inputs(template, parameters)
        task_outputs: dict[str, dict[str, str]] = {}
        for task in template["dag"]["tasks"]:
            if "depends" in task:
                assert task["depends"] in task_outputs, f"{task['name']} depends on a task not run before it"
            items = [None]
            if "withSequence" in task:
                sequence = {k: int(self.substitute(str(v), values)) for k, v in task["withSequence"].items()}
                items = list(range(sequence["start"], sequence["end"] + 1))
            for item in items:
                scope = {**values, **({"item": str(item)} if item is not None else {})}
                args = {p["name"]: self.substitute(str(p["value"]), scope)
                        for p in task.get("arguments", {}).get("parameters", [])}
                given = {}
                for artifact in task.get("arguments", {}).get("artifacts", []):
                    source = artifact["from"]
                    assert source.startswith("{{inputs.artifacts."), source
                    given[artifact["name"]] = artifacts[source[len("{{inputs.artifacts."):-2]]
                step = self.run_script(task["template"], args, given)
                if step.returncode != 0:
                    return {}
                task_outputs[task["name"]] = step.outputs
        result = {}
        for output in template.get("outputs", {}).get("parameters", []):
            reference = output["valueFrom"]["parameter"]
            match = re.fullmatch(r"\{\{tasks\.([\w-]+)\.outputs\.parameters\.([\w-]+)\}\}", reference)
            assert match, reference
            result[output["name"]] = task_outputs[match.group(1)][match.group(2)]
        return result

    def run_script(self, name: str, parameters: dict[str, str], artifacts: dict[str, Path]) -> StepRun:
        template = self.templates[name]
        pod = len(self.steps)
        values = {**self._inputs(template, parameters), "workflow.name": self.workflow_name}
        for artifact in template["inputs"].get("artifacts", []):
            target = self.local(artifact["path"], pod)
            target.parent.mkdir(parents=True, exist_ok=True)
            if "s3" in artifact:
                source = self.repository / self.substitute(artifact["s3"]["key"], values)
            else:
                source = artifacts[artifact["name"]]
            target.symlink_to(source.resolve(), target_is_directory=source.is_dir())
        script = template["script"]
        assert script["command"] == ["sh"], script["command"]
        env = dict(self.env)  # a pod sees only what its spec and the image give it
        for variable in script.get("env", []):
            if "value" in variable:
                value = self.substitute(str(variable["value"]), values)
                env[variable["name"]] = str(self.local(value, pod)) if value.startswith(("/work", "/tmp")) else value
            else:
                ref = variable["valueFrom"]["secretKeyRef"]
                found = self.secrets.get(ref["name"], {}).get(ref["key"])
                assert found is not None or ref.get("optional"), f"{name}: Secret {ref['name']}/{ref['key']} missing"
                if found is not None:
                    env[variable["name"]] = found
        assert "{{" not in script["source"], f"{name}: a variable spliced into the script"
        proc = subprocess.run(["sh", "-c", script["source"]], env=env, capture_output=True, text=True, timeout=600)
        outputs: dict[str, str] = {}
        if proc.returncode == 0:
            for output in template.get("outputs", {}).get("parameters", []):
                outputs[output["name"]] = self.local(output["valueFrom"]["path"], pod).read_text(encoding="utf-8")
            for artifact in template.get("outputs", {}).get("artifacts", []):
                if "s3" in artifact:
                    stored = self.repository / self.substitute(artifact["s3"]["key"], values)
                    stored.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(self.local(artifact["path"], pod), stored)
        for artifact in template["inputs"].get("artifacts", []):
            self.local(artifact["path"], pod).unlink()  # the pod is gone: later steps see only the repository
        self.steps.append(StepRun(name, parameters, proc.returncode, proc.stdout + proc.stderr, outputs))
        return self.steps[-1]

    def _inputs(self, template: dict, given: dict[str, str]) -> dict[str, str]:
        values = {}
        for parameter in template.get("inputs", {}).get("parameters", []):
            name = parameter["name"]
            assert name in given or "value" in parameter, f"{template['name']}: no value for {name}"
            values[f"inputs.parameters.{name}"] = given.get(name, str(parameter.get("value", "")))
        unknown = set(given) - {p["name"] for p in template.get("inputs", {}).get("parameters", [])}
        assert not unknown, f"{template['name']} declares no parameters {sorted(unknown)}"
        return values

    def pod_path(self, step: StepRun, path: str) -> Path:
        return self.local(path, self.steps.index(step))
