"""The experiment promotion runs go to, created on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._errors import error_code
from ._uri import DEFAULT_ARTIFACTS, local_sqlite_path


def ensure_experiment(client: Any, name: str) -> str:
    """The id of experiment ``name``, creating it (race-safe) when it does not exist."""
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    try:
        return client.create_experiment(name, artifact_location=_artifact_location(client))
    except MlflowException as exc:
        if error_code(exc) != "RESOURCE_ALREADY_EXISTS":  # another promotion created it first
            raise
    return client.get_experiment_by_name(name).experiment_id


def _artifact_location(client: Any) -> str | None:
    # without a server, MLflow would put artifacts in ./mlruns of whatever the working directory
    # is; keep them next to the embedded database instead
    database = local_sqlite_path(getattr(client, "tracking_uri", "") or "")
    if database is None:
        return None
    return (Path(database).resolve().parent / DEFAULT_ARTIFACTS).as_uri()
