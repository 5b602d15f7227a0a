"""Work the verdict needs that can be done while the calls wait on the endpoint, in a thread.

numpy and the gate's maths (~0.15 s of imports), the bootstrap's seeded draws and the
percentiles' order-statistic ranks are needed only once the last answer is in; left there, they
sit between the last call and the verdict. The event loop is idle most of the time it waits on
the endpoint, so a thread started once the first request is under way does them in that idle
time instead. Nothing is written there and the results are the same: the draws and ranks are the
ones the verdict would compute (same rows, level, resamples and seed), and a module that fails to
import fails again, with its own error, in the stage that needs it.
"""

from __future__ import annotations

import gc
import importlib
import threading

from ..bulk import without_collection_pauses
from ._plan import GatePlan

# what the scoring and verdict stages import on first use (see _scoring, _deciding, gate._intervals);
# numpy loads its random and ma packages only when first used (default_rng, percentile)
LATER_STAGES = ("gatewise.score_cache", "gatewise.gate", "gatewise.gate._binomial", "numpy", "numpy.random",
                "numpy.ma")


class WarmUp:
    """Called (as ``collect``'s ``while_waiting``), starts the thread for ``plan``'s run; ``wait``
    returns once it is done. Both inside ``long_lived_set_aside``, which puts back what the thread
    set aside. Not a daemon: a process that ends meanwhile (an endpoint down) waits for it rather
    than stopping it mid-import."""

    def __init__(self, plan: GatePlan) -> None:
        confidence = plan.config.confidence
        # every row answered (the usual case) is what the intervals resample; otherwise they draw afresh
        self._intervals = {"rows": len(plan.dataset.rows), "level": confidence.level,
                           "resamples": confidence.resamples, "seed": confidence.seed}
        self._thread: threading.Thread | None = None

    def __call__(self) -> None:
        self._thread = threading.Thread(target=self._prepare, name="gatewise-warm-up")
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _prepare(self) -> None:
        # the imports make tens of thousands of long-lived objects: set aside with the rest (see
        # ``long_lived_set_aside``, which the calls run in), the collector's passes, which run on
        # whichever thread allocates, the event loop's too, never walk them
        with without_collection_pauses():
            try:
                for name in LATER_STAGES:
                    importlib.import_module(name)
                from ..gate import prepare_intervals

                prepare_intervals(**self._intervals)
            except Exception:  # the stage that needs it does it again and reports why
                pass
            gc.freeze()
