"""The later stages' imports, loaded in a thread while the calls wait on the endpoint.

numpy and the gate's maths (~0.15 s of imports) are needed only once the last answer is in; left
there, they sit between the last call and the verdict. The event loop is idle most of the time
it waits on the endpoint, so a thread started once the first request is under way loads them in
that idle time instead. Imports only: nothing is computed or written there, and a module that
fails to import fails again, with its own error, in the stage that needs it.
"""

from __future__ import annotations

import importlib
import threading
from typing import Iterable

# what the scoring and verdict stages import on first use (see _scoring, _deciding, gate._intervals);
# numpy loads its random and ma packages only when first used (default_rng, percentile)
LATER_STAGES = ("gatewise.score_cache", "gatewise.gate", "gatewise.gate._binomial", "numpy", "numpy.random",
                "numpy.ma")


def warm_up(modules: Iterable[str] = LATER_STAGES) -> threading.Thread:
    """Start importing ``modules`` in a thread of their own; returns it, started. Not a daemon: a
    process that ends meanwhile (an endpoint down) waits for it rather than stopping it mid-import."""
    thread = threading.Thread(target=_import_each, args=(tuple(modules),), name="gatewise-warm-up")
    thread.start()
    return thread


def _import_each(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the stage that needs it imports it again and reports why
            return
