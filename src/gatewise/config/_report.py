"""Config section ``report:``: which optional report files a gate run draws."""

from __future__ import annotations

from pydantic import Field

from ._strict import StrictModel


class ReportConfig(StrictModel):
    """``report:``: the optional parts of ``--out``. The verdict never depends on them."""

    html: bool = Field(True, description="draw Evidently's report.html (costs Evidently's import: ~5 s CPU and "
                                         "~300 MB in a worker process); false: the gate never imports Evidently "
                                         "unless a check or suite needs it")
