"""Publishing a gate run to GitHub and the Actions runner: job summary, annotations, outputs,
sticky PR comment, commit status. ``gatewise publish`` is a thin shell over ``publish``."""

from ._feedback import FailedThreshold, Feedback, feedback_for_gate_error, feedback_from_run
from ._load import GateRun, load_gate_run
from ._publish import PublishOptions, Published, publish

__all__ = [
    "FailedThreshold", "Feedback", "GateRun", "PublishOptions", "Published", "feedback_for_gate_error",
    "feedback_from_run", "load_gate_run", "publish",
]
