"""Logging one gate run as a finished MLflow run: params, metrics, tags, report files, rows.

The run is created RUNNING, filled, and only then marked FINISHED, so a history search (which
reads FINISHED runs only) never picks up a run whose rows did not all arrive; a run that fails
half-way is marked FAILED where the server still answers.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from ..registry._experiment import ensure_experiment
from ..report import REPORT_FILES
from ..result import GateResult
from ._content import run_metrics, run_name, run_params, run_tags
from ._context import RunContext
from ._rows import TABLE_FILE, log_row_traces, rows_table

BATCH_METRICS = 1000  # MLflow takes 1000 metrics per batch
BATCH_PARAMS = 100


def result_sha256(out_dir: Path | None) -> str | None:
    """The sha256 of ``gate-result.json``'s bytes: what promotion finds this run by."""
    if out_dir is None:
        return None
    try:
        return hashlib.sha256((Path(out_dir) / "gate-result.json").read_bytes()).hexdigest()
    except OSError:
        return None


def log_tracked_run(client: Any, tracking_uri: str, experiment: str, result: GateResult, out_dir: Path | None,
                    context: RunContext, *, traces: bool) -> tuple[str, str]:
    """Log ``result`` as a run in ``experiment``; (experiment id, run id)."""
    from mlflow.entities import Metric, Param

    experiment_id = ensure_experiment(client, experiment)
    tags = run_tags(result, context, result_sha256(out_dir))
    run = client.create_run(experiment_id, tags=tags, run_name=run_name(result, context))
    run_id = run.info.run_id
    try:
        now = int(time.time() * 1000)
        params = [Param(k, v) for k, v in run_params(result).items()]
        for start in range(0, len(params), BATCH_PARAMS):
            client.log_batch(run_id, params=params[start:start + BATCH_PARAMS])
        metrics = [Metric(k, v, now, 0) for k, v in run_metrics(result).items()]
        for start in range(0, len(metrics), BATCH_METRICS):
            client.log_batch(run_id, metrics=metrics[start:start + BATCH_METRICS])
        for name in REPORT_FILES if out_dir is not None else ():
            if (Path(out_dir) / name).is_file():
                client.log_artifact(run_id, str(Path(out_dir) / name))
        client.log_table(run_id, rows_table(result), TABLE_FILE)
        if traces:
            log_row_traces(client, tracking_uri, experiment_id, run_id, result)
        client.set_terminated(run_id, "FINISHED")
    except BaseException:
        try:
            client.set_terminated(run_id, "FAILED")
        except Exception:  # the server is gone: the run stays RUNNING, which no history search reads
            pass
        raise
    return experiment_id, run_id
