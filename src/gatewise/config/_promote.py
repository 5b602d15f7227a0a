"""Config sections that only promotion reads: the canary rollout."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# where KServe's InferenceService keeps the share of traffic sent to the newest revision
KSERVE_CANARY_PATH = "spec.predictor.canaryTrafficPercent"


class CanaryConfig(BaseModel):
    """``promote.canary``: the promotion PR sends ``traffic_percent`` to the new version;
    ``gatewise promote --complete`` (and a rollback) set it to 100."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    traffic_percent: int = Field(10, ge=1, le=99, description="share of traffic for the new version, 1-99")
    path: str = Field(KSERVE_CANARY_PATH, min_length=1, description="edit path of the traffic share")
