"""deepeval started the way gatewise needs it: no telemetry, no .env loading, no files in the
user's working tree, and LLM-only judging (no remote "System One" decisions).

deepeval reads most of these when it is first imported, so ``load_deepeval`` sets them first.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..telemetry import disable_telemetry


def deepeval_environment(scratch: Path) -> dict[str, str]:
    """The variables deepeval reads at import, with its on-disk state under ``scratch``."""
    return {
        "DEEPEVAL_TELEMETRY_OPT_OUT": "YES",      # deepeval.telemetry: NoopBackend, no project files moved
        "DEEPEVAL_TELEMETRY_ENABLED": "NO",       # its deprecated alias; any OFF signal wins
        "DEEPEVAL_UPDATE_WARNING_OPT_IN": "NO",   # no version check against PyPI
        "DEEPEVAL_DISABLE_DOTENV": "1",           # never read a .env from the user's working tree
        "DEEPEVAL_HOME": str(scratch / "home"),   # anonymous id and state, else ~/.deepeval
        "DEEPEVAL_CACHE_FOLDER": str(scratch / "cache"),  # else .deepeval/ in the working tree
        "DEEPEVAL_RESULTS_FOLDER": str(scratch / "results"),
        "DEEPEVAL_EVAL_MODE": "llm",              # hybrid/system_one would send rows to Confident AI
        "DO_NOT_TRACK": "1",
    }


def load_deepeval(scratch: Path) -> None:
    """Import deepeval's metrics with the environment above; a no-op once imported."""
    disable_telemetry()
    os.environ.update(deepeval_environment(scratch))
    # deepeval 4 flipped bias/toxicity/hallucination to "1 is a pass" and says so once per
    # process; gatewise handles the direction itself (``_judge_metrics.higher_is_better``)
    warnings.filterwarnings("ignore", message=r".*now scores in the same direction", category=DeprecationWarning)
    import deepeval.metrics  # noqa: F401
    import deepeval.test_case  # noqa: F401
