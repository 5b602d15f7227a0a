"""``gatewise gate`` end to end against the stand-in: the whole CLI process, real Evidently,
every report written and consistent with the others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gatewise.standin import StandinServer

from .conftest import REPO, example_rows, write_gate

GATEWISE = [sys.executable, "-m", "gatewise"]
REPORTS = ("gate-result.json", "results.jsonl", "summary.md", "junit.xml", "report.html")


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*GATEWISE, *args], capture_output=True, text=True, timeout=240, cwd=cwd,
                          env={**os.environ, "CI": "true", **(env or {})})


@pytest.fixture(scope="module")
def degraded_model(answers):
    with StandinServer(answers=answers, quality=0.6, seed=3) as server:
        yield server


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, good_model):
    directory = tmp_path_factory.mktemp("good")
    config = write_gate(directory, "http://127.0.0.1:9/v1")  # the flag below overrides the URL
    proc = run_cli("gate", "--config", str(config), "--endpoint-url", good_model.base_url,
                   "--out", str(directory / "out"))
    return proc, directory / "out"


def test_a_good_model_passes_with_exit_0(good_run):
    proc, _ = good_run
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("PASSED")


def test_every_report_is_written(good_run):
    _, out = good_run
    for name in REPORTS:
        assert (out / name).stat().st_size > 0, name
    assert "<html" in (out / "report.html").read_text(encoding="utf-8")[:2000].lower()


def test_reports_agree_with_each_other(good_run):
    _, out = good_run
    result = json.loads((out / "gate-result.json").read_text())
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    rows = example_rows()

    assert result["schema_version"] == "gatewise.gate-result/v1"
    assert result["passed"] is True
    assert result["counts"]["samples"] == len(lines) == len(rows)
    assert {line["row_id"] for line in lines} == {row["id"] for row in rows}
    assert result["endpoint"]["reported_model_ids"] == ["standin-model"]

    # the pass rate in gate-result.json is the share of passing rows in results.jsonl
    passing = sum(1 for line in lines if line["scores"]["correctness.ExactMatch"]["passed"])
    assert result["metrics"]["correctness"]["pass_rate"] == pytest.approx(passing / len(lines))
    # every row carries what its call recorded
    for line in lines:
        assert line["output"] and line["error"] is None and line["attempts"] == 1
        assert line["messages"][-1]["content"] == f"Question: {line['inputs']['question']}"
        assert line["latency_ms"] > 0 and line["model_id"] == "standin-model"

    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) == len(result["thresholds"])
    assert int(suite.get("failures")) == 0
    summary = (out / "summary.md").read_text(encoding="utf-8")
    for threshold in result["thresholds"]:
        assert f"`{threshold['metric']}`" in summary


def test_a_degraded_model_fails_with_exit_1_and_says_why(tmp_path, degraded_model):
    config = write_gate(tmp_path, degraded_model.base_url)
    proc = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("FAILED") and "correctness.pass_rate" in proc.stdout
    result = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    failed = [t for t in result["thresholds"] if not t["passed"]]
    assert [t["metric"] for t in failed] == ["correctness"]
    assert failed[0]["value"] < 0.9
    suite = ET.parse(tmp_path / "out" / "junit.xml").getroot().find("testsuite")
    assert int(suite.get("failures")) == 1
    assert "❌" in (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")


def test_the_cache_replays_without_calls_and_no_cache_calls_again(tmp_path, answers):
    with StandinServer(answers=answers) as server:
        config = write_gate(tmp_path, server.base_url, rows=example_rows(10), suites="", thresholds="")
        cache = ["--cache-dir", str(tmp_path / "cache")]
        first = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "a"), "--cache", *cache)
        calls_after_first = server.stats.completions
        second = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "b"), "--cache", *cache)
        calls_after_second = server.stats.completions
        third = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "c"), "--no-cache", *cache)
        calls_after_third = server.stats.completions
    assert (first.returncode, second.returncode, third.returncode) == (0, 0, 0)
    assert calls_after_first == 10
    assert calls_after_second == 10, "a cached re-run called the endpoint"
    assert calls_after_third == 20
    counts = json.loads((tmp_path / "b" / "gate-result.json").read_text())["counts"]
    assert counts == {"samples": 10, "errors": 0, "cached": 10, "calls": 0, "turns": 10, "tool_calls": 0}


def test_the_api_key_never_appears_in_output_or_reports(tmp_path, answers):
    secret = "sk-gatewise-test-3f9a1c77e0b24d"
    with StandinServer(answers=answers, api_key=secret) as server:
        config = write_gate(tmp_path, server.base_url, rows=example_rows(12),
                            endpoint={"api_key": "${GATEWISE_ENDPOINT_KEY}"})
        ok = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "out"), "--verbose",
                     env={"GATEWISE_ENDPOINT_KEY": secret})
        # and when the run fails: a wrong key, and a bad config that echoes values
        wrong = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "wrong"), "--verbose",
                        env={"GATEWISE_ENDPOINT_KEY": secret + "-wrong"})
    assert ok.returncode == 0, ok.stderr
    assert wrong.returncode == 3
    texts = [ok.stdout, ok.stderr, wrong.stdout, wrong.stderr]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "out").iterdir()]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in tmp_path.rglob("*") if p.is_file()
              and "cache" in p.parts]
    for text in texts:
        assert secret not in text


def test_demo_runs_end_to_end_with_no_configuration(tmp_path):
    proc = run_cli("demo", "--out", str(tmp_path / "demo"), cwd=tmp_path, env={"GATEWISE_ENDPOINT_URL": "http://127.0.0.1:9/v1"})
    assert proc.returncode == 0, proc.stderr
    assert "PASSED" in proc.stdout and "summary.md" in proc.stdout
    for name in REPORTS:
        assert (tmp_path / "demo" / name).exists()


def test_demo_with_a_poor_model_shows_a_failing_gate(tmp_path):
    proc = run_cli("demo", "--quality", "0.5", "--out", str(tmp_path / "demo"), "--quiet", cwd=tmp_path)
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout


def test_help_starts_without_heavy_imports():
    probe = ("import sys, gatewise.cli as c\n"
             "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in ('evidently', 'pandas', 'openai', 'mlflow', 'deepeval', 'numpy') if m in sys.modules]\n"
             "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO).stdout
    assert "HEAVY []" in out


def test_validate_loads_nothing_heavy_and_calls_nothing():
    probe = ("import sys, gatewise.cli as c\n"
             "code = c.main(['validate', '--config', 'quality/gate.yaml'])\n"
             "heavy = [m for m in ('evidently', 'pandas', 'openai') if m in sys.modules]\n"
             "print('CODE', code, 'HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO).stdout
    assert "CODE 0 HEAVY []" in out


def test_a_cached_rerun_reuses_scores_and_report_without_evidently(tmp_path, good_model):
    config = write_gate(tmp_path, good_model.base_url, rows=example_rows(8))
    cache = ["--cache", "--cache-dir", str(tmp_path / "cache")]
    first = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "a"), *cache)
    second = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "b"), *cache)
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert "taken from the cache" in second.stderr
    a = json.loads((tmp_path / "a" / "gate-result.json").read_text())
    b = json.loads((tmp_path / "b" / "gate-result.json").read_text())
    assert a["metrics"] == {**b["metrics"], "latency_ms": a["metrics"]["latency_ms"]}
    assert [t["value"] for t in a["thresholds"] if t["metric"] != "latency_ms"] == \
        [t["value"] for t in b["thresholds"] if t["metric"] != "latency_ms"]
    assert (tmp_path / "a" / "report.html").read_bytes() == (tmp_path / "b" / "report.html").read_bytes()


def test_a_changed_suite_is_scored_afresh_even_with_cached_responses(tmp_path, good_model):
    config = write_gate(tmp_path, good_model.base_url, rows=example_rows(8))
    cache = ["--cache", "--cache-dir", str(tmp_path / "cache")]
    assert run_cli("gate", "--config", str(config), "--out", str(tmp_path / "a"), *cache).returncode == 0
    config.write_text(config.read_text().replace("max: 200", "max: 3"))
    second = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "b"), *cache)
    assert second.returncode == 1
    assert "taken from the cache" not in second.stderr


@pytest.mark.parametrize("path", ["kserve", "completions"])
def test_kserve_path_and_completions_api(tmp_path, good_model, path):
    url = good_model.kserve_base_url if path == "kserve" else good_model.base_url
    endpoint = {"api": "completions"} if path == "completions" else None
    config = write_gate(tmp_path, url, rows=example_rows(6), endpoint=endpoint, suites="", thresholds="")
    proc = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert all(line["output"] == row["answer"] for line, row in zip(lines, example_rows(6)))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_datasets(tmp_path, good_model, fmt):
    import hashlib

    import pandas as pd

    rows = example_rows(5)
    data = tmp_path / f"rows.{fmt}"
    frame = pd.DataFrame(rows)
    frame.to_csv(data, index=False) if fmt == "csv" else frame.to_parquet(data, index=False)
    config = write_gate(tmp_path, good_model.base_url, rows=rows)
    text = config.read_text().replace("path: data.jsonl", f"path: {data.name}")
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    config.write_text(text.split("sha256:")[0] + f'sha256: "{sha}"\n' + text.split("sha256:")[1].split("\n", 1)[1])
    proc = run_cli("gate", "--config", str(config), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [line["row_id"] for line in lines] == [row["id"] for row in rows]
