"""``gatewise verify`` against a real Prometheus scraping stand-ins that serve vLLM's metric names:
complete, roll back, wait, and fail closed."""

from __future__ import annotations

import pytest

from gatewise.cli import main
from gatewise.standin import Faults, StandinServer

from .mlflow_server import free_port
from .prometheus_server import PrometheusServer, require_prometheus
from .verify_support import read_result, send_traffic, write_verify_gate

REQUESTS = {"champion": 300, "canary_same": 200, "canary_slow": 200, "canary_errors": 200, "canary_poor": 200,
            "canary_idle": 20}
COMPLETIONS = 'handler=~".*completions"'


@pytest.fixture(scope="module")
def fleet(answers, tmp_path_factory):
    """Stand-ins for the champion and each kind of canary, traffic sent, scraped by Prometheus."""
    binary = require_prometheus()
    healthy = Faults(latency_ms=20, jitter_ms=5, seed=1)
    kinds = {"champion": dict(faults=healthy), "canary_same": dict(faults=Faults(latency_ms=20, jitter_ms=5, seed=2)),
             "canary_slow": dict(faults=Faults(latency_ms=80, jitter_ms=5, seed=3)),
             "canary_errors": dict(faults=Faults(latency_ms=20, jitter_ms=5, error_rate=0.2, seed=4)),
             "canary_poor": dict(faults=healthy, quality=0.4, seed=5), "canary_idle": dict(faults=healthy)}
    servers = {job: StandinServer(answers=answers, **{"quality": 1.0, **settings}).start()
               for job, settings in kinds.items()}
    try:
        targets = {job: f"127.0.0.1:{server.port}" for job, server in servers.items()}
        with PrometheusServer(tmp_path_factory.mktemp("prometheus"), targets, binary) as prometheus:
            for job in servers:  # scraped at 0 before any traffic, as a server that was up before the sync
                prometheus.wait_for(f'count_over_time(up{{job="{job}"}}[1h])', 2)
            for job, server in servers.items():
                send_traffic(server.base_url, REQUESTS[job])
            for job, n in REQUESTS.items():
                prometheus.wait_for(f'sum(http_requests_total{{job="{job}",{COMPLETIONS}}})', n)
            yield prometheus, servers
    finally:
        for server in servers.values():
            server.stop()


def verify_yaml(prometheus_url: str, canary: str, *, quality: str = "", checks: str | None = None,
                min_requests: int = 100) -> str:
    checks = checks or """
    latency_p95: { max_ratio: 1.5 }
    ttft_p95: { max_ratio: 1.5, max: 5 }
    error_rate: { max_increase: 0.02 }"""
    return f"""  metrics:
    prometheus:
      url: {prometheus_url}
      window: 1h
      canary: 'job="{canary}"'
      champion: 'job="champion"'
  min_requests: {min_requests}
  checks:{checks}
{quality}  on_complete: report
  on_rollback: report
"""


def quality_yaml(servers, canary: str) -> str:
    return f"""  quality:
    canary_url: {servers[canary].base_url}
    champion_url: {servers['champion'].base_url}
    sample: 12
"""


def run_verify(tmp_path, capsys, yaml: str) -> tuple[int, str, dict | None]:
    config = write_verify_gate(tmp_path, yaml)
    out = tmp_path / "verify-out"
    code = main(["verify", "--config", str(config), "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    result = read_result(out) if (out / "verify-result.json").exists() else None
    return code, captured.out + captured.err, result


def test_a_canary_as_good_as_the_champion_completes(fleet, tmp_path, capsys):
    prometheus, servers = fleet
    code, output, result = run_verify(tmp_path, capsys, verify_yaml(prometheus.url, "canary_same",
                                                                    quality=quality_yaml(servers, "canary_same")))
    assert code == 0, output
    assert result["outcome"] == "complete" and "COMPLETE" in output
    assert result["traffic"]["canary"]["requests"] >= 190
    checks = {(c["check"], c["compared"]): c for c in result["checks"]}
    assert set(checks) == {("latency_p95", "ratio"), ("ttft_p95", "ratio"), ("ttft_p95", "absolute"),
                           ("error_rate", "increase")}
    latency = checks["latency_p95", "ratio"]
    assert 0.005 < latency["value"] < 0.05 and 0.005 < latency["champion"] < 0.05
    low, high = latency["interval"]
    # a bootstrap whose draws all land on one point gives a point interval: allow float rounding
    assert low - 1e-9 <= latency["statistic"] <= high + 1e-9 and latency["limit"] == "<= 1.5 x champion"
    assert result["quality"]["passed"] is True and result["quality"]["rows"] == 12  # the sample, of 20
    assert (tmp_path / "verify-out" / "quality" / "gate-result.json").is_file()
    assert "only reported" in " ".join(result["actions"])


def test_a_slower_canary_rolls_back(fleet, tmp_path, capsys):
    prometheus, _ = fleet
    code, output, result = run_verify(tmp_path, capsys, verify_yaml(prometheus.url, "canary_slow"))
    assert code == 1, output
    failed = {(c["check"], c["compared"]) for c in result["checks"] if not c["passed"]}
    assert ("latency_p95", "ratio") in failed and ("error_rate", "increase") not in failed
    assert "ROLL BACK" in output and "latency_p95" in output


def test_a_canary_with_more_errors_rolls_back(fleet, tmp_path, capsys):
    prometheus, _ = fleet
    code, output, result = run_verify(tmp_path, capsys, verify_yaml(prometheus.url, "canary_errors"))
    assert code == 1, output
    errors = next(c for c in result["checks"] if c["check"] == "error_rate")
    assert not errors["passed"] and 0.1 < errors["value"] < 0.3 and errors["champion"] == 0
    assert errors["interval"][0] > 0


def test_a_canary_with_lower_quality_rolls_back(fleet, tmp_path, capsys):
    prometheus, servers = fleet
    code, output, result = run_verify(tmp_path, capsys, verify_yaml(prometheus.url, "canary_poor",
                                                                    quality=quality_yaml(servers, "canary_poor")))
    assert code == 1, output
    assert all(c["passed"] for c in result["checks"])  # its serving metrics are fine
    assert result["quality"]["passed"] is False
    correctness = next(m for m in result["quality"]["baseline"]["metrics"] if m["metric"] == "correctness")
    assert correctness["delta"] < 0 and correctness["interval"][1] < 0


def test_too_little_traffic_waits(fleet, tmp_path, capsys):
    prometheus, _ = fleet
    code, output, result = run_verify(tmp_path, capsys, verify_yaml(prometheus.url, "canary_idle"))
    assert code == 4, output
    assert result["outcome"] == "wait" and result["checks"] == []
    assert "fewer than min_requests 100" in output


def test_prometheus_down_is_exit_3(fleet, tmp_path, capsys):
    code, output, result = run_verify(tmp_path, capsys, verify_yaml(f"http://127.0.0.1:{free_port()}", "canary_same"))
    assert code == 3, output
    assert "unreachable" in output and result is None


def test_a_query_without_series_is_exit_3(fleet, tmp_path, capsys):
    prometheus, _ = fleet
    code, output, result = run_verify(tmp_path, capsys, verify_yaml(prometheus.url, "nobody"))
    assert code == 3, output
    assert "no series" in output and result is None


def test_a_custom_promql_check_compares_both_sides(fleet, tmp_path, capsys):
    prometheus, _ = fleet
    checks = """
    mean_latency:
      query: 'sum(increase(vllm:e2e_request_latency_seconds_sum{selector}[{window}])) / sum(increase(vllm:e2e_request_latency_seconds_count{selector}[{window}]))'
      max_ratio: 1.5"""
    code, output, result = run_verify(tmp_path, capsys, verify_yaml(prometheus.url, "canary_slow", checks=checks))
    assert code == 1, output
    (check,) = result["checks"]
    assert check["check"] == "mean_latency" and check["statistic"] > 2
