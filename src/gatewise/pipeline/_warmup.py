"""Work the verdict needs that can be done while the calls wait on the endpoint, in a thread.

numpy and the gate's maths (~0.15 s of imports), the bootstrap's seeded draws and the
percentiles' order-statistic ranks are needed only
once the last answer is in; left there, they sit between the last call and the verdict. The event
loop is idle most of the time it waits on the endpoint, so a thread started once the first
request is under way does them in that idle time instead. Nothing is written there and the
results are the same: the draws and ranks are the ones the verdict would compute (same rows,
level, resamples and seed), and a module that fails to import fails again, with its own error, in the stage that
needs it.
"""

from __future__ import annotations

import importlib
import threading

from ._plan import GatePlan

# what the scoring and verdict stages import on first use (see _scoring, _deciding, gate._intervals);
# numpy loads its random and ma packages only when first used (default_rng, percentile)
LATER_STAGES = ("gatewise.score_cache", "gatewise.gate", "gatewise.gate._binomial", "numpy", "numpy.random",
                "numpy.ma")


def warm_up(plan: GatePlan) -> threading.Thread:
    """Start the thread for ``plan``'s run; returns it, started. Not a daemon: a process that ends
    meanwhile (an endpoint down) waits for it rather than stopping it mid-import."""
    confidence = plan.config.confidence
    # every row answered (the usual case) is what the intervals resample; otherwise they draw afresh
    intervals = {"rows": len(plan.dataset.rows), "level": confidence.level, "resamples": confidence.resamples,
                 "seed": confidence.seed}
    thread = threading.Thread(target=_prepare, args=(LATER_STAGES, intervals), name="gatewise-warm-up")
    thread.start()
    return thread


def _prepare(modules: tuple[str, ...], intervals: dict) -> None:
    try:
        for name in modules:
            importlib.import_module(name)
        from ..gate import prepare_intervals

        prepare_intervals(**intervals)
    except Exception:  # the stage that needs it does it again and reports why
        return
