"""Run every dataset-level suite (classification, regression, drift) in config order."""

from __future__ import annotations

import warnings
from typing import Any, Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ..scores import Measured
from ..telemetry import disable_telemetry
from . import _classification, _drift, _regression  # noqa: F401 - they register their kinds
from ._registry import scorer

# suite kinds that compute statistics of the whole dataset with Evidently
DATASET_KINDS = ("classification", "regression", "drift")


def measure_suites(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> Measured:
    measured = Measured()
    for suite in suites:
        if suite.kind in DATASET_KINDS:
            disable_telemetry()  # before the first Evidently import
            with warnings.catch_warnings():
                # scikit-learn's "ill-defined precision" and friends: the values say it already
                warnings.simplefilter("ignore")
                measured += scorer(suite.kind)(samples, [suite])
    return measured


_SNAPSHOTS = {"classification": _classification.snapshot, "regression": _regression.snapshot,
              "drift": _drift.snapshot}


def dataset_snapshots(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> list[tuple[str, Any]]:
    """(suite name, Evidently snapshot) of each dataset-level suite that has something to show."""
    snapshots = []
    for suite in suites:
        if suite.kind in DATASET_KINDS:
            disable_telemetry()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    snapshot = _SNAPSHOTS[suite.kind](samples, suite)
            except Exception:  # noqa: BLE001 - the scores already carry the failure; the page just lacks it
                snapshot = None
            if snapshot is not None:
                snapshots.append((suite.name, snapshot))
    return snapshots
