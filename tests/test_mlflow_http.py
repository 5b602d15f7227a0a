"""Every CLI command talks to MLflow with bounded retries and timeouts, unless the job set its own."""

from __future__ import annotations

import os

from gatewise import cli, commands
from gatewise.mlflow_http import HTTP_LIMITS


def _seen_by_handler(monkeypatch) -> dict:
    seen: dict = {}

    def handler(args):
        seen.update({key: os.environ.get(key) for key in HTTP_LIMITS})
        return 0

    monkeypatch.setattr(commands, "validate", handler)
    assert cli.main(["validate", "--config", "unused.yaml"]) == 0
    return seen


def test_commands_run_with_mlflows_retries_bounded_and_the_environment_is_put_back(monkeypatch):
    for key in HTTP_LIMITS:
        monkeypatch.delenv(key, raising=False)
    assert _seen_by_handler(monkeypatch) == HTTP_LIMITS
    assert not any(key in os.environ for key in HTTP_LIMITS)


def test_a_job_that_sets_mlflows_retries_keeps_its_own(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "4")
    seen = _seen_by_handler(monkeypatch)
    assert seen["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "4"
    assert seen["MLFLOW_HTTP_REQUEST_TIMEOUT"] == HTTP_LIMITS["MLFLOW_HTTP_REQUEST_TIMEOUT"]
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "4"
