"""Import a module the verdict will need in a background thread, while the event loop waits.

Judging is bound by the judge's latency: the event loop spends much of it waiting in ``epoll``,
where a thread can import numpy for the verdict instead of the verdict waiting for it. Start it
only once the run's own imports are done (openai, httpx, deepeval): an import racing the event
loop's imports of shared modules is what broke rows before. numpy shares no module with them.
"""

from __future__ import annotations

import importlib
import threading


def preload(module: str) -> None:
    """Start importing ``module`` in a daemon thread; a later ``import`` waits for it if need be.

    A failed import is left for the real import to raise where it is needed.
    """
    def load() -> None:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - the real import, in the main thread, reports it
            pass

    threading.Thread(target=load, name=f"gatewise-preload-{module}", daemon=True).start()
