"""One MLflow run per promotion: the gate's params, every metric, and its report files."""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..result import SCHEMA_VERSION
from ._errors import RegistryInputError, registry_errors
from ._experiment import ensure_experiment
from ._lineage import Lineage
from ._names import metric_key

GATE_RESULT_FILE = "gate-result.json"
ARTIFACT_FILES = (GATE_RESULT_FILE, "results.jsonl", "summary.md", "report.html")
MAX_PARAM_VALUE = 6000  # MLflow's limit on a param value
BATCH_METRICS = 1000


def read_gate_result(result_dir: Path) -> tuple[dict[str, Any], str]:
    """``gate-result.json`` from ``result_dir`` and the sha256 of its bytes."""
    path = Path(result_dir) / GATE_RESULT_FILE
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryInputError(f"{path}: cannot read the gate result ({exc.strerror or exc})") from None
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise RegistryInputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("schema_version") != SCHEMA_VERSION:
        found = document.get("schema_version") if isinstance(document, dict) else None
        raise RegistryInputError(f"{path}: expected schema {SCHEMA_VERSION}, found {found!r}")
    return document, hashlib.sha256(raw).hexdigest()


def run_params(document: Mapping[str, Any], lineage: Lineage) -> dict[str, str]:
    endpoint = document.get("endpoint") or {}
    judge = document.get("judge") or {}
    prompt = document.get("prompt") or {}
    values = {
        "config_sha256": (document.get("config") or {}).get("sha256"),
        "dataset_sha256": (document.get("dataset") or {}).get("sha256"),
        "dataset_rows": (document.get("dataset") or {}).get("rows"),
        "prompt_sha256": prompt.get("sha256") if isinstance(prompt, dict) else None,
        "endpoint_model": endpoint.get("model"),
        "endpoint_model_ids": ",".join(endpoint.get("reported_model_ids") or ()),
        "judge_model": judge.get("model"),
        "judge_model_ids": ",".join(judge.get("reported_model_ids") or ()),
        "model_name": document.get("model_name"),
        "model_source": lineage.model_source,
        "git_sha": lineage.git_sha,
        "repository": lineage.repository,
        "source_pr": lineage.source_pr,
        "workflow_run_url": lineage.workflow_run_url,
    }
    return {key: str(value)[:MAX_PARAM_VALUE] for key, value in values.items()
            if value is not None and value != ""}


def run_metrics(document: Mapping[str, Any]) -> dict[str, float]:
    """``metrics`` flattened to ``metric.statistic``; nulls and non-numbers are left out."""
    out: dict[str, float] = {}
    for metric, statistics in (document.get("metrics") or {}).items():
        if not isinstance(statistics, Mapping):
            continue
        for statistic, value in statistics.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                continue
            out[metric_key(str(metric), str(statistic))] = float(value)
    return out


def log_gate_run(client: Any, experiment: str, result_dir: Path, lineage: Lineage) -> str:
    """Log the gate result in ``result_dir`` as a finished run in ``experiment``; its run id.

    Logging the same ``gate-result.json`` for the same commit and source again returns the
    finished run logged before, so a re-run promotion does not leave a second run behind.
    A run that fails half-way is marked FAILED and is never reused.
    """
    from mlflow.entities import Metric, Param

    if not experiment or not experiment.strip():
        raise RegistryInputError("the MLflow experiment name is empty")
    result_dir = Path(result_dir)
    document, result_sha = read_gate_result(result_dir)
    tags = {**lineage.tags(), "gatewise.result_sha256": result_sha,
            "gatewise.passed": str(bool(document.get("passed"))).lower()}
    if lineage.git_sha:
        tags["mlflow.source.git.commit"] = lineage.git_sha
    with registry_errors(client, f"logging the gate run in experiment {experiment!r}"):
        experiment_id = ensure_experiment(client, experiment)
        existing = _finished_run(client, experiment_id, tags)
        if existing:
            return existing
        run = client.create_run(experiment_id, tags=tags, run_name=_run_name(document, lineage))
    run_id = run.info.run_id
    try:
        with registry_errors(client, f"logging the gate run {run_id}"):
            now = int(time.time() * 1000)
            metrics = [Metric(key, value, now, 0) for key, value in run_metrics(document).items()]
            client.log_batch(run_id, params=[Param(key, value)
                                             for key, value in run_params(document, lineage).items()])
            for start in range(0, len(metrics), BATCH_METRICS):  # MLflow takes 1000 per batch
                client.log_batch(run_id, metrics=metrics[start:start + BATCH_METRICS])
            for name in ARTIFACT_FILES:
                if (result_dir / name).is_file():
                    client.log_artifact(run_id, str(result_dir / name))
            with _no_url_printing():
                client.set_terminated(run_id, "FINISHED")
    except BaseException:
        _mark_failed(client, run_id)
        raise
    return run_id


def _finished_run(client: Any, experiment_id: str, tags: Mapping[str, str]) -> str | None:
    # filter on the hex digest only (safe inside the filter's quotes); compare the rest here
    runs = client.search_runs(
        [experiment_id], max_results=50, order_by=["attributes.start_time DESC"],
        filter_string=(f"tags.`gatewise.result_sha256` = '{tags['gatewise.result_sha256']}' "
                       "AND attributes.status = 'FINISHED'"))
    keys = ("gatewise.git_sha", "gatewise.source")
    for run in runs:
        if all(run.data.tags.get(key) == tags.get(key) for key in keys):
            return run.info.run_id
    return None


def _run_name(document: Mapping[str, Any], lineage: Lineage) -> str:
    name = document.get("model_name") or "gate"
    return f"promote {name} @ {lineage.git_sha[:12]}" if lineage.git_sha else f"promote {name}"


@contextmanager
def _no_url_printing() -> Iterator[None]:
    # set_terminated prints "View run … at: <tracking URI>" to stdout, with any user:password@
    # of the URI in it; stdout belongs to the CLI (and ends up in CI logs), so switch it off
    key = "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"
    saved = os.environ.get(key)
    os.environ[key] = "true"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = saved


def _mark_failed(client: Any, run_id: str) -> None:
    try:
        with _no_url_printing():
            client.set_terminated(run_id, "FAILED")
    except Exception:  # the original error is the one to report
        pass
