"""A real Prometheus (Debian's ``prometheus`` binary) on 127.0.0.1, scraping given targets every
second, with a temporary config and storage dir; started in its own process group.

Tests that need it skip, naming the reason, only when no ``prometheus`` binary can be found;
``.ci/run`` installs it, so CI always runs them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Mapping

import httpx
import pytest

from ._service import ServiceProcess, answers, free_port

START_TIMEOUT_S = 60.0


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or next(
        (p for p in ("/usr/bin/prometheus", "/usr/local/bin/prometheus") if os.access(p, os.X_OK)), None)


def require_prometheus() -> str:
    binary = prometheus_binary()
    if binary is None:
        pytest.skip("no prometheus binary on PATH (apt-get install -y prometheus; .ci/run installs it)")
    return binary


class PrometheusServer:
    """``with PrometheusServer(dir, {"job": "127.0.0.1:PORT"}) as prom: prom.url``."""

    def __init__(self, directory: Path, targets: Mapping[str, str], binary: str) -> None:
        self.directory, self.targets, self.binary = Path(directory), dict(targets), binary
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._service = ServiceProcess("prometheus", self.directory / "prometheus.log", term_wait_s=20.0)

    def start(self) -> "PrometheusServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                  "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [target]}]}
                                     for job, target in self.targets.items()]}
        (self.directory / "prometheus.yml").write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
        command = [self.binary, f"--config.file={self.directory / 'prometheus.yml'}",
                   f"--storage.tsdb.path={self.directory / 'data'}",
                   f"--web.listen-address=127.0.0.1:{self.port}"]
        self._service.start(command, ready=lambda: answers(self.url + "/-/ready", timeout_s=1),
                            timeout_s=START_TIMEOUT_S, cwd=self.directory, poll_s=0.2)
        return self

    def query(self, promql: str) -> list[dict]:
        body = httpx.get(self.url + "/api/v1/query", params={"query": promql}, timeout=5).json()
        return body["data"]["result"]

    def wait_for(self, promql: str, at_least: float, timeout_s: float = 30.0) -> None:
        """Until the query's single value reaches ``at_least``: the scrapes have caught up."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            result = self.query(promql)
            if result and float(result[0]["value"][1]) >= at_least:
                return
            time.sleep(0.25)
        raise AssertionError(f"{promql} did not reach {at_least} within {timeout_s:g} s: {self.query(promql)}")

    def stop(self) -> None:
        self._service.stop()

    def __enter__(self) -> "PrometheusServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
