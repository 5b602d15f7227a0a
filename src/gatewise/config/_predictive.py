"""Config of predictive models: the KServe V2 endpoint and the suites that score its predictions
(classification, regression, and drift of the inputs against a pinned reference dataset)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from ._connection import ConnectionConfig
from ._strict import StrictModel as _Strict

# default columns that are never features: the row id is added by the loader, these by name
NOT_FEATURES = ("label", "target")


class V2EndpointConfig(ConnectionConfig):
    """A model served over the Open Inference Protocol (KServe V2): ``POST /v2/models/{model}/infer``."""

    kind: Literal["v2"]
    base_url: str = Field(min_length=1, description="the server root: /v2/... is appended")
    model: str = Field(min_length=1)
    api_key: SecretStr | None = Field(None, description="sent as a Bearer token, for servers behind an auth proxy")
    features: list[str] | None = Field(None, min_length=1,
                                       description="dataset columns sent to the model, in this order")
    layout: Literal["matrix", "columns"] = Field(
        "matrix", description="matrix: one [n, f] FP64 tensor; columns: one tensor per feature (content_type pd)")
    output: str | None = Field(None, description="the response tensor holding the predictions; default the first")
    batch_size: int = Field(64, ge=1, le=100_000)
    concurrency: int = Field(4, ge=1, le=1024, description="batches in flight")

    @field_validator("features")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            twice = next(name for name in value if value.count(name) > 1)
            raise ValueError(f"feature {twice!r} is listed twice")
        return value

    @property
    def api(self) -> str:
        """What the gate result records as the endpoint's API."""
        return "v2"


class ClassificationConfig(_Strict):
    """Predicted class against the ``label`` column: accuracy, precision/recall/F1 (macro, or of the
    ``positive`` class), and per class."""

    label: str = Field(min_length=1, description="dataset column holding the true class")
    positive: str | int | None = Field(
        None, description="a class whose precision/recall/F1 the suite reports instead of macro averages")


class RegressionConfig(_Strict):
    """Predicted value against the ``target`` column: MAE, RMSE, MAPE."""

    target: str = Field(min_length=1, description="dataset column holding the true value")


class ReferenceConfig(_Strict):
    path: str = Field(min_length=1, description="JSONL, CSV or Parquet file, relative to the config")
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    format: Literal["jsonl", "csv", "parquet"] | None = None


class DriftConfig(_Strict):
    """Data drift of the input columns against a pinned reference dataset (Evidently's stat tests)."""

    reference: ReferenceConfig
    columns: list[str] | None = Field(None, min_length=1, description="default: the endpoint's features")
    method: str | None = Field(None, min_length=1, description="Evidently stat test, e.g. ks, psi, wasserstein")
    threshold: float | None = Field(None, gt=0, description="the stat test's drift threshold")


# statistics a threshold may name on each predictive suite, and on its per-class / per-column metrics
SUITE_STATISTICS = {
    "classification": ("accuracy", "precision", "recall", "f1", "error_count"),
    "regression": ("mae", "rmse", "mape", "error_count"),
    "drift": ("drifted_share", "drifted_count"),
}
PART_STATISTICS = {
    "classification": ("precision", "recall", "f1"),  # suite.<class>
    "drift": ("drift_score", "drift_detected"),  # suite.<column>
}
