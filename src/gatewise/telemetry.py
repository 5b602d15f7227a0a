"""Switch off the usage telemetry of the third-party libraries gatewise drives.

Call ``disable_telemetry()`` before importing evidently or deepeval: they read these variables
when they start. Child processes inherit them, so the scoring worker is covered too.
"""

from __future__ import annotations

import os

# Each variable names the library that reads it; any value switches evidently's off (it tests
# for presence), deepeval wants "YES".
_OPT_OUTS = {
    "DO_NOT_TRACK": "1",                  # evidently 0.7 (evidently.telemetry) and the common convention
    "ITERATIVE_DO_NOT_TRACK": "1",        # iterative-telemetry, the client evidently's logger is built on
    "EVIDENTLY_DISABLE_TELEMETRY": "1",   # evidently's legacy API (evidently.legacy._config)
    "DEEPEVAL_TELEMETRY_OPT_OUT": "YES",  # deepeval, used by the judge suites
}


def disable_telemetry() -> None:
    """Set the opt-out variables in this process's environment (overriding any other value)."""
    os.environ.update(_OPT_OUTS)
