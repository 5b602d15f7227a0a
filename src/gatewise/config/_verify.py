"""``verify:``: how ``gatewise verify`` judges a live canary against the champion after the sync.

Where the serving metrics come from (Prometheus, or the two servers' own ``/metrics``), the
checks over them, how much traffic it takes to decide, the paired quality check, and what each
outcome does.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._strict import StrictModel, error_at

# checks by name over vLLM's own metrics; a custom check gives its own PromQL ``query``
LATENCY_CHECKS = {f"{kind}_p{q}": (metric, q) for kind, metric in
                  (("latency", "vllm:e2e_request_latency_seconds"), ("ttft", "vllm:time_to_first_token_seconds"))
                  for q in (50, 90, 95, 99)}
BUILTIN_CHECKS = (*LATENCY_CHECKS, "error_rate")
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h|d)$")
_VARIABLE = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _http(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


class PrometheusSourceConfig(StrictModel):
    """PromQL over Prometheus' HTTP API; ``canary`` and ``champion`` are label matchers that
    tell their series apart (e.g. KServe's revision or pod labels)."""

    url: str = Field(min_length=1, description="Prometheus, e.g. http://prometheus:9090")
    token_env: str | None = Field(None, pattern=_VARIABLE, description="variable holding a bearer token")
    window: str = Field("10m", description="PromQL range the increases are taken over, e.g. 10m")
    canary: str = Field(min_length=1, description='label matchers of the canary, e.g. pod=~"qa-predictor-00002-.*"')
    champion: str = Field(min_length=1, description="label matchers of the champion")
    timeout_s: float = Field(10.0, gt=0)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http(value)

    @field_validator("window")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError("must be a PromQL duration such as 30s, 10m or 1h")
        return value

    @field_validator("canary", "champion")
    @classmethod
    def _matchers(cls, value: str) -> str:
        return value.strip().removeprefix("{").removesuffix("}").strip()


class ScrapeSourceConfig(StrictModel):
    """No Prometheus: scrape both servers' ``/metrics`` at the start and the end of a window."""

    canary: str = Field(min_length=1, description="the canary's metrics URL, e.g. http://latest-qa/metrics")
    champion: str = Field(min_length=1, description="the champion's metrics URL")
    window_s: float = Field(60.0, gt=0, le=86_400, description="seconds between the two scrapes")
    timeout_s: float = Field(10.0, gt=0)

    @field_validator("canary", "champion")
    @classmethod
    def _urls(cls, value: str) -> str:
        return _http(value)


class MetricsSourceConfig(StrictModel):
    prometheus: PrometheusSourceConfig | None = None
    scrape: ScrapeSourceConfig | None = None

    @model_validator(mode="after")
    def _one(self) -> "MetricsSourceConfig":
        if (self.prometheus is None) == (self.scrape is None):
            raise ValueError("give exactly one of verify.metrics.prometheus and verify.metrics.scrape")
        return self


class VerifyCheckConfig(StrictModel):
    """Limits on one metric, lower is better: relative to the champion and absolute."""

    query: str | None = Field(None, min_length=1, description="PromQL for a custom check; {selector} and {window} "
                                                              "are filled per side")
    max_ratio: float | None = Field(None, gt=0, description="canary <= max_ratio x champion")
    max_increase: float | None = Field(None, ge=0, description="canary <= champion + max_increase")
    max: float | None = Field(None, description="canary <= max, whatever the champion does")

    @model_validator(mode="after")
    def _some_limit(self) -> "VerifyCheckConfig":
        if self.max_ratio is None and self.max_increase is None and self.max is None:
            raise ValueError("a check needs at least one of max_ratio, max_increase and max")
        return self


class QualityCheckConfig(StrictModel):
    """The gate's dataset (or a sample) sent to canary and champion, compared paired."""

    canary_url: str = Field(min_length=1, description="the canary's OpenAI base URL (KServe: the latest- tag URL)")
    champion_url: str = Field(min_length=1, description="the champion's OpenAI base URL (KServe: the prev- tag URL)")
    sample: int | None = Field(None, ge=1, description="rows drawn from the dataset (JSONL); absent: every row")
    seed: int = 0
    max_regression: float = Field(0.02, ge=0.0, le=1.0)
    confidence: float = Field(0.99, ge=0.5, lt=1.0)
    rule: Literal["significant", "confident", "point"] = "significant"

    @field_validator("canary_url", "champion_url")
    @classmethod
    def _urls(cls, value: str) -> str:
        return _http(value)


def _default_checks() -> dict[str, VerifyCheckConfig]:
    return {"latency_p95": VerifyCheckConfig(max_ratio=1.2), "error_rate": VerifyCheckConfig(max_increase=0.01)}


class VerifyConfig(StrictModel):
    metrics: MetricsSourceConfig
    min_requests: int = Field(100, ge=1, description="completion requests each side must have served")
    checks: dict[str, VerifyCheckConfig] = Field(default_factory=_default_checks)
    rule: Literal["significant", "confident", "point"] = Field(
        "significant", description="as baseline.rule: significant fails on a limit exceeded beyond noise")
    confidence: float = Field(0.95, ge=0.5, lt=1.0, description="two-sided level of the checks' intervals")
    quality: QualityCheckConfig | None = None
    on_complete: Literal["pr", "report"] = Field("pr", description="pr: open the completion PR, move champion")
    on_rollback: Literal["pr", "report"] = Field("pr", description="pr: open the rollback PR, mark the version")

    @model_validator(mode="after")
    def _known_checks(self) -> "VerifyConfig":
        for name, check in self.checks.items():
            if check.query is None and name not in BUILTIN_CHECKS:
                raise error_at(("checks", name), f"no built-in check {name!r} (one of: {', '.join(BUILTIN_CHECKS)}); "
                                                 "a custom check needs a query")
            if check.query is not None and self.metrics.prometheus is None:
                raise error_at(("checks", name, "query"), "a PromQL query needs verify.metrics.prometheus")
        return self
