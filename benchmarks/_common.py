"""What the whole-process benchmarks share: the synthetic Q&A rows, the gate config over them, a
stand-in in its own process, and a command's wall time, CPU and peak memory from a fresh interpreter."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def write_rows(directory: Path, rows: int) -> Path:
    """``rows.jsonl`` of ``rows`` questions with their reference answers (the stand-in's answer table)."""
    data = directory / "rows.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for i in range(rows):
            handle.write(json.dumps({"id": f"r{i:05d}", "question": f"What is item number {i}?",
                                     "answer": f"Item {i} is the number {i * 7 % 1000}."}) + "\n")
    return data


QA_PROMPT = 'prompt: { system: "Answer briefly.", user: "Question: {question}" }'
EXACT_MATCH = """suites:
  - name: correctness
    evidently: [ { descriptor: ExactMatch, expected: answer } ]
"""
G_EVAL_CRITERIA = "Does the actual output state the same answer as the expected output?"


def g_eval_suite(extra: str = "") -> str:
    """A ``correctness`` G-Eval suite item against the ``answer`` column; ``extra``: more of its keys."""
    return f"""  - name: correctness
    judge:
      metric: g-eval
      criteria: "{G_EVAL_CRITERIA}"
      columns: {{ expected_output: answer }}{extra}
"""


def write_gate(directory: Path, data: Path, url: str, body: str, *, concurrency: int, timeout_s: float | None = 30,
               judge_url: str | None = None, model: str = "standin-model", endpoint_extra: str = "",
               prompt: str = QA_PROMPT, name: str = "gate.yaml") -> Path:
    """``directory/name``: the endpoint at ``url`` (a judge at ``judge_url``, same concurrency and
    timeout), ``prompt``, ``data`` pinned by its sha256, then ``body`` (suites, thresholds, any other
    top-level keys) as YAML text. ``endpoint_extra``: more keys of the endpoint, ``key: value, …``."""
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    shared = f"concurrency: {concurrency}" + (f", timeout_s: {timeout_s:g}" if timeout_s is not None else "")
    endpoint = ", ".join(part for part in (f'base_url: "{url}"', f"model: {model}", shared, endpoint_extra) if part)
    judge = f'judge: {{ base_url: "{judge_url}", model: judge-model, {shared} }}\n' if judge_url else ""
    config = directory / name
    config.write_text(f"""endpoint: {{ {endpoint} }}
{judge}{prompt}
dataset: {{ path: {os.path.relpath(data, directory)}, sha256: "{sha}" }}
{body}""", encoding="utf-8")
    return config


class Standin:
    """``python -m gatewise.standin`` on a free port, so the client's cost is what is measured."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "gatewise.standin", "--port", "0", *args],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"stand-in did not start: {line!r}")
        self.url = line.split("listening on", 1)[1].strip()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def measured(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (MiB) of ``cmd``, measured from a fresh interpreter."""
    # RUSAGE_CHILDREN keeps the maximum over every child ever waited for: a fresh probe per command
    probe = ("import resource,subprocess,sys,time;t=time.perf_counter();"
             "c=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL).returncode;"
             "print(time.perf_counter()-t,c,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss//1024)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, "CI": "true"}).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def children_cpu() -> float:
    """CPU seconds of the waited-for children (a gate, and its worker through it): on a shared
    machine the load from elsewhere inflates wall time far more than this."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime
