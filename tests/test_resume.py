"""``gatewise gate --resume``: a gate killed mid-run (SIGKILL, a runner's time limit) keeps every
answer it got; the resumed run asks only the rest and decides as one uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gatewise.cli import main
from gatewise.standin import Faults, StandinServer

from .conftest import example_rows, write_gate
from .test_results_stream import read_lines

GATEWISE = [sys.executable, "-m", "gatewise"]
ROWS = 120


def many_rows(n: int) -> list[dict]:
    base = example_rows()
    return [{**base[i % len(base)], "id": f"row{i:04d}"} for i in range(n)]


def kill_mid_run(argv: list[str], results: Path, at_least: int) -> list[dict]:
    """Start a real gate process, SIGKILL it (and its Evidently worker) once ``at_least`` answers
    are on disk; returns the lines it kept."""
    proc = subprocess.Popen([*GATEWISE, *argv, "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, "CI": "true"})
    try:
        deadline = time.monotonic() + 120
        while len(read_lines(results)) < at_least:
            assert proc.poll() is None, "the gate finished before it could be interrupted"
            assert time.monotonic() < deadline, "results.jsonl never filled"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    return read_lines(results)


def decision(out: Path) -> dict:
    """gate-result.json less what depends on when and how fast the calls were made."""
    document = json.loads((out / "gate-result.json").read_text(encoding="utf-8"))
    for key in ("started_at", "timings_s"):
        document.pop(key)
    document["metrics"].pop("latency_ms")
    document["intervals"].pop("latency_ms", None)
    document["counts"].pop("calls")  # the resumed run's retries are its own
    document["endpoint"].pop("concurrency")
    return document


def test_a_killed_gate_resumes_asking_only_the_rows_with_no_answer(tmp_path, capsys, answers):
    with StandinServer(answers=answers, quality=0.8, faults=Faults(latency_ms=120)) as server:
        config = write_gate(tmp_path, server.base_url, rows=many_rows(ROWS), endpoint={"concurrency": 4},
                            extra="confidence: { resamples: 300 }\n")
        out = tmp_path / "out"
        kept = kill_mid_run(["gate", "--config", str(config), "--out", str(out)], out / "results.jsonl", 15)
        assert 15 <= len(kept) < ROWS and not (out / "gate-result.json").exists()
        before = server.stats.completions
        code = main(["gate", "--config", str(config), "--out", str(out), "--resume", "--quiet"])
        asked_again = server.stats.completions - before
        # an uninterrupted run of the same gate, for the verdict
        whole = tmp_path / "whole"
        whole_code = main(["gate", "--config", str(config), "--out", str(whole), "--quiet"])
    capsys.readouterr()
    assert asked_again == ROWS - len(kept), "only the rows with no answer were asked"
    assert code == whole_code
    assert decision(out) == decision(whole)
    lines = read_lines(out / "results.jsonl")
    assert [line["row_id"] for line in lines] == [f"row{i:04d}" for i in range(ROWS)]
    by_id = {line["row_id"]: line for line in lines}
    for line in kept:  # the answers it had are the ones it decided with
        assert by_id[line["row_id"]]["output"] == line["output"]
        assert by_id[line["row_id"]]["latency_ms"] == line["latency_ms"]
    state = json.loads((out / "gatewise-run.json").read_text())
    assert state["state"] == "done" and state["partial"] is False


def test_resume_refuses_another_config_and_touches_nothing(tmp_path, capsys, answers):
    with StandinServer(answers=answers) as server:
        config = write_gate(tmp_path, server.base_url, rows=many_rows(12))
        out = tmp_path / "out"
        assert main(["gate", "--config", str(config), "--out", str(out), "--quiet"]) in (0, 1)
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        (tmp_path / "other").mkdir()
        changed = write_gate(tmp_path / "other", server.base_url, rows=many_rows(12), endpoint={"concurrency": 3})
        asked = server.stats.requests
        code = main(["gate", "--config", str(changed), "--out", str(out), "--resume"])
        stderr = capsys.readouterr().err
        assert code == 2 and "another config" in stderr and str(out) in stderr
        assert server.stats.requests == asked, "nothing was called"
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before, "nothing was touched"
        # and a shard's directory is not resumed as a whole run, nor a whole run as a shard
        code = main(["gate", "--config", str(config), "--out", str(out), "--resume", "--shard", "1/2"])
        assert code == 2 and "resume it with the same --shard" in capsys.readouterr().err
        code = main(["gate", "--config", str(config), "--out", str(tmp_path / "empty"), "--resume"])
        assert code == 2 and "no gatewise-run.json" in capsys.readouterr().err
        assert not (tmp_path / "empty").exists()


def test_a_finished_run_resumed_asks_nothing_and_decides_the_same(tmp_path, capsys, answers):
    with StandinServer(answers=answers, quality=0.8) as server:
        config = write_gate(tmp_path, server.base_url, rows=many_rows(30))
        out = tmp_path / "out"
        code = main(["gate", "--config", str(config), "--out", str(out), "--quiet"])
        first = decision(out)
        asked = server.stats.completions
        assert main(["gate", "--config", str(config), "--out", str(out), "--resume", "--quiet"]) == code
        assert server.stats.completions == asked
    capsys.readouterr()
    again = decision(out)
    again["endpoint"] = first["endpoint"]  # nothing was called: no concurrency record
    assert again == first


def test_a_killed_shard_resumes_and_merges_like_one_run(tmp_path, capsys, answers):
    with StandinServer(answers=answers, quality=0.8, faults=Faults(latency_ms=120)) as server:
        config = write_gate(tmp_path, server.base_url, rows=many_rows(ROWS), endpoint={"concurrency": 4},
                            extra="confidence: { resamples: 300 }\n")
        dirs = [tmp_path / f"shard-{k}" for k in (1, 2)]
        kept = kill_mid_run(["gate", "--config", str(config), "--shard", "1/2", "--out", str(dirs[0])],
                            dirs[0] / "results.jsonl", 8)
        before = server.stats.completions
        assert main(["gate", "--config", str(config), "--shard", "1/2", "--out", str(dirs[0]), "--resume"]) == 0
        state = json.loads((dirs[0] / "gatewise-run.json").read_text())
        assert server.stats.completions - before == state["rows"] - len(kept)
        assert main(["gate", "--config", str(config), "--shard", "2/2", "--out", str(dirs[1])]) == 0
        merged_code = main(["merge", *map(str, dirs), "--out", str(tmp_path / "merged")])
        whole_code = main(["gate", "--config", str(config), "--out", str(tmp_path / "whole"), "--quiet"])
    capsys.readouterr()
    assert merged_code == whole_code
    merged = decision(tmp_path / "merged")
    assert merged.pop("shards") == 2
    assert merged == decision(tmp_path / "whole")


def test_a_resumed_judged_gate_judges_only_the_rows_not_judged_before(tmp_path, capsys, answers, judge):
    from .test_judge import G_EVAL, judge_section

    rows = many_rows(60)
    with StandinServer(answers=answers, quality=0.8, faults=Faults(latency_ms=150)) as server:
        config = write_gate(tmp_path, server.base_url, rows=rows, endpoint={"concurrency": 2}, suites=G_EVAL,
                            thresholds='\n  correctness: { mean: ">= 0.9" }\n',
                            extra=judge_section(judge.base_url) + "confidence: { resamples: 300 }\n")
        out = tmp_path / "out"
        kill_mid_run(["gate", "--config", str(config), "--out", str(out), "--cache-dir", str(tmp_path / "c1")],
                     out / "judged.jsonl", 10)
        judged_before = {(line["row_id"], line["repeat"]) for line in read_lines(out / "judged.jsonl")}
        answered = {line["row_id"] for line in read_lines(out / "results.jsonl")}
        assert judged_before and {row for row, _ in judged_before} <= answered
        judge_calls = judge.stats.completions
        # --no-cache: the judge's cache replays nothing, so only what was kept in --out is not re-asked
        code = main(["gate", "--config", str(config), "--out", str(out), "--resume", "--no-cache", "--quiet"])
        resumed_calls = judge.stats.completions - judge_calls
        whole = tmp_path / "whole"
        judge_calls = judge.stats.completions
        whole_code = main(["gate", "--config", str(config), "--out", str(whole), "--no-cache", "--quiet"])
        whole_calls = judge.stats.completions - judge_calls
    capsys.readouterr()
    assert code == whole_code
    # one judge call per row, and one per run (G-Eval writes its evaluation steps once)
    per_run = whole_calls - len(rows)
    assert resumed_calls - per_run == len(rows) - len(judged_before), (resumed_calls, whole_calls, len(judged_before))
    merged, one = decision(out), decision(whole)
    merged.pop("judge"), one.pop("judge")  # its call counts are the resumed run's own
    assert merged == one
    lines = read_lines(out / "results.jsonl")
    assert all(line["scores"]["correctness.g-eval"]["judge_model"] for line in lines)
    assert not (out / "judged.jsonl").exists(), "the finished results.jsonl carries every judge score"
