"""Without Prometheus: scrape both servers' ``/metrics`` at the start and the end of the window
and take the counters' and histograms' increases, parsed by ``prometheus_client``'s parser."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Callable

from ..config import LATENCY_CHECKS, VerifyConfig
from ..endpoint import public_url
from ..errors import InfraError
from ._window import Histogram, Observed, SideMetrics

Sample = tuple[str, tuple[tuple[str, str], ...]]  # sample name, sorted labels


class ScrapeError(InfraError):
    """A server's ``/metrics`` could not be read, or lacks the metrics the checks need."""


def observe_scrape(verify: VerifyConfig, *, sleep: Callable[[float], None] = time.sleep) -> Observed:
    import httpx

    settings = verify.metrics.scrape
    assert settings is not None
    urls = {"canary": settings.canary, "champion": settings.champion}
    with httpx.Client(timeout=settings.timeout_s) as client:
        start = {side: _scrape(client, url) for side, url in urls.items()}
        sleep(settings.window_s)
        end = {side: _scrape(client, url) for side, url in urls.items()}
    histograms = sorted({LATENCY_CHECKS[n][0] for n in verify.checks if n in LATENCY_CHECKS})
    sides = {side: _side(start[side], end[side], histograms, public_url(url)) for side, url in urls.items()}
    return Observed(sides["canary"], sides["champion"], window=f"{settings.window_s:g} s",
                    source=f"/metrics of {public_url(settings.canary)} and {public_url(settings.champion)}")


def _scrape(client, url: str) -> dict[Sample, float]:
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise ScrapeError(f"{public_url(url)} is unreachable ({type(exc).__name__}); nothing decided") from None
    if response.status_code != 200:
        raise ScrapeError(f"{public_url(url)} answered {response.status_code}; nothing decided")
    values: dict[Sample, float] = {}
    try:
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    except ValueError as exc:
        raise ScrapeError(f"{public_url(url)} did not answer Prometheus' text format: {exc}") from None
    return values


def _increase(start: dict[Sample, float], end: dict[Sample, float], where: str):
    """Each sample's increase; a series that is new at the end counts from zero."""
    for key, value in end.items():
        before = start.get(key, 0.0)
        if value < before:
            raise ScrapeError(f"{key[0]} went down at {where}: the server restarted during the window; "
                              "nothing decided")
        yield key, value - before


def _side(start, end, histograms: list[str], where: str) -> SideMetrics:
    requests = errors = 0.0
    seen_requests = False
    buckets: dict[str, dict[float, float]] = {m: defaultdict(float) for m in histograms}
    for (name, labels), delta in _increase(start, end, where):
        tags = dict(labels)
        if name == "http_requests_total" and tags.get("handler", "").endswith("completions"):
            seen_requests = True
            requests += delta
            errors += delta if tags.get("status") == "5xx" else 0.0
        elif name.endswith("_bucket") and name.removesuffix("_bucket") in buckets and "le" in tags:
            buckets[name.removesuffix("_bucket")][float(tags["le"])] += delta
    if not seen_requests:
        raise ScrapeError(f"{where} serves no http_requests_total{{handler=~\".*completions\"}}; nothing decided")
    missing = [m for m, b in buckets.items() if not b]
    if missing:
        raise ScrapeError(f"{where} serves no {', '.join(missing)}; nothing decided")
    return SideMetrics(requests, errors, {m: Histogram(tuple(sorted(b.items()))) for m, b in buckets.items()})
