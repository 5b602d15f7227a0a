"""Config sections for the results history in MLflow: ``tracking:`` (every gate run logged as an
MLflow run) and ``baseline.mlflow`` (compare with the latest matching run of that history)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from ._strict import StrictModel

# a branch name goes inside the quotes of an MLflow search filter: no quotes, no backslashes
BRANCH = r"^[A-Za-z0-9._/+-]+$"


def _empty_is_none(value: Any) -> Any:
    # GitHub Actions passes an unset input as "", and ${VAR:-} interpolates to ""
    return None if value in ("", None) else value


class TrackingConfig(StrictModel):
    """``tracking:``: log each ``gatewise gate`` run to MLflow. Never decides the verdict."""

    uri: str | None = Field(None, description="MLflow tracking URI; empty: promote.mlflow.tracking_uri, else a "
                                              "local sqlite file next to the config")
    experiment: str | None = Field(None, min_length=1, description="experiment name; default: model.name")
    token_env: str = Field("MLFLOW_TRACKING_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                           description="environment variable holding the server's bearer token")
    timeout_s: float = Field(60.0, gt=0, le=600, description="longest the verdict waits for the logging")
    traces: bool = Field(True, description="one trace per row with its scores as assessments")

    @field_validator("uri", "experiment", mode="before")
    @classmethod
    def _unset(cls, value: Any) -> Any:
        return _empty_is_none(value)


class HistoryBaselineConfig(StrictModel):
    """``baseline.mlflow``: the latest finished gate run in the tracking experiment that matches."""

    branch: str | None = Field(None, pattern=BRANCH, description="the run's branch, e.g. main; absent: any")
    verdict: Literal["passed", "failed", "any"] = Field("passed", description="the run's verdict")
    experiment: str | None = Field(None, min_length=1, description="default: the tracking experiment")
