"""While the calls wait on the endpoint, what the verdict needs later (numpy, the gate's maths, the
bootstrap's seeded draws) is prepared in a thread, so the verdict follows the last answer at once;
the result is the same, and a run whose endpoint is down still ends, exit 3, with no verdict. The
cycle collector is kept off the calls' way, and a run in a caller's process leaves it as it was."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import pytest

from gatewise.cli import main
from gatewise.config import load_config
from gatewise.errors import EndpointUnreachableError
from gatewise.gate import metric_intervals, observations, prepare_intervals
from gatewise.pipeline import run_gate
from gatewise.standin import Faults, StandinServer

from ._service import free_port
from .conftest import write_gate


def gate_in_a_fresh_process(config: Path, out: Path, *python_flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *python_flags, "-m", "gatewise", "gate", "--config", str(config),
                           "--out", str(out), "--no-html", "--no-cache"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "CI": "true"})


def test_numpy_is_loaded_while_the_calls_wait_not_after_the_last_one(tmp_path, answers):
    # 62 rows one at a time, 30 ms each: about 2 s of calls, against ~0.15 s of imports
    with StandinServer(answers=answers, faults=Faults(latency_ms=30)) as server:
        config = write_gate(tmp_path, server.base_url, endpoint={"concurrency": 1})
        done = gate_in_a_fresh_process(config, tmp_path / "out", "-X", "importtime")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    # -X importtime writes a line to stderr as each import ends; the progress lines go there too
    calls_done = next(i for i, line in enumerate(lines) if "rows (100%)" in line)
    later = [i for i, line in enumerate(lines) if re.search(r"\|\s*(numpy|gatewise\.gate)(\.\w+)*\s*$", line)]
    assert later, "neither numpy nor the gate's maths was imported at all"
    assert max(later) < calls_done, "numpy or the gate's maths was imported after the last call"
    result = json.loads((tmp_path / "out" / "gate-result.json").read_text(encoding="utf-8"))
    assert result["passed"] is True and result["counts"]["samples"] == 62


def test_a_run_whose_endpoint_is_down_still_ends_with_exit_3_and_no_verdict(tmp_path):
    config = write_gate(tmp_path, f"http://127.0.0.1:{free_port()}/v1")  # nothing listens there
    out = tmp_path / "out"
    done = gate_in_a_fresh_process(config, out)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "cannot reach" in done.stderr
    assert not (out / "gate-result.json").exists() and not (out / "results.jsonl").exists()


def test_intervals_prepared_ahead_are_the_ones_computed_when_needed(tmp_path):
    from gatewise.config import load_config
    from gatewise.gate._binomial import _quantiles
    from gatewise.gate._intervals import _shared_indices
    from gatewise.samples import Sample
    from gatewise.scores import Score

    config = load_config(write_gate(tmp_path, "http://127.0.0.1:9/v1"))
    rng = np.random.default_rng(3)
    samples = tuple(Sample(row_id=f"r{i}", inputs={}, messages=(), output="x", latency_ms=float(rng.random() * 100))
                    for i in range(700))
    scores = tuple(Score(row_id=f"r{i}", metric="correctness.ExactMatch", value=float(passed), passed=bool(passed))
                   for i, passed in enumerate(rng.random(700) < 0.7))
    observed = observations(config, samples, scores)
    settings = {"level": 0.9, "resamples": 1000, "seed": 11}
    prepare_intervals(700, **settings)
    prepared = metric_intervals(observed, **settings)
    _shared_indices.cache_clear()
    _quantiles.cache_clear()
    assert metric_intervals(observed, **settings) == prepared
    assert prepared["correctness.ExactMatch"]["mean"] != prepared["latency_ms"]["mean"]


def collector_state() -> tuple:
    return gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()


def test_a_gate_run_in_a_callers_process_leaves_the_cycle_collector_as_it_found_it(tmp_path, standin):
    before = collector_state()
    result = run_gate(load_config(write_gate(tmp_path, standin.base_url)), out_dir=tmp_path / "out")
    assert result.verdict.passed
    assert collector_state() == before
    # the CLI called with arguments runs in its caller's process too: nothing of the caller's set aside
    assert main(["gate", "--config", str(tmp_path / "gate.yaml"), "--out", str(tmp_path / "cli"), "--quiet",
                 "--no-html"]) == 0
    assert collector_state() == before


def test_the_cycle_collector_is_put_back_when_the_endpoint_is_down(tmp_path):
    before = collector_state()
    config = load_config(write_gate(tmp_path, f"http://127.0.0.1:{free_port()}/v1"))
    with pytest.raises(EndpointUnreachableError):
        run_gate(config, out_dir=tmp_path / "out")
    assert collector_state() == before
