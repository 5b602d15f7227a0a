"""report.html is drawn by default; `report: {html: false}` or `--no-html` skips it, and then a
gate whose checks gatewise computes itself never imports Evidently nor starts its worker
process. The verdict is the same either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatewise.standin import StandinServer

from .conftest import write_gate

# Runs one gatewise command in a fresh interpreter, then reports what that process imported:
# Evidently itself, and the module multiprocessing imports only when it spawns a process.
PROBE = """
import json, sys
from gatewise.cli import main
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc,
                  "evidently": any(m == "evidently" or m.startswith("evidently.") for m in sys.modules),
                  "spawned": "multiprocessing.popen_spawn_posix" in sys.modules}))
"""


def probe(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CI": "true"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def server(answers):
    with StandinServer(answers=answers, quality=0.9) as running:
        yield running


def metrics(out: Path) -> tuple:
    result = json.loads((out / "gate-result.json").read_text(encoding="utf-8"))
    measured = {name: value for name, value in result["metrics"].items() if not name.startswith("latency")}
    return result["passed"], measured, result["thresholds"]


def results_rows(out: Path) -> list[dict]:
    return [{k: v for k, v in json.loads(line).items() if k != "latency_ms"}
            for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_no_html_with_native_checks_never_imports_evidently_and_decides_the_same(tmp_path, server):
    config = write_gate(tmp_path, server.base_url)
    without, with_page = tmp_path / "without", tmp_path / "with"
    off = probe("gate", "--config", str(config), "--out", str(without), "--no-html", "--quiet")
    on = probe("gate", "--config", str(config), "--out", str(with_page), "--quiet")
    assert off == {"rc": on["rc"], "evidently": False, "spawned": False}
    # the page is what starts the worker by default (so the probe can see a worker start)
    assert on["spawned"] is True and on["evidently"] is False
    assert not (without / "report.html").exists() and (with_page / "report.html").stat().st_size > 1000
    assert metrics(without) == metrics(with_page)
    assert results_rows(without) == results_rows(with_page)


def test_report_html_false_in_the_config_is_the_same_as_the_flag(tmp_path, server):
    config = write_gate(tmp_path, server.base_url, extra="report:\n  html: false\n")
    out = tmp_path / "out"
    ran = probe("gate", "--config", str(config), "--out", str(out), "--quiet")
    assert ran["evidently"] is False and ran["spawned"] is False and ran["rc"] in (0, 1)
    assert (out / "gate-result.json").exists() and not (out / "report.html").exists()


def test_a_check_only_evidently_computes_still_starts_the_worker_without_html(tmp_path, server):
    suites = """
  - name: correctness
    evidently:
      - { descriptor: TextMatch, match_items: answer, match_type: exact, case_sensitive: false }
"""
    config = write_gate(tmp_path, server.base_url, suites=suites, thresholds="\n  correctness: { pass_rate: '>= 0.5' }\n")
    out = tmp_path / "out"
    ran = probe("gate", "--config", str(config), "--out", str(out), "--no-html", "--quiet")
    assert ran["spawned"] is True and ran["rc"] in (0, 1), ran
    assert not (out / "report.html").exists()
    scores = [s for row in results_rows(out) for s in row["scores"].values()]
    assert scores and all(s["value"] is not None for s in scores)


@pytest.mark.parametrize("value, expected", [("maybe", "report.html"), ("{pdf: true}", "report")])
def test_a_bad_report_setting_is_exit_2_naming_file_line_and_key(tmp_path, server, value, expected):
    extra = f"report:\n  html: {value}\n" if value == "maybe" else f"report: {value}\n"
    config = write_gate(tmp_path, server.base_url, extra=extra)
    out = tmp_path / "out"
    asked = server.stats.requests
    done = subprocess.run([sys.executable, "-m", "gatewise", "gate", "--config", str(config), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "true"})
    assert done.returncode == 2, done.stderr
    assert str(config) in done.stderr and expected in done.stderr
    assert ":" in done.stderr.split(str(config), 1)[1][:8]  # file:line
    assert not out.exists() and server.stats.requests == asked  # nothing called, nothing written
