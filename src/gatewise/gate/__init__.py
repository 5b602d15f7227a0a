"""From per-row scores to a decision: aggregate statistics, then thresholds -> ``Verdict``."""

from ._aggregate import aggregate, percentile
from ._verdict import decide, error_budget

__all__ = ["aggregate", "decide", "error_budget", "percentile"]
