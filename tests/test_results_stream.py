"""results.jsonl streams: each call's row is on disk as soon as it finishes, so a killed run keeps
what it got; a finished run's file is the scored one, in dataset order, whatever order the calls
finished in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gatewise.standin import Faults, StandinServer

from .conftest import example_rows, write_gate

GATEWISE = [sys.executable, "-m", "gatewise"]


def many_rows(n: int) -> list[dict]:
    """``n`` rows cycling through the example's questions, each with its own id."""
    base = example_rows()
    return [{**base[i % len(base)], "id": f"row{i:04d}"} for i in range(n)]


def read_lines(path: Path) -> list[dict]:
    """Every line of ``path``, each of which must be whole (newline-terminated) JSON."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    assert text == "" or text.endswith("\n"), f"torn last line: {text.splitlines()[-1][:80]!r}"
    return [json.loads(line) for line in text.splitlines()]


def test_a_killed_run_keeps_every_row_it_finished(tmp_path, answers):
    rows = many_rows(200)
    # 200 rows x 150 ms at concurrency 4 is ~7.5 s of calls: the kill lands well inside them
    with StandinServer(answers=answers, faults=Faults(latency_ms=150)) as server:
        config = write_gate(tmp_path, server.base_url, rows=rows, endpoint={"concurrency": 4})
        out = tmp_path / "out"
        results = out / "results.jsonl"
        # its own session, so the kill takes the Evidently worker it spawned too
        proc = subprocess.Popen([*GATEWISE, "gate", "--config", str(config), "--out", str(out), "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, "CI": "true"})
        try:
            deadline = time.monotonic() + 120
            seen: list[dict] = []
            while len(seen) < 12:
                assert proc.poll() is None, "the gate finished before it could be interrupted"
                assert time.monotonic() < deadline, "results.jsonl never filled while the run was in progress"
                time.sleep(0.1)
                # read while the run is writing: whatever is there parses, line by line
                seen = read_lines(results)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
        answered = server.stats.requests
    kept = read_lines(results)
    ids = [record["row_id"] for record in kept]
    assert len(kept) >= len(seen) and len(kept) < len(rows), (len(kept), len(seen))
    assert len(set(ids)) == len(ids) and set(ids) <= {r["id"] for r in rows}
    assert len(kept) <= answered  # rows the endpoint was asked for, not invented ones
    for record in kept:
        assert record["error"] is None and record["output"], record
        assert record["inputs"]["question"] and record["messages"]
    assert not (out / "gate-result.json").exists(), "an interrupted run left a verdict"


def test_the_finished_file_is_scored_and_in_dataset_order(tmp_path, answers):
    rows = many_rows(60)
    # jitter far above the latency: calls finish well out of the order they were sent in
    with StandinServer(answers=answers, faults=Faults(latency_ms=1, jitter_ms=80, seed=5)) as server:
        config = write_gate(tmp_path, server.base_url, rows=rows, endpoint={"concurrency": 16})
        out = tmp_path / "out"
        proc = subprocess.run([*GATEWISE, "gate", "--config", str(config), "--out", str(out), "--quiet"],
                              capture_output=True, text=True, timeout=240, env={**os.environ, "CI": "true"})
    assert proc.returncode in (0, 1), proc.stderr
    lines = read_lines(out / "results.jsonl")
    assert [line["row_id"] for line in lines] == [r["id"] for r in rows]
    assert all({"scores", "passed"} <= line.keys() for line in lines)
    assert all(line["scores"] for line in lines), "the finished file carries each row's scores"
