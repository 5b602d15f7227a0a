"""`gatewise gate` with report.html starts Evidently's worker before it reads its config, so the
worker's slow import is done sooner; the gate adopts it, stops it at once when the config needs no
Evidently, and stops it on bad input before anything is asked of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gatewise.config import SuiteConfig
from gatewise.early_worker import EarlyWorker, page_likely
from gatewise.samples import Sample
from gatewise.suites import Scorer

from .conftest import write_gate

SUITES = [SuiteConfig(name="content", evidently=[{"descriptor": "ExactMatch", "name": "exact", "expected": "answer"}])]


@pytest.mark.parametrize("text, likely", [
    ("suites:\n  - name: c\n    evidently: [{descriptor: ExactMatch}]\n", True),
    ("suites:\n  - {name: c, drift: {columns: [x]}}\nreport:\n  html: true\n", True),
    ("suites:\n  - name: c\n    classification: {target: y}\n", True),
    ("suites:\n  - name: c\n    evidently: []\nreport:\n  html: false\n", False),
    ("suites:\n  - name: c\n    evidently: []\nreport: {html: false}\n", False),
    ("suites:\n  - name: c\n    evidently: []\nreport:\n  html: 'no'\n", False),
    ("suites:\n  - name: c\n    evidently: []\nreport:\n  HTML: Off\n", False),
    # a judge-only gate draws no page (max_regression is not a regression suite)
    ("suites:\n  - name: g\n    judge: {metric: g-eval}\nbaseline: {max_regression: 0.1}\n", False),
])
def test_whether_a_config_draws_the_page_is_read_from_its_text(tmp_path, text, likely):
    config = tmp_path / "gate.yaml"
    config.write_text(text, encoding="utf-8")
    assert page_likely(config) is likely


def test_a_config_that_is_not_there_starts_no_worker(tmp_path):
    assert page_likely(tmp_path / "missing.yaml") is False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a terminated child not yet reaped is a zombie: not alive either
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_the_scorer_adopts_an_early_worker_when_evidently_is_needed():
    early = EarlyWorker()
    (pid,) = [p.pid for p in early._pool._processes.values()]
    with Scorer(SUITES, html=True, early=early) as scorer:
        assert early.take() is None  # handed over once
        assert scorer.pid == pid  # the same process, its import done
        samples = [Sample(row_id="r1", inputs={"answer": "A"}, messages=(), output="A")]
        assert [s.passed for s in scorer.score(samples, SUITES)] == [True]


def test_the_scorer_stops_an_early_worker_that_is_not_needed():
    early = EarlyWorker()
    (process,) = list(early._pool._processes.values())
    native_only = [SuiteConfig(name="length", evidently=[{"descriptor": "TextLength", "name": "n", "max": 9}])]
    with Scorer(native_only, html=False, early=early) as scorer:
        assert not scorer.worker_started and early.take() is None
        process.join(10)
        assert not _alive(process.pid)


PROBE = """
import json, multiprocessing, sys
from gatewise.cli import main
if __name__ == "__main__":
    rc = main(sys.argv[1:])
    print(json.dumps({"rc": rc, "spawned": "multiprocessing.popen_spawn_posix" in sys.modules,
                      "children": len(multiprocessing.active_children())}))
"""


def test_bad_input_stops_the_early_worker_and_calls_nothing(tmp_path, standin):
    config = write_gate(tmp_path, standin.base_url, thresholds="\n  correctness: { pass_rate: 'lots' }\n")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    asked = standin.stats.requests
    done = subprocess.run([sys.executable, str(probe), "gate", "--config", str(config), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "true"})
    ran = json.loads(done.stdout.strip().splitlines()[-1])
    # the worker did start before the config was read (nothing else spawns on bad input), and is gone
    assert ran == {"rc": 2, "spawned": True, "children": 0}, done.stderr[-2000:]
    assert not (tmp_path / "out").exists() and standin.stats.requests == asked


def test_a_merge_of_shards_that_are_not_there_stops_the_early_worker(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    done = subprocess.run([sys.executable, str(probe), "merge", str(tmp_path / "no-shard"), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CI": "true"})
    ran = json.loads(done.stdout.strip().splitlines()[-1])
    assert ran == {"rc": 2, "spawned": True, "children": 0}, done.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_no_html_starts_no_early_worker(tmp_path, standin):
    config = write_gate(tmp_path, standin.base_url, thresholds="\n  correctness: { pass_rate: 'lots' }\n")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    done = subprocess.run([sys.executable, str(probe), "gate", "--config", str(config), "--out", str(tmp_path / "out"),
                           "--no-html"], capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "true"})
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"rc": 2, "spawned": False, "children": 0}
