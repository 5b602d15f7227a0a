"""Refusing a gate result that must not be promoted: failed, unreadable, or stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import GateConfig
from ..dataset import file_sha256
from ..errors import InputError
from ..result import SCHEMA_VERSION

GATE_RESULT_FILE = "gate-result.json"


def result_dir_of(result: str | Path) -> Path:
    """The gate's report directory from ``--result`` (the gate-result.json file or its directory)."""
    path = Path(result)
    return path if path.is_dir() else path.parent


def check_gate_result(config: GateConfig, result: str | Path) -> dict[str, Any]:
    """The ``gate-result.json`` document, if it passed and was produced from this config and dataset."""
    from ..pipeline._rundir import refuse_partial

    refuse_partial(result_dir_of(result), "promote")
    path = result_dir_of(result) / GATE_RESULT_FILE
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: no gate result; run `gatewise gate --config {config.source} --out "
                         f"{path.parent}` first, or leave out --result so that promote runs the gate") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the gate result ({exc})") from None
    if not isinstance(document, dict) or document.get("schema_version") != SCHEMA_VERSION:
        found = document.get("schema_version") if isinstance(document, dict) else None
        raise InputError(f"{path}: expected schema {SCHEMA_VERSION}, found {found!r}")
    if document.get("passed") is not True:
        raise InputError(f"{path}: the gate did not pass ({document.get('headline') or 'passed is not true'}); "
                         "a failed gate is never promoted")
    recorded = (document.get("config") or {}).get("sha256")
    if recorded != config.config_sha256:
        raise InputError(f"{path} is stale: it was produced from a config with sha256 {str(recorded)[:12]}…, but "
                         f"{config.source} now has sha256 {config.config_sha256[:12]}…; re-run the gate")
    dataset = config.resolve(config.dataset.path)
    try:
        current = file_sha256(dataset)
    except OSError:
        raise InputError(f"{config.source}: dataset file not found: {dataset}") from None
    recorded = (document.get("dataset") or {}).get("sha256")
    if recorded != current:
        raise InputError(f"{path} is stale: it was produced from a dataset with sha256 {str(recorded)[:12]}…, but "
                         f"{dataset} now has sha256 {current[:12]}…; re-run the gate")
    return document
