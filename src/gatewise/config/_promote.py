"""Config sections that only promotion reads: the canary rollout, the manifest files to edit."""

from __future__ import annotations

from pydantic import Field, field_validator

from ._strict import StrictModel

# where KServe's InferenceService keeps the share of traffic sent to the newest revision
KSERVE_CANARY_PATH = "spec.predictor.canaryTrafficPercent"


class CanaryConfig(StrictModel):
    """``promote.canary``: the promotion PR sends ``traffic_percent`` to the new version;
    ``gatewise promote --complete`` (and a rollback) set it to 100. With several manifest files,
    ``path`` is in the first one."""

    traffic_percent: int = Field(10, ge=1, le=99, description="share of traffic for the new version, 1-99")
    path: str = Field(KSERVE_CANARY_PATH, min_length=1, description="edit path of the traffic share")


def repository_path(value: str) -> str:
    if value.startswith("/") or ".." in value.split("/"):
        raise ValueError("must be a path inside the repository, without a leading / or ..")
    return value


class ManifestFileConfig(StrictModel):
    """One entry of ``promote.manifests.files``: a file in the manifests repo and its edits."""

    path: str = Field(min_length=1, description="the manifest file in the repo")
    set: dict[str, str | int | float] = Field(min_length=1, description="path in the manifest -> value template")

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        return repository_path(value)
