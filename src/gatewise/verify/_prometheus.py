"""Reading both sides' window from Prometheus' HTTP API (``/api/v1/query``) with PromQL.

Fails closed: Prometheus unreachable, an error answer, or a query that finds no series is an
``InfraError`` (exit 3), never a value of zero.
"""

from __future__ import annotations

import math
import os
from typing import Mapping

from ..config import LATENCY_CHECKS, VerifyConfig
from ..config._verify import PrometheusSourceConfig
from ..endpoint import public_url
from ..errors import InfraError, InputError
from ._window import Histogram, Observed, SideMetrics

COMPLETIONS = 'handler=~".*completions"'
ERRORS = 'status="5xx"'


class PrometheusError(InfraError):
    """Prometheus could not be reached, answered with an error, or a query found no series."""


def observe_prometheus(verify: VerifyConfig, environ: Mapping[str, str] | None = None) -> Observed:
    settings = verify.metrics.prometheus
    assert settings is not None
    client = _client(settings, os.environ if environ is None else environ)
    with client:
        histograms = sorted({LATENCY_CHECKS[n][0] for n in verify.checks if n in LATENCY_CHECKS})
        sides = {side: _side(client, settings, matchers, histograms)
                 for side, matchers in (("canary", settings.canary), ("champion", settings.champion))}
        custom = {name: tuple(_scalar(client, settings, _fill(check.query, matchers, settings.window))
                              for matchers in (settings.canary, settings.champion))
                  for name, check in verify.checks.items() if check.query is not None}
    return Observed(sides["canary"], sides["champion"], window=settings.window,
                    source=f"Prometheus {public_url(settings.url)}", custom=custom)


def _client(settings: PrometheusSourceConfig, environ: Mapping[str, str]):
    import httpx

    headers = {}
    if settings.token_env is not None:
        token = environ.get(settings.token_env)
        if not token:
            raise InputError(f"verify.metrics.prometheus.token_env names {settings.token_env}, which is not set")
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=settings.url, headers=headers, timeout=settings.timeout_s)


def _selector(matchers: str, *extra: str) -> str:
    return "{" + ",".join(m for m in (matchers, *extra) if m) + "}"


def _fill(query: str, matchers: str, window: str) -> str:
    # plain replace: PromQL is full of braces that str.format would take for fields
    return query.replace("{selector}", _selector(matchers)).replace("{window}", window)


def _side(client, settings: PrometheusSourceConfig, matchers: str, histograms: list[str]) -> SideMetrics:
    window = settings.window
    requests = _scalar(client, settings, f"sum(increase(http_requests_total{_selector(matchers, COMPLETIONS)}[{window}]))")
    errors = _scalar(client, settings,
                     f"sum(increase(http_requests_total{_selector(matchers, COMPLETIONS, ERRORS)}[{window}]))")
    found = {}
    for metric in histograms:
        series = _vector(client, settings, f"sum by (le) (increase({metric}_bucket{_selector(matchers)}[{window}]))")
        buckets = sorted((float(s["metric"]["le"]), float(s["value"][1])) for s in series)
        found[metric] = Histogram(tuple(buckets))
    return SideMetrics(requests=requests, errors=errors, histograms=found)


def _scalar(client, settings: PrometheusSourceConfig, query: str) -> float:
    series = _vector(client, settings, query)
    if len(series) != 1:
        raise PrometheusError(f"query {query!r} returned {len(series)} series; it must return one")
    value = float(series[0]["value"][1])
    if math.isnan(value):
        raise PrometheusError(f"query {query!r} returned NaN (no samples in the window?)")
    return value


def _vector(client, settings: PrometheusSourceConfig, query: str) -> list[dict]:
    import httpx

    where = public_url(settings.url)
    try:
        response = client.get("/api/v1/query", params={"query": query})
    except httpx.HTTPError as exc:
        raise PrometheusError(f"Prometheus at {where} is unreachable ({type(exc).__name__}); nothing decided") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 400 and body.get("errorType") == "bad_data":
        raise InputError(f"Prometheus refused the query {query!r}: {body.get('error', '')[:300]}")
    if response.status_code != 200 or body.get("status") != "success":
        raise PrometheusError(f"Prometheus at {where} answered {response.status_code} to {query!r}: "
                              f"{str(body.get('error', ''))[:300]}")
    data = body.get("data", {})
    if data.get("resultType") == "scalar":
        return [{"metric": {}, "value": data["result"]}]
    result = data.get("result") or []
    if not result:
        raise PrometheusError(f"query {query!r} returned no series: check the selectors and that Prometheus "
                              "scrapes the servers; nothing decided")
    return result
