"""The rows of a gate run in MLflow's own per-row views: one trace per row, its scores as assessments,
and the same rows as a table artifact.

Why traces with assessments: MLflow 3 presents evaluation results as an *evaluation run*, one
trace per dataset row with the scorers' feedback attached (what ``mlflow.genai.evaluate`` writes).
Its UI lists those traces on the run (the Traces / Evaluations tabs) with one column per
assessment, opens a row to show input, output and each score with its rationale, and compares two
runs' rows side by side. A ``log_table`` artifact only renders as a table in the run's artifact
view, so it is kept as well, as the compact download (and for servers older than MLflow 3).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator

from ..report._results_jsonl import row_record
from ..report._rows import RowOutcome, row_outcomes
from ..result import GateResult
from ..mlflow_http import environment

TABLE_FILE = "gatewise_rows.json"
TRACE_NAME = "gatewise row"
TRACE_WORKERS = 8
MAX_TEXT = 20_000  # per input/output value in a trace: a row is for reading, the full text is in results.jsonl


def rows_table(result: GateResult) -> dict[str, list[Any]]:
    """Column -> values, one entry per row x repeat: id, verdict, output, inputs, each score."""
    outcomes = row_outcomes(result)
    metrics = sorted({s.metric for o in outcomes for s in o.scores})
    inputs = sorted({k for o in outcomes for k in o.sample.inputs})
    table: dict[str, list[Any]] = {"row_id": [], "repeat": [], "passed": [], "output": [], "error": [],
                                   "latency_ms": [], **{f"input.{k}": [] for k in inputs},
                                   **{f"score.{m}": [] for m in metrics}}
    for outcome in outcomes:
        sample = outcome.sample
        by_metric = {s.metric: s for s in outcome.scores}
        table["row_id"].append(sample.row_id)
        table["repeat"].append(sample.repeat)
        table["passed"].append(outcome.passed)
        table["output"].append(sample.output)
        table["error"].append(sample.error)
        table["latency_ms"].append(sample.latency_ms)
        for key in inputs:
            value = sample.inputs.get(key)
            table[f"input.{key}"].append(value if isinstance(value, (str, int, float, bool)) or value is None
                                         else str(value))
        for metric in metrics:
            score = by_metric.get(metric)
            table[f"score.{metric}"].append(None if score is None else score.value)
    return table


def log_row_traces(client: Any, tracking_uri: str, experiment_id: str, run_id: str, result: GateResult,
                   workers: int = TRACE_WORKERS) -> int:
    """One trace per row (linked to ``run_id``) with a feedback assessment per score; traces logged.

    Rows go out on a few threads: each costs a handful of small requests, so one at a time the
    round trips (not the server) set the pace."""
    from concurrent.futures import ThreadPoolExecutor

    from mlflow.tracing.client import TracingClient

    tracing = TracingClient(tracking_uri)
    outcomes = row_outcomes(result)
    with _traces_to(tracking_uri), ThreadPoolExecutor(max_workers=workers,
                                                      thread_name_prefix="gatewise-trace") as pool:
        for done in pool.map(lambda o: _log_row(client, tracing, experiment_id, run_id, o), outcomes):
            pass  # map re-raises the first failure here
    return len(outcomes)


def _log_row(client: Any, tracing: Any, experiment_id: str, run_id: str, outcome: RowOutcome) -> None:
    from mlflow.entities import AssessmentError, AssessmentSource, Feedback

    trace_id = _row_trace(client, experiment_id, run_id, outcome)
    for score in outcome.scores:
        judged = score.reason is not None or score.judge_model is not None
        source = (AssessmentSource("LLM_JUDGE", score.judge_model or "judge") if judged
                  else AssessmentSource("CODE", "gatewise"))
        value = score.value if score.value is not None else score.passed
        error = AssessmentError(error_code="SCORE_ERROR", error_message=score.error[:1000]) \
            if score.error else None
        tracing.log_assessment(trace_id, Feedback(
            name=score.metric, value=None if error else value, error=error, source=source,
            rationale=score.reason, metadata={"passed": str(score.passed).lower()}))
    tracing.log_assessment(trace_id, Feedback(name="passed", value=outcome.passed,
                                              source=AssessmentSource("CODE", "gatewise")))


def _row_trace(client: Any, experiment_id: str, run_id: str, outcome: RowOutcome) -> str:
    sample = outcome.sample
    record = row_record(outcome)
    end = time.time_ns()
    start = end - int((sample.latency_ms or 0) * 1e6)
    inputs = {"inputs": _clip(record["inputs"]), "messages": _clip(record["messages"])}
    span = client.start_trace(TRACE_NAME, span_type="LLM", inputs=inputs, experiment_id=experiment_id,
                              run_id=run_id, start_time_ns=start,
                              tags={"gatewise.row_id": sample.row_id, "gatewise.repeat": str(sample.repeat),
                                    "gatewise.passed": str(outcome.passed).lower()},
                              attributes={"model_id": sample.model_id or "", "cached": str(sample.cached)})
    outputs = {"output": _clip(sample.output)} if sample.ok else {"error": _clip(sample.error)}
    client.end_trace(span.trace_id, outputs=outputs, status="OK" if sample.ok else "ERROR", end_time_ns=end)
    return span.trace_id


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…"
    if isinstance(value, list):
        return [_clip(v) for v in value]
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in value.items()}
    return value


@contextmanager
def _traces_to(tracking_uri: str) -> Iterator[None]:
    """Send traces to ``tracking_uri``, synchronously, then put MLflow's global state back.

    MLflow exports a trace through its global tracer provider, bound to the *global* tracking URI
    (not the client's), and by default in a background queue; a gate run must know its traces
    landed before it says the run was logged, so the export is made synchronous for the duration.
    """
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    # MLFLOW_TRACKING_URI is restored too: _use_tracking_uri may set it
    with environment({"MLFLOW_ENABLE_ASYNC_TRACE_LOGGING": "false"}, restore=("MLFLOW_TRACKING_URI",)), \
            _use_tracking_uri(tracking_uri):
        yield
