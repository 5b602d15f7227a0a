"""What a gate run's MLflow run holds, computed from the ``GateResult`` alone (no MLflow needed).

Params say what was gated, metrics what it measured, tags where and with what verdict. None of
them carries a credential: URLs are the result's public ones, and keys are never read here.
"""

from __future__ import annotations

import math
from typing import Any

from .. import __version__
from ..registry._names import metric_key
from ..result import GateResult
from ._context import RunContext

MAX_PARAM_VALUE = 6000  # MLflow's limit on a param value
MAX_TAG_VALUE = 5000
# what marks a run as a gate run (promotion logs runs of its own in the same server)
KIND_TAG, KIND = "gatewise.kind", "gate"
VERDICT_TAG = "gatewise.verdict"
RESULT_SHA_TAG = "gatewise.result_sha256"


def run_params(result: GateResult) -> dict[str, str]:
    judge = result.judge
    values: dict[str, Any] = {
        # the names promotion copies onto a model version (registry._version._PARAM_TAGS)
        "config_sha256": result.config_sha256,
        "config_path": result.config_path,
        "dataset_path": result.dataset_path,
        "dataset_sha256": result.dataset_sha256,
        "dataset_rows": result.verdict.row_count,
        "prompt_sha256": result.prompt_sha256,  # the prompt sent (absent for V2 features)
        "endpoint_url": result.endpoint.base_url,  # public_url: no userinfo, no query
        "endpoint_model": result.endpoint.model,
        "endpoint_model_ids": ",".join(result.endpoint.reported_model_ids),
        "endpoint_api": result.endpoint.api,
        "judge_model": judge.model if judge else None,
        "judge_model_ids": ",".join(judge.reported_model_ids) if judge else None,
        "model_name": result.model_name,
        "repeats": f"auto (max {result.adaptive.max_asks})" if result.adaptive else result.repeats,
        "confidence_level": result.confidence_level,
        "baseline": result.baseline.source if result.baseline else None,
        "gatewise_version": __version__,
        "schema_version": result.schema_version,
    }
    return {key: str(value)[:MAX_PARAM_VALUE] for key, value in values.items() if value not in (None, "")}


def run_metrics(result: GateResult) -> dict[str, float]:
    """Every statistic (``suite.pass_rate``, ``latency_ms.p95`` …) with ``.ci_low`` / ``.ci_high``
    where it has an interval, the baseline's differences, and the verdict as 1/0."""
    out: dict[str, float] = {}

    def put(key: str, value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[key] = float(value)

    for metric, statistics in result.metrics.items():
        for statistic, value in statistics.items():
            key = metric_key(str(metric), str(statistic))
            put(key, value)
            interval = (result.intervals.get(metric) or {}).get(statistic)
            if interval is not None:
                put(f"{key}.ci_low", interval[0])
                put(f"{key}.ci_high", interval[1])
    if result.baseline is not None:
        for item in result.baseline.metrics:
            key = metric_key(f"baseline.{item.metric}", "delta")
            put(key, item.delta)
            if item.interval is not None:
                put(f"{key}.ci_low", item.interval[0])
                put(f"{key}.ci_high", item.interval[1])
    if result.adaptive is not None:
        # repeats: auto: how much re-asking this run needed, comparable across runs
        put("repeats.auto.rounds", result.adaptive.rounds)
        put("repeats.auto.reasked_rows", result.adaptive.reasked_rows)
        put("repeats.auto.extra_calls", result.adaptive.extra_calls)
    put("gate.passed", 1.0 if result.passed else 0.0)
    put("gate.failed_thresholds", len(result.verdict.failed))
    put("gate.rows", result.verdict.row_count)
    put("gate.errors", result.verdict.error_count)
    return out


def run_tags(result: GateResult, context: RunContext, result_sha256: str | None) -> dict[str, str]:
    tags = {
        **context.tags(),
        KIND_TAG: KIND,
        VERDICT_TAG: "passed" if result.passed else "failed",
        "gatewise.passed": "true" if result.passed else "false",
        "gatewise.headline": result.verdict.headline,
        "gatewise.model_name": result.model_name,
        RESULT_SHA_TAG: result_sha256,
    }
    return {key: str(value)[:MAX_TAG_VALUE] for key, value in tags.items() if value}


def run_name(result: GateResult, context: RunContext) -> str:
    name = result.model_name or result.endpoint.model
    where = f"PR #{context.pr_number}" if context.pr_number is not None else context.branch
    sha = f" @ {context.git_sha[:8]}" if context.git_sha else ""
    return f"gate {name}" + (f" {where}" if where else "") + sha

