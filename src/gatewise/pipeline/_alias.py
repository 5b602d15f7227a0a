"""The baseline named by ``baseline.alias`` (e.g. the champion): its results fetched from MLflow
before any call, so a run that cannot compare stops before it spends anything."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

from ..baseline import BaselineRun, load_baseline_results
from ..config import GateConfig
from ..terminal import Console


def fetch_alias_results(config: GateConfig, console: Console) -> BaselineRun | None:
    """The results of ``baseline.alias`` from MLflow, or None when the model has no such alias yet.
    MLflow unreachable, or an alias whose run lost its results, is exit 3."""
    from ..registry import champion_results, connect, public_uri, tracking_uri_or_default

    settings, model = config.baseline, config.model
    assert settings is not None and settings.alias is not None and model is not None
    mlflow = config.promote.mlflow if config.promote else None
    uri = tracking_uri_or_default(mlflow.tracking_uri if mlflow else None, Path(config.base_dir))
    where = f"{settings.alias} of {model.name} in MLflow at {public_uri(uri)}"
    dest = Path(tempfile.mkdtemp(prefix="gatewise-baseline-"))
    try:
        with console.group(f"Fetching the baseline: {where}"):
            path = champion_results(connect(uri), model.name, settings.alias, dest=dest)
            if path is None:
                return None
            run = load_baseline_results(path, where=config.where("baseline.alias"))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    return dataclasses.replace(run, path=where)
