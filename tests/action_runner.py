"""Runs a composite action's ``run:`` steps locally, the way the GitHub runner does.

Each step gets the runner's environment (``GITHUB_*``, ``RUNNER_TEMP``, fresh ``GITHUB_OUTPUT``,
``GITHUB_STEP_SUMMARY``, ``GITHUB_ENV`` and ``GITHUB_PATH`` files), its ``env:`` with expressions
evaluated, and runs under ``bash --noprofile --norc -eo pipefail`` in its ``working-directory``.
``if:`` conditions are evaluated (``success()`` by default), outputs are read back from the
output file, and the action's own ``outputs:`` are evaluated at the end. ``uses:`` steps are not
run (they need GitHub); a test can stand in for one by giving its outputs (``replace``).

Only the expression language the action uses is implemented: contexts, string / number / bool
literals, ``== != && || !``, parentheses, and ``always() success() failure() format() hashFiles()``.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ruamel.yaml import YAML

_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!(),])"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.\-*]*))")


@dataclass
class StepRun:
    id: str
    name: str
    ran: bool
    outcome: str  # success, failure or skipped
    returncode: int | None = None
    log: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str  # the job summary: every step's GITHUB_STEP_SUMMARY, in order
    masks: list[str]  # values registered with ::add-mask::

    @property
    def failed(self) -> bool:
        return any(s.outcome == "failure" for s in self.steps)

    @property
    def log(self) -> str:
        return "".join(f"--- {s.name}\n{s.log}" for s in self.steps if s.ran)

    def step(self, step_id: str) -> StepRun:
        return next(s for s in self.steps if s.id == step_id)

    def annotations(self, level: str) -> list[str]:
        """The messages of ``::error`` / ``::warning`` / ``::notice`` commands, in order."""
        found = []
        for line in self.log.splitlines():
            match = re.match(rf"^::{level}(?: [^:]*)?::(.*)$", line)
            if match:
                found.append(match.group(1))
        return found


def run_action(action_path: Path, *, inputs: Mapping[str, str], workspace: Path, runner_temp: Path,
               github: Mapping[str, Any], env: Mapping[str, str] | None = None,
               replace: Mapping[str, Mapping[str, str]] | None = None, timeout: float = 300) -> ActionRun:
    """Run ``action_path``/action.yml. ``github`` is the github context (``repository``,
    ``event_name``, ``event_path``, ``sha``, ``token``, ``api_url`` …); ``replace`` maps a step id
    to the outputs it would have produced, and that step is not run."""
    action = YAML(typ="safe").load((action_path / "action.yml").read_text(encoding="utf-8"))
    replace = dict(replace or {})
    context: dict[str, Any] = {
        "github": {"action_path": str(action_path), "workspace": str(workspace), "job": "gate",
                   "run_id": "4242", "run_attempt": "1", **github},
        "runner": {"temp": str(runner_temp), "os": "Linux"},
        "inputs": {},
        "steps": {},
    }
    given_inputs = dict(inputs)
    for name, spec in (action.get("inputs") or {}).items():
        default = str(spec.get("default", ""))
        context["inputs"][name] = given_inputs.pop(name) if name in given_inputs else _interpolate(default, context)
    assert not given_inputs, f"inputs the action does not declare: {sorted(given_inputs)}"

    base_env = {
        **(env or os.environ),
        "CI": "true", "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(action_path), "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux", "GITHUB_RUN_ID": context["github"]["run_id"],
        "GITHUB_RUN_ATTEMPT": context["github"]["run_attempt"], "GITHUB_JOB": context["github"]["job"],
        "GITHUB_REPOSITORY": str(github.get("repository", "")), "GITHUB_EVENT_NAME": str(github.get("event_name", "")),
        "GITHUB_EVENT_PATH": str(github.get("event_path", "")), "GITHUB_SHA": str(github.get("sha", "")),
        "GITHUB_API_URL": str(github.get("api_url", "https://api.github.com")),
        "GITHUB_SERVER_URL": "https://github.com",
    }
    files = runner_temp / "_runner_files"
    files.mkdir(parents=True, exist_ok=True)
    steps: list[StepRun] = []
    summary_parts: list[str] = []
    masks: list[str] = []
    failed = False
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = str(step.get("id") or f"__{index}")
        name = str(step.get("name") or step.get("uses") or step_id)
        condition = _strip(str(step.get("if", "success()")))
        if not re.search(r"\b(always|success|failure|cancelled)\(", condition):
            condition = f"success() && ({condition})"  # the runner's implicit status check
        statuses = {"success": not failed, "failure": failed}
        run = _truthy(_evaluate(condition, context, statuses))
        if not run:
            steps.append(StepRun(step_id, name, False, "skipped"))
            context["steps"][step_id] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
            continue
        if step_id in replace or "run" not in step:
            outputs = dict(replace.get(step_id, {}))
            steps.append(StepRun(step_id, name, False, "success", outputs=outputs))
            context["steps"][step_id] = {"outcome": "success", "conclusion": "success", "outputs": outputs}
            continue

        output_file, summary_file = files / f"output-{index}", files / f"summary-{index}"
        for path in (output_file, summary_file, files / f"env-{index}", files / f"path-{index}"):
            path.write_text("", encoding="utf-8")
        step_env = {**base_env,
                    "GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(summary_file),
                    "GITHUB_ENV": str(files / f"env-{index}"), "GITHUB_PATH": str(files / f"path-{index}")}
        for key, value in (step.get("env") or {}).items():
            step_env[str(key)] = _interpolate(str(value), context)
        assert "${{" not in step["run"], f"step {name!r}: an expression inside run:"
        script = files / f"step-{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        cwd = workspace / _interpolate(str(step.get("working-directory", ".")), context)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                              env=step_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout)
        outputs = parse_output_file(output_file.read_text(encoding="utf-8"))
        masks.extend(m.group(1) for m in re.finditer(r"^::add-mask::(.*)$", proc.stdout, re.M))
        outcome = "success" if proc.returncode == 0 else "failure"
        failed = failed or outcome == "failure"
        steps.append(StepRun(step_id, name, True, outcome, proc.returncode, proc.stdout, outputs))
        context["steps"][step_id] = {"outcome": outcome, "conclusion": outcome, "outputs": outputs}
        summary_parts.append(summary_file.read_text(encoding="utf-8"))

    action_outputs = {name: str(_interpolate(str(spec.get("value", "")), context))
                      for name, spec in (action.get("outputs") or {}).items()}
    return ActionRun(steps, action_outputs, "".join(summary_parts), masks)


def parse_output_file(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as the runner reads GITHUB_OUTPUT."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[key] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
        i += 1
    return outputs


def _strip(text: str) -> str:
    text = text.strip()
    match = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
    return match.group(1) if match else text


def _interpolate(text: str, context: Mapping[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        result = _evaluate(match.group(1), context, {"success": True, "failure": False})
        if result is None:
            return ""
        if isinstance(result, bool):
            return "true" if result else "false"
        return str(result)

    return _EXPR.sub(value, text)


def _evaluate(expression: str, context: Mapping[str, Any], statuses: Mapping[str, bool]) -> Any:
    tokens = [(m.lastgroup, m.group(m.lastgroup)) for m in _TOKEN.finditer(expression)]
    assert "".join(t[1] for t in tokens).replace(" ", "") == expression.replace(" ", "").replace("\n", ""), \
        f"cannot tokenize expression: {expression!r}"
    parser = _Parser(tokens, context, statuses)
    result = parser.or_()
    assert parser.pos == len(tokens), f"trailing tokens in {expression!r}"
    return result


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", 0.0)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # GitHub compares strings ignoring case
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, (int, float)) or isinstance(b, (int, float)):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return a == b


class _Parser:
    def __init__(self, tokens: list[tuple[str | None, str]], context: Mapping[str, Any],
                 statuses: Mapping[str, bool]) -> None:
        self.tokens, self.context, self.statuses, self.pos = tokens, context, statuses, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str | None, str]:
        token = self.tokens[self.pos]
        assert expected is None or token[1] == expected, f"expected {expected}, got {token[1]}"
        self.pos += 1
        return token

    def or_(self) -> Any:
        left = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            left = left if _truthy(left) else right
        return left

    def and_(self) -> Any:
        left = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            left = right if _truthy(left) else left
        return left

    def compare(self) -> Any:
        left = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.unary()
            left = _equal(left, right) if op == "==" else not _equal(left, right)
        return left

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == "(":
            self.take("(")
            args = []
            while self.peek() != ")":
                args.append(self.or_())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            return self.call(text, args)
        value: Any = self.context
        for part in text.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return value

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "always":
            return True
        if name in ("success", "failure"):
            return self.statuses[name]
        if name == "format":
            template = str(args[0])
            return re.sub(r"\{(\d+)\}", lambda m: str(args[int(m.group(1)) + 1]), template)
        if name == "hashFiles":
            return "0" * 64  # the key's shape is all a local run needs
        raise AssertionError(f"function {name}() is not implemented here")
