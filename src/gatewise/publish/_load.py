"""Reading a gate run back from its ``--out`` directory: ``gate-result.json`` (required) and
``results.jsonl`` (for the failing rows), into the same ``GateResult`` the gate wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Threshold
from ..endpoint import ConcurrencyStats
from ..errors import InputError
from ..report import GATE_RESULT_FILE, RESULTS_FILE, SUMMARY_FILE
from ..result import (SCHEMA_VERSION, AdaptiveRepeats, BaselineComparison, EndpointInfo, GateResult, JudgeInfo,
                      MetricComparison, RowChange, SequentialLook, SuiteAgreement, ThresholdLook, ThresholdResult,
                      Verdict)
from ..samples import Sample
from ..scores import Score


@dataclass(frozen=True)
class GateRun:
    """A gate result as found on disk, and which of its companion files were there."""

    result: GateResult
    result_path: Path
    rows_loaded: bool  # results.jsonl was read, so the summary can show the failing rows
    summary_path: Path | None  # summary.md as the gate wrote it, if present


def load_gate_run(out_dir: str | Path) -> GateRun:
    """Raises ``InputError`` (exit 2) when gate-result.json is missing, unreadable or not ours, or
    ``out_dir`` holds one shard of a sharded gate (no verdict until merged)."""
    from ..pipeline._rundir import refuse_partial

    out = Path(out_dir)
    refuse_partial(out, "publish")
    path = out / GATE_RESULT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: not found; run `gatewise gate --out {out}` first, or pass "
                         "--gate-exit-code to report a gate that could not run") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON document ({exc})") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        found = data.get("schema_version") if isinstance(data, dict) else None
        raise InputError(f"{path}: schema_version is {found!r}, expected {SCHEMA_VERSION!r}")
    try:
        verdict = _verdict(data)
        samples, scores, row_agreement = _rows(out / RESULTS_FILE)
        endpoint = data["endpoint"]
        result = GateResult(
            config_path=str(data["config"]["path"]), config_sha256=str(data["config"]["sha256"]),
            dataset_path=str(data["dataset"]["path"]), dataset_sha256=str(data["dataset"]["sha256"]),
            endpoint=EndpointInfo(str(endpoint["base_url"]), str(endpoint["model"]), str(endpoint["api"]),
                                  tuple(endpoint.get("reported_model_ids") or ()),
                                  _concurrency(endpoint.get("concurrency"))),
            samples=tuple(samples or ()), scores=tuple(scores or ()),
            metrics={str(m): dict(stats) for m, stats in data["metrics"].items()},
            verdict=verdict, started_at=str(data["started_at"]),
            timings_s=dict(data.get("timings_s") or {}), model_name=data.get("model_name"),
            confidence_level=float((data.get("confidence") or {}).get("level") or 0.95),
            confidence_settings={k: v for k, v in (data.get("confidence") or {}).items() if k != "level"},
            intervals={str(m): {str(stat): (float(ci[0]), float(ci[1])) for stat, ci in stats.items()}
                       for m, stats in (data.get("intervals") or {}).items()},
            repeats=int((data.get("repeats") or {}).get("k") or 1),
            agreement=_agreement(data.get("repeats") or {}, row_agreement),
            baseline=_baseline(data.get("baseline")),
            judge=_judge(data.get("judge")),
            shards=int(data.get("shards") or 1),
            expected_columns={str(m): str(c) for m, c in (data.get("expected_columns") or {}).items()},
            adaptive=_adaptive((data.get("repeats") or {}).get("auto")),
            prompt_sha256=(data.get("prompt") or {}).get("sha256"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{path} (or {RESULTS_FILE} beside it) is not a complete gate result: "
                         f"{type(exc).__name__} {exc}") from None
    summary = out / SUMMARY_FILE
    return GateRun(result, path, rows_loaded=samples is not None,
                   summary_path=summary if summary.is_file() else None)


def _agreement(repeats: dict[str, Any], rows: dict[str, dict[str, float]]) -> tuple[SuiteAgreement, ...]:
    """Per-suite agreement across repeats; ``rows``: each row's own, per suite, from results.jsonl."""
    return tuple(SuiteAgreement(str(suite), int(item["rows"]), float(item["agreement"]), int(item["flaky_rows"]),
                                rows.get(suite, {}))
                 for suite, item in (repeats.get("suites") or {}).items())


def _baseline(data: dict[str, Any] | None) -> BaselineComparison | None:
    """The comparison with the baseline, so the PR comment shows the rows that got worse."""
    if not data:
        return None

    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    metrics = tuple(MetricComparison(
        str(m["metric"]), str(m["statistic"]), number(m.get("baseline")), number(m.get("candidate")),
        number(m.get("delta")), (float(m["interval"][0]), float(m["interval"][1])) if m.get("interval") else None,
        int(m.get("n") or 0), int(m.get("worse_count") or 0), int(m.get("better_count") or 0),
        tuple(RowChange(str(r["row_id"]), float(r["baseline"]), float(r["candidate"]), bool(r["baseline_passed"]),
                        bool(r["candidate_passed"])) for r in m.get("worse_rows") or ()),
    ) for m in data.get("metrics") or ())
    return BaselineComparison(str(data["source"]), str(data["kind"]), bool(data["paired"]), data.get("dataset_sha256"),
                              float(data["max_regression"]), float(data["confidence"]), str(data["rule"]), metrics,
                              data.get("note"))


def _adaptive(data: dict[str, Any] | None) -> AdaptiveRepeats | None:
    """What repeats: auto did, so the PR comment says which rows were asked again and why."""
    if not data:
        return None
    looks = tuple(SequentialLook(str(x["metric"]), str(x["decision"]), int(x["looks"]), int(x["losses"]),
                                 int(x["wins"]), None if x.get("estimate") is None else float(x["estimate"]),
                                 None if x.get("boundary") is None else int(x["boundary"]), str(x["reason"]))
                  for x in data.get("looks") or ())
    thresholds = tuple(ThresholdLook(str(x["key"]), str(x["decision"]), int(x["looks"]), _number(x.get("estimate")),
                                     _number(x.get("half_width")), str(x["reason"]), int(x.get("reasked_rows") or 0),
                                     int(x.get("pilot_rows") or 0))
                       for x in data.get("thresholds") or ())  # absent in results from before thresholds were re-asked
    return AdaptiveRepeats(int(data["max"]), int(data["rounds"]), int(data["reasked_rows"]), int(data["extra_calls"]),
                           str(data["reason"]), looks, thresholds)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _judge(data: dict[str, Any] | None) -> JudgeInfo | None:
    """The judge block; absent (a result written before it existed) or null: no judge."""
    if not data:
        return None
    return JudgeInfo(str(data["base_url"]), str(data["model"]), tuple(data.get("reported_model_ids") or ()),
                     int(data.get("calls") or 0), int(data.get("cached") or 0), int(data.get("skipped") or 0),
                     int(data.get("calls_saved") or 0))


def _verdict(data: dict[str, Any]) -> Verdict:
    results = []
    for item in data["thresholds"]:
        threshold = Threshold(str(item["metric"]), str(item["statistic"]), str(item["op"]), float(item["target"]),
                              str(item["expression"]), item.get("config_line"), str(item.get("mode") or "point"))
        value = item.get("value")
        ci = item.get("ci")
        results.append(ThresholdResult(threshold, None if value is None else float(value), bool(item["passed"]),
                                       int(item.get("n") or 0), (float(ci[0]), float(ci[1])) if ci else None))
    return Verdict(passed=bool(data["passed"]), results=tuple(results), row_count=int(data["dataset"]["rows"]),
                   error_count=int(data["counts"]["errors"]))


def _rows(path: Path) -> tuple[list[Sample] | None, list[Score] | None, dict[str, dict[str, float]]]:
    """Samples, scores and (with repeats) suite -> row id -> agreement; Nones without the file."""
    from ..pipeline._rundir import results_records

    if not path.is_file():
        return None, None, {}
    samples: list[Sample] = []
    scores: list[Score] = []
    agreement: dict[str, dict[str, float]] = {}
    for record in results_records(path):
        sample = Sample.from_dict(record)
        samples.append(sample)
        scores.extend(Score.from_record(sample.row_id, sample.repeat, metric, item)
                      for metric, item in (record.get("scores") or {}).items())
        for suite, value in (record.get("agreement") or {}).items():
            if value is not None:
                agreement.setdefault(str(suite), {})[sample.row_id] = float(value)
    return samples, scores, agreement


def _concurrency(data: Any) -> ConcurrencyStats | None:
    """The effective concurrency, where the result has it (results written before it do not)."""
    if not isinstance(data, dict):
        return None
    return ConcurrencyStats(int(data["configured"]), int(data["min"]), float(data["mean"]), int(data["final"]),
                            int(data["backoffs"]))
