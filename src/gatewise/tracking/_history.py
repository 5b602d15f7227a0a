"""Reading the history back: the baseline run ``baseline.mlflow`` names, and the gate run a
promotion links its model version to.

A baseline asked for is a baseline had: MLflow unreachable while fetching it is exit 3, and a
matching run without its ``results.jsonl`` too; only "no matching run yet" (the first run on
``main``) compares with nothing, and says so.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..baseline import BaselineRun, load_baseline_results
from ..config import GateConfig
from ..terminal import Console
from ..mlflow_http import http_limits
from ._content import KIND, KIND_TAG, RESULT_SHA_TAG, VERDICT_TAG
from ._log import result_sha256
from ._track import experiment_name, tracking_uri

RESULTS_FILE = "results.jsonl"
GATE_RESULT_FILE = "gate-result.json"


def history_filter(branch: str | None, verdict: str) -> str:
    """The search filter for finished gate runs on ``branch`` with ``verdict`` ("any": either)."""
    # branch is checked against a pattern without quotes in the config; verdict is a literal
    parts = [f"tags.`{KIND_TAG}` = '{KIND}'", "attributes.status = 'FINISHED'"]
    if branch is not None:
        parts.append(f"tags.`gatewise.branch` = '{branch}'")
    if verdict != "any":
        parts.append(f"tags.`{VERDICT_TAG}` = '{verdict}'")
    return " AND ".join(parts)


def latest_run(client: Any, experiment: str, branch: str | None, verdict: str) -> Any | None:
    """The newest finished gate run in ``experiment`` that matches, or None (no experiment, no run)."""
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return None
    runs = client.search_runs([found.experiment_id], filter_string=history_filter(branch, verdict),
                              order_by=["attributes.start_time DESC"], max_results=1)
    return runs[0] if runs else None


def history_baseline(config: GateConfig, console: Console | None = None) -> BaselineRun | None:
    """The rows of the latest run ``baseline.mlflow`` matches, or None when there is none yet."""
    from ..registry import BaselineMissingError, connect, public_uri
    from ..registry._errors import registry_errors

    settings = config.baseline.mlflow if config.baseline is not None else None
    assert settings is not None
    console = console or Console(quiet=True)
    uri = tracking_uri(config)
    experiment = settings.experiment or experiment_name(config)
    client = connect(uri)
    what = f"the latest {'' if settings.verdict == 'any' else settings.verdict + ' '}gate run" + \
        (f" on {settings.branch}" if settings.branch else "")
    where = f"{what} in experiment {experiment!r} at {public_uri(uri)}"
    dest = Path(tempfile.mkdtemp(prefix="gatewise-history-"))
    try:
        token_env = config.tracking.token_env if config.tracking else "MLFLOW_TRACKING_TOKEN"
        with console.group(f"Fetching the baseline: {where}"), http_limits(token_env), \
                registry_errors(client, f"fetching {where}"):
            run = latest_run(client, experiment, settings.branch, settings.verdict)
            if run is None:
                return None
            run_id = run.info.run_id
            names = {info.path for info in client.list_artifacts(run_id)}
            if RESULTS_FILE not in names:
                raise BaselineMissingError(f"{where}: run {run_id} holds no {RESULTS_FILE}")
            results = Path(client.download_artifacts(run_id, RESULTS_FILE, str(dest)))
            if GATE_RESULT_FILE in names:
                client.download_artifacts(run_id, GATE_RESULT_FILE, str(dest))
        loaded = load_baseline_results(results, where=config.where("baseline.mlflow"))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    return dataclasses.replace(loaded, path=f"MLflow run {run_id} ({what}, experiment {experiment})")


def linked_gate_run(client: Any, config: GateConfig, result_dir: Path) -> str | None:
    """The tracked gate run that wrote the gate-result.json in ``result_dir``, in the server
    ``client`` (promotion's) talks to; None when that server holds no such run (tracking off,
    another server, or the logging failed).

    Found by the sha256 of gate-result.json's bytes, so a result downloaded from another job
    (an artifact) still finds its run; a run on another server could not be linked to.
    """
    sha = result_sha256(result_dir)
    found = client.get_experiment_by_name(experiment_name(config)) if sha else None
    if found is None:
        return None
    runs = client.search_runs([found.experiment_id], max_results=1, order_by=["attributes.start_time DESC"],
                              filter_string=f"tags.`{RESULT_SHA_TAG}` = '{sha}' AND attributes.status = 'FINISHED' "
                                            f"AND tags.`{KIND_TAG}` = '{KIND}'")
    return runs[0].info.run_id if runs else None
