"""Run every dataset-level suite (classification, regression, drift) in config order."""

from __future__ import annotations

from typing import Sequence

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
            measured += scorer(suite.kind)(samples, [suite])
    return measured
