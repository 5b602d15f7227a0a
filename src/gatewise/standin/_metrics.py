"""The stand-in's ``/metrics``: vLLM's metric names in Prometheus' text format, so the queries that
work against the stand-in are the ones that work against a real vLLM.

Names follow vLLM's server (``vllm:e2e_request_latency_seconds``, ``vllm:time_to_first_token_seconds``,
``vllm:request_success_total``) and the ``http_requests_total{handler, method, status}`` counter
that vLLM's API server exports through prometheus-fastapi-instrumentator (status ``2xx``/``5xx``).
Each stand-in has its own registry, so two stand-ins in one process never share a counter.
"""

from __future__ import annotations

from typing import Sequence

# vLLM's TTFT buckets, with its end-to-end ones above them: the stand-in answers in milliseconds,
# where vLLM's own e2e buckets (from 0.3 s) would put every request in the first bucket.
BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0,
           2.5, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0)
E2E = "vllm:e2e_request_latency_seconds"
TTFT = "vllm:time_to_first_token_seconds"
SUCCESS = "vllm:request_success_total"
HTTP = "http_requests_total"


class StandinMetrics:
    """The counters and histograms of one stand-in, written per answered completion."""

    def __init__(self, model_name: str, handlers: Sequence[str]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self._model = model_name
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["model_name"]
        self._e2e = Histogram(E2E, "Histogram of end to end request latency in seconds.", labels,
                              buckets=BUCKETS, registry=self.registry)
        self._ttft = Histogram(TTFT, "Histogram of time to first token in seconds.", labels,
                               buckets=BUCKETS, registry=self.registry)
        self._success = Counter(SUCCESS.removesuffix("_total"), "Count of successfully processed requests.",
                                [*labels, "finished_reason"], registry=self.registry)
        self._http = Counter(HTTP.removesuffix("_total"), "Total number of requests by method, status and handler.",
                             ["handler", "method", "status"], registry=self.registry)
        # every series exists from the start at 0, as on a warm server: Prometheus' increase()
        # then counts the first request, and a query that finds no series means a wrong selector
        self._e2e.labels(model_name)
        self._ttft.labels(model_name)
        self._success.labels(model_name, "stop")
        for handler in handlers:
            for status in ("2xx", "4xx", "5xx"):
                self._http.labels(handler, "POST", status)

    def observe(self, handler: str, status: int, latency_s: float) -> None:
        """One completion request answered with ``status`` after ``latency_s`` seconds."""
        self._http.labels(handler, "POST", f"{status // 100}xx").inc()
        if status == 200:
            # the whole reply is one piece here, so its first token came with its last
            self._e2e.labels(self._model).observe(latency_s)
            self._ttft.labels(self._model).observe(latency_s)
            self._success.labels(self._model, "stop").inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition body and its content type, as Prometheus scrapes it."""
        from prometheus_client import generate_latest
        from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

        # 0.0.4: the text format every Prometheus 2.x reads, as vLLM serves it
        return generate_latest(self.registry), CONTENT_TYPE_PLAIN_0_0_4
