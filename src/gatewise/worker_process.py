"""The one child process Evidently's work runs in: started (spawn, telemetry off) and stopped at once.

Shared by ``suites._worker`` (the scoring worker) and ``early_worker`` (the same child started
before the config is read), and light on purpose: the early start imports it before anything else.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable

from .telemetry import disable_telemetry


def start_child(warm_up: Callable[[], int]) -> tuple[ProcessPoolExecutor, Future[int]]:
    """A one-process pool whose process starts now on ``warm_up`` (its future: the child's pid).
    Raises OSError, RuntimeError or NotImplementedError where no process can be started."""
    disable_telemetry()  # before the child starts: it inherits the environment
    # spawn, not fork: the parent runs threads (asyncio, the warm-up) that fork would copy mid-flight
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return pool, pool.submit(warm_up)  # the pool starts its process on first submit


def stop_child(pool: ProcessPoolExecutor, *, reap: bool = False) -> None:
    """Stop the pool's process now, mid-task if need be (a pool cannot cancel a running task:
    without this, exit would wait for the import). ``reap``: also wait the few milliseconds for it
    to be gone, so none outlives an error that ends the gate: the pool's own thread reaps its dead
    process (a join from here can race it and return before the process is seen gone), so the
    wait is for that thread."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()
    pool.shutdown(wait=reap, cancel_futures=True)
