"""The endpoint client under faults: every row ends with an output or an error, attempts are
recorded, Retry-After is honoured, and a dead endpoint is never a pass."""

from __future__ import annotations

import json
import random

import pytest

from gatewise import cli
from gatewise.config import load_config
from gatewise.endpoint import RetryPolicy, parse_retry_after
from gatewise.errors import EndpointUnreachableError
from gatewise.runner import run_gate
from gatewise.standin import Faults, StandinServer

from ._service import free_port
from .conftest import example_rows, write_gate

ROWS = example_rows(40)


@pytest.fixture
def faulty(answers):
    with StandinServer(answers=answers, quality=1.0) as server:
        yield server


def _run(tmp_path, server, endpoint: dict | None = None, extra: str = ""):
    config = load_config(write_gate(tmp_path, server.base_url, rows=ROWS, endpoint=endpoint,
                                    suites="", thresholds="", extra=extra))
    return run_gate(config)


@pytest.mark.parametrize("faults", [
    Faults(error_rate=0.3, seed=1),
    Faults(rate_limit_rate=0.3, retry_after_s=0.01, seed=2),
    Faults(reset_rate=0.3, seed=3),
    Faults(malformed_rate=0.3, seed=4),
    Faults(hang_rate=0.3, seed=5),
    Faults(error_rate=0.1, rate_limit_rate=0.1, reset_rate=0.1, malformed_rate=0.1, retry_after_s=0.01, seed=6),
], ids=["5xx", "429", "reset", "non-json", "hang", "mixed"])
def test_run_completes_under_faults_with_attempts_recorded(tmp_path, faulty, faults):
    faulty.set_faults(faults)
    result = _run(tmp_path, faulty, endpoint={"timeout_s": 0.5, "max_retries": 8}, extra="max_errors: 40")
    assert len(result.samples) == len(ROWS)
    for sample in result.samples:
        assert (sample.output is None) != (sample.error is None), sample
        assert sample.attempts >= 1
    stats = faulty.stats
    assert sum(stats.by_fault.values()) > 0, "the faults were not exercised"
    # every request the server saw is an attempt the client counted, bar the preflight's model
    # listing (itself retried under faults, at most max_retries + 1 requests)
    attempts = sum(s.attempts for s in result.samples)
    assert stats.requests - 9 <= attempts <= stats.requests - 1
    assert stats.completions >= sum(1 for s in result.samples if s.ok)
    assert sum(1 for s in result.samples if s.attempts > 1) > 0
    assert result.verdict.error_count == sum(1 for s in result.samples if s.error)


def test_rows_that_keep_failing_are_errors_that_fail_the_gate(tmp_path, faulty):
    faulty.set_faults(Faults(error_rate=0.5, seed=7))
    result = _run(tmp_path, faulty, endpoint={"max_retries": 0})
    errored = [s for s in result.samples if s.error]
    assert errored and all("HTTP 50" in s.error and s.attempts == 1 for s in errored)
    assert not result.passed and result.exit_code == 1
    budget = result.verdict.results[0]
    assert budget.threshold.key == "errors.count" and budget.value == len(errored) and not budget.passed


def test_max_errors_tolerates_that_many_errored_rows(tmp_path, faulty):
    faulty.set_faults(Faults(error_rate=0.2, seed=8))
    result = _run(tmp_path, faulty, endpoint={"max_retries": 0}, extra=f"max_errors: {len(ROWS)}")
    assert result.verdict.error_count > 0
    assert result.passed


def test_a_429_is_retried_until_the_server_lets_it_through(tmp_path, faulty):
    import threading

    config = load_config(write_gate(tmp_path, faulty.base_url, rows=ROWS[:1], suites="", thresholds="",
                                    endpoint={"max_retries": 3}))
    faulty.set_faults(Faults(rate_limit_rate=1.0, retry_after_s=0.2))
    # the preflight and the first attempts get 429 + Retry-After; the server heals meanwhile
    timer = threading.Timer(0.3, faulty.set_faults, args=(Faults(),))
    timer.start()
    try:
        result = run_gate(config)
    finally:
        timer.cancel()
    assert result.samples[0].ok
    assert faulty.stats.by_status.get(429, 0) >= 1


def test_retry_after_is_honoured_as_a_floor_of_the_backoff():
    policy = RetryPolicy(max_retries=5, backoff_s=0.01, max_backoff_s=0.02)
    rng = random.Random(0)
    assert all(policy.delay(n, 3.0, rng) >= 3.0 for n in range(1, 6))
    assert all(policy.delay(n, None, rng) <= 0.02 for n in range(1, 6))


@pytest.mark.parametrize("header,expected", [("2", 2.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None), (None, None)])
def test_retry_after_header_parsing(header, expected):
    assert parse_retry_after(header) == expected


def test_retry_after_http_date_is_seconds_from_now():
    from email.utils import formatdate
    import time

    seconds = parse_retry_after(formatdate(time.time() + 30, usegmt=True))
    assert seconds is not None and 25 <= seconds <= 31


def test_gate_fails_closed_when_endpoint_down(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"
    config = write_gate(tmp_path, url, rows=ROWS[:5], endpoint={"max_retries": 1})
    out = tmp_path / "out"
    code = cli.main(["gate", "--config", str(config), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert "cannot reach the model endpoint" in err and url in err
    assert not (out / "gate-result.json").exists()


def test_gate_fails_closed_when_every_call_fails(tmp_path, faulty):
    config = load_config(write_gate(tmp_path, faulty.base_url, rows=ROWS[:5], suites="", thresholds="",
                                    endpoint={"max_retries": 1}))
    # healthy for the preflight's model listing, then every completion is a 503/500
    faulty.set_faults(Faults(error_rate=1.0))
    with pytest.raises(EndpointUnreachableError):
        # the preflight is faulted as well: the run stops before any row
        run_gate(config)


def test_wrong_api_key_is_an_infrastructure_error_naming_the_key_setting(tmp_path, answers, capsys):
    with StandinServer(answers=answers, api_key="right-key") as server:
        config = write_gate(tmp_path, server.base_url, rows=ROWS[:3], endpoint={"api_key": "wrong-key"})
        code = cli.main(["gate", "--config", str(config), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3 and "endpoint.api_key" in err and "wrong-key" not in err


def test_credentials_in_the_endpoint_url_are_never_shown(tmp_path, standin, capsys):
    from gatewise.endpoint import public_url

    assert public_url("https://user:s3cret@host:8443/v1?api_key=s3cret") == "https://host:8443/v1"
    url = standin.base_url.replace("http://", "http://user:s3cret@")
    config = write_gate(tmp_path, url, rows=ROWS[:3], suites="", thresholds="")
    code = cli.main(["gate", "--config", str(config), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    texts = [captured.out, captured.err] + [p.read_text() for p in (tmp_path / "out").iterdir()]
    assert all("s3cret" not in text for text in texts)


def test_a_run_that_cannot_reach_the_endpoint_leaves_no_earlier_verdict_behind(tmp_path, standin, capsys):
    config = write_gate(tmp_path, standin.base_url, rows=ROWS[:3], suites="", thresholds="")
    out = tmp_path / "out"
    assert cli.main(["gate", "--config", str(config), "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "gate-result.json").read_text())["passed"] is True

    (tmp_path / "down").mkdir()
    down = write_gate(tmp_path / "down", f"http://127.0.0.1:{free_port()}/v1", rows=ROWS[:3],
                      endpoint={"max_retries": 0})
    assert cli.main(["gate", "--config", str(down), "--out", str(out), "--quiet"]) == 3
    capsys.readouterr()
    assert not (out / "gate-result.json").exists(), "a stale passing verdict survived a failed run"
    assert not (out / "summary.md").exists()


def test_sampling_settings_reach_the_server_and_the_sample_records_the_reply(tmp_path, answers):
    long_answer = {"q-long": "one two three four five six"}
    rows = [{"id": "q-long", "question": "q-long", "answer": long_answer["q-long"]}]
    with StandinServer(answers=long_answer, model_id="served-as-this") as server:
        config = load_config(write_gate(tmp_path, server.base_url, rows=rows, suites="", thresholds="",
                                        endpoint={"max_tokens": 2, "seed": 7, "temperature": 0.5,
                                                  "model": "served-as-this"}))
        sample = run_gate(config).samples[0]
    # the stand-in cuts its answer at max_tokens words, as a real server stops at max_tokens
    assert sample.output == "one two"
    assert sample.finish_reason == "length"
    assert sample.model_id == "served-as-this"
    assert sample.completion_tokens == 2 and sample.prompt_tokens > 0
    assert [m.role for m in sample.messages] == ["system", "user"]
    assert sample.messages[1].content == "Question: q-long"


def test_a_config_without_api_key_takes_GATEWISE_ENDPOINT_KEY(tmp_path, answers):
    with StandinServer(answers=answers, api_key="from-the-environment") as server:
        config_path = write_gate(tmp_path, server.base_url, rows=ROWS[:2], suites="", thresholds="")
        config = load_config(config_path, env={"GATEWISE_ENDPOINT_KEY": "from-the-environment"})
        assert run_gate(config).passed
        with pytest.raises(EndpointUnreachableError):
            run_gate(load_config(config_path, env={}))
