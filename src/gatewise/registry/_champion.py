"""The champion's per-row results, fetched from its run, for the gate's paired baseline comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._errors import BaselineMissingError, error_code, is_not_found, registry_errors
from ._names import check_alias, check_model_name
from ._run import GATE_RESULT_FILE

RESULTS_FILE = "results.jsonl"


def champion_results(client: Any, model_name: str, alias: str = "champion", *,
                     dest: Path) -> Path | None:
    """Download the ``alias`` version's ``results.jsonl`` (and ``gate-result.json``) into ``dest``.

    Returns the path of ``results.jsonl``, or None when the model or the alias does not exist
    yet (the first promotion has nothing to compare with). A champion whose run is gone or holds
    no ``results.jsonl`` raises ``BaselineMissingError``: a baseline was asked for and cannot be
    had, which must not read as "no regression".
    """
    check_model_name(model_name)
    check_alias(alias)
    dest = Path(dest)
    with registry_errors(client, f"fetching the {alias!r} results of {model_name!r}"):
        version = _version_by_alias(client, model_name, alias)
        if version is None:
            return None
        where = f"{alias} (version {version.version}) of {model_name!r}"
        if not version.run_id:
            raise BaselineMissingError(f"{where} is linked to no run, so it has no results.jsonl to compare with")
        dest.mkdir(parents=True, exist_ok=True)
        results = _download(client, version.run_id, RESULTS_FILE, dest)
        if results is None:
            raise BaselineMissingError(f"{where}: run {version.run_id} holds no {RESULTS_FILE}")
        _download(client, version.run_id, GATE_RESULT_FILE, dest)
    return results


def _version_by_alias(client: Any, model_name: str, alias: str) -> Any | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, alias)
    except MlflowException as exc:
        # no model: RESOURCE_DOES_NOT_EXIST; a model without the alias: INVALID_PARAMETER_VALUE
        if is_not_found(exc) or error_code(exc) == "INVALID_PARAMETER_VALUE":
            return None
        raise


def _download(client: Any, run_id: str, name: str, dest: Path) -> Path | None:
    from mlflow.exceptions import MlflowException

    try:
        if not any(info.path == name for info in client.list_artifacts(run_id)):
            return None
        return Path(client.download_artifacts(run_id, name, str(dest)))
    except MlflowException as exc:  # the run was deleted
        if is_not_found(exc):
            return None
        raise
