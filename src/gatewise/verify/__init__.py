"""``gatewise verify``: after the canary is synced, read the canary's and the champion's live
serving metrics (Prometheus, or their own ``/metrics``), run the paired quality check, and decide:
complete (exit 0), roll back (exit 1) or wait for more traffic (exit 4). Exit 3 when a metrics
source is unreachable or a query finds no series: nothing is ever completed on missing data."""

from ._checks import CheckResult, run_checks
from ._decision import EXIT_CODES, Decision
from ._run import observe, to_dict, verify
from ._summary import summary_lines
from ._window import Histogram, Observed, SideMetrics

__all__ = ["CheckResult", "Decision", "EXIT_CODES", "Histogram", "Observed", "SideMetrics", "observe", "run_checks",
           "summary_lines", "to_dict", "verify"]
