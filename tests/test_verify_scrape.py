"""``gatewise verify`` without Prometheus: both stand-ins' own ``/metrics`` scraped at the start and
the end of the window, traffic flowing in between; and the stand-in's ``/metrics`` itself."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gatewise.cli import main
from gatewise.standin import Faults, StandinServer
from gatewise.config import load_config
from gatewise.verify import CheckResult, Decision, Histogram, Observed, SideMetrics, summary_lines, verify

from .mlflow_server import free_port
from .verify_support import read_result, send_traffic, write_verify_gate


def scrape_yaml(canary: str, champion: str, *, min_requests: int = 60) -> str:
    return f"""  metrics:
    scrape:
      canary: {canary}
      champion: {champion}
      window_s: 1.5
  min_requests: {min_requests}
  checks:
    latency_p95: {{ max_ratio: 1.5 }}
    error_rate: {{ max_increase: 0.02 }}
  on_complete: report
  on_rollback: report
"""


def verify_during_traffic(tmp_path, canary: StandinServer, champion: StandinServer, n: int = 150,
                          **options) -> tuple[Decision, dict]:
    """Verify, with the window's traffic sent between the two scrapes (in place of the wait)."""
    config = load_config(write_verify_gate(tmp_path, scrape_yaml(canary.root_url + "/metrics",
                                                                 champion.root_url + "/metrics", **options)))
    windows: list[float] = []

    def window(seconds: float) -> None:
        windows.append(seconds)
        send_traffic(canary.base_url, n)
        send_traffic(champion.base_url, n)

    decision = verify(config, out_dir=tmp_path / "out", github_client_factory=_no_github, sleep=window)
    assert windows == [1.5]
    return decision, read_result(tmp_path / "out")


def _no_github(token, api_url):
    raise AssertionError("report-only actions must not reach GitHub")


@pytest.fixture(scope="module")
def champion(answers):
    with StandinServer(answers=answers, faults=Faults(latency_ms=20, jitter_ms=5, seed=1)) as server:
        yield server


def test_a_canary_as_good_as_the_champion_completes_from_direct_scrapes(tmp_path, answers, champion):
    with StandinServer(answers=answers, faults=Faults(latency_ms=20, jitter_ms=5, seed=2)) as canary:
        send_traffic(canary.base_url, 40)  # before the window: must not count
        decision, result = verify_during_traffic(tmp_path, canary, champion)
    assert decision.outcome == "complete" and decision.exit_code == 0, summary_lines(decision)
    assert result["traffic"]["canary"]["requests"] == 150
    assert result["traffic"]["champion"]["requests"] == 150


def test_a_canary_with_more_errors_rolls_back_from_direct_scrapes(tmp_path, answers, champion):
    with StandinServer(answers=answers, faults=Faults(latency_ms=20, jitter_ms=5, error_rate=0.25, seed=3)) as canary:
        decision, result = verify_during_traffic(tmp_path, canary, champion)
    assert decision.exit_code == 1
    errors = next(c for c in result["checks"] if c["check"] == "error_rate")
    assert not errors["passed"] and errors["value"] > 0.1


def test_too_little_traffic_in_the_window_waits(tmp_path, answers, champion):
    with StandinServer(answers=answers) as canary:
        decision, _ = verify_during_traffic(tmp_path, canary, champion, n=10)
    assert decision.outcome == "wait" and decision.exit_code == 4


def test_an_unreachable_metrics_url_is_exit_3(tmp_path, capsys, champion):
    dead = f"http://127.0.0.1:{free_port()}/metrics"
    config = write_verify_gate(tmp_path, scrape_yaml(dead, champion.root_url + "/metrics"))
    assert main(["verify", "--config", str(config), "--out", str(tmp_path / "out")]) == 3
    assert "unreachable" in capsys.readouterr().err
    assert not (tmp_path / "out" / "verify-result.json").exists()


def scraped(server: StandinServer, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` with these labels, read with prometheus_client's parser."""
    text = httpx.get(server.root_url + "/metrics").text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_the_standin_serves_vllm_metric_names_per_instance(answers):
    with StandinServer(answers=answers) as one, StandinServer(answers=answers, faults=Faults(error_rate=1.0)) as two:
        send_traffic(one.base_url, 5)
        send_traffic(two.base_url, 3)
        assert scraped(one, "vllm:e2e_request_latency_seconds_count", model_name="standin-model") == 5
        assert scraped(one, "vllm:time_to_first_token_seconds_count") == 5
        assert scraped(one, "vllm:request_success_total", finished_reason="stop") == 5
        assert scraped(one, "http_requests_total", handler="/v1/chat/completions", status="2xx") == 5
        # its own registry: the failing stand-in's errors are not the first one's
        assert scraped(one, "http_requests_total", status="5xx") == 0
        assert scraped(two, "http_requests_total", handler="/v1/chat/completions", status="5xx") == 3
        assert scraped(two, "vllm:request_success_total") == 0


def test_histogram_quantiles_follow_prometheus_interpolation():
    histogram = Histogram(((0.1, 10.0), (0.2, 30.0), (0.4, 40.0), (float("inf"), 40.0)))
    assert histogram.quantile(0.25) == pytest.approx(0.1)
    assert histogram.quantile(0.5) == pytest.approx(0.15)
    assert histogram.quantile(0.875) == pytest.approx(0.3)
    assert Histogram(((0.1, 0.0), (float("inf"), 0.0))).quantile(0.5) is None


def test_the_decision_prints_numbers_as_the_gate_reports_do():
    """Four significant digits, no exponent, float residue as 0, one request singular."""
    latency = CheckResult("latency_p95", "increase", 12345.678, 12345.678, 6.9e-18, (-4.2e-05, 12000.0),
                          "<= champion + 1000000", True)
    observed = Observed(SideMetrics(1.0, 0.0), SideMetrics(15000.0, 2.0), window="60 s", source="scrapes")
    lines = "\n".join(summary_lines(Decision("complete", ("1 serving check held",), (latency,), observed)))
    assert "e+" not in lines and "e-" not in lines
    assert "canary 1 request (0 5xx), champion 15,000 (2 5xx)" in lines
    assert "canary    12,346 champion    12,346 ->        0 [-0.000042, 12,000]" in lines
