"""The ``verify:`` section: what it accepts, and errors that name file, line and key."""

from __future__ import annotations

import pytest

from gatewise.cli import main
from gatewise.config import load_config

from .verify_support import write_verify_gate

SCRAPE = """  metrics:
    scrape: { canary: "http://127.0.0.1:9/metrics", champion: "http://127.0.0.1:9/metrics" }
"""


def test_defaults_check_p95_latency_and_error_rate_and_open_prs(tmp_path):
    verify = load_config(write_verify_gate(tmp_path, SCRAPE)).verify
    assert verify.min_requests == 100 and verify.rule == "significant"
    assert {name: (c.max_ratio, c.max_increase) for name, c in verify.checks.items()} == {
        "latency_p95": (1.2, None), "error_rate": (None, 0.01)}
    assert (verify.on_complete, verify.on_rollback) == ("pr", "pr")


@pytest.mark.parametrize("section,key,words", [
    ("  metrics: {}\n", "verify.metrics", "exactly one of verify.metrics.prometheus and verify.metrics.scrape"),
    (SCRAPE + "  checks:\n    latency_p97: { max_ratio: 1.2 }\n", "verify.checks.latency_p97", "no built-in check"),
    (SCRAPE + "  checks:\n    latency_p95: {}\n", "verify.checks.latency_p95", "at least one of max_ratio"),
    (SCRAPE + "  checks:\n    mine: { query: 'up{selector}', max: 1 }\n", "verify.checks.mine.query",
     "needs verify.metrics.prometheus"),
    (SCRAPE + "  on_complete: merge\n", "verify.on_complete", "'pr' or 'report'"),
    ("  metrics:\n    prometheus: { url: http://p:9090, canary: 'a=\"1\"', champion: 'a=\"2\"', window: 10 minutes }\n",
     "verify.metrics.prometheus.window", "PromQL duration"),
    (SCRAPE + "  min_request: 5\n", "verify.min_request", "unknown key"),
])
def test_a_bad_verify_section_names_file_line_and_key(tmp_path, capsys, section, key, words):
    config = write_verify_gate(tmp_path, section)
    assert main(["verify", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}:" in err and f"[{key}]" in err and words in err, err


def test_a_config_without_verify_is_bad_input(tmp_path, capsys):
    config = write_verify_gate(tmp_path, SCRAPE).read_text().split("verify:")[0]
    (tmp_path / "plain.yaml").write_text(config)
    assert main(["verify", "--config", str(tmp_path / "plain.yaml")]) == 2
    assert "needs a verify: section" in capsys.readouterr().err


def test_pr_actions_without_a_promote_section_are_bad_input(tmp_path, capsys):
    assert main(["verify", "--config", str(write_verify_gate(tmp_path, SCRAPE))]) == 2
    assert "[verify]" in (err := capsys.readouterr().err) and "needs a promote: section" in err


def test_a_named_prometheus_token_that_is_not_set_is_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NO_SUCH_PROMETHEUS_TOKEN", raising=False)
    section = """  metrics:
    prometheus: { url: "http://127.0.0.1:9", token_env: NO_SUCH_PROMETHEUS_TOKEN, canary: 'job="a"', champion: 'job="b"' }
  on_complete: report
  on_rollback: report
"""
    assert main(["verify", "--config", str(write_verify_gate(tmp_path, section))]) == 2
    assert "NO_SUCH_PROMETHEUS_TOKEN, which is not set" in capsys.readouterr().err
