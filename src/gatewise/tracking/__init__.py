"""Every gate run in MLflow: a results history people browse, compare and baseline against.

``track_gate_run`` is the one hook the gate calls once its reports are written (opt-in with
``tracking:``); ``history_baseline`` reads the latest matching run back for ``baseline.mlflow``;
``linked_gate_run`` is the run a promotion's model version points at. mlflow is imported inside
the functions that need it, never on import of this package.
"""

from ._content import run_metrics, run_params, run_tags
from ._context import RunContext, run_context
from ._history import history_baseline, history_filter, latest_run, linked_gate_run
from ._rows import rows_table
from ._track import TrackedRun, experiment_name, track_gate_run, tracking_uri

__all__ = [
    "RunContext", "TrackedRun", "experiment_name", "history_baseline", "history_filter", "latest_run",
    "linked_gate_run", "rows_table", "run_context", "run_metrics", "run_params", "run_tags", "track_gate_run",
    "tracking_uri",
]
