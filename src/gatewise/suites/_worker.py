"""A child process that imports Evidently while the endpoint is being called, then scores.

``import evidently`` takes 4-6 s. Started first, the worker pays it in parallel with the calls,
so scoring afterwards costs only the scoring. If the process cannot start, the worker scores in
this process instead; if it dies once started, the caller gets ``ScoringWorkerError``, not
scores.

The child is started with ``spawn``, which re-imports the parent's ``__main__`` module: a
script that uses the worker must keep its top-level code under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import contextlib
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import SuiteConfig
from ..errors import InfraError
from ..samples import Sample
from ..scores import Measured, Score
from ..telemetry import disable_telemetry
from ._evidently import load_evidently, score_evidently
from ._tool_calls import score_tool_calls
from ._html import write_evidently_html
from ._measure import measure_suites

log = logging.getLogger(__name__)


def score_per_row(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> tuple[Score, ...]:
    """Every per-row deterministic check: Evidently's, then the tool-call suites'."""
    return score_evidently(samples, suites) + score_tool_calls(samples, suites)


class ScoringWorkerError(InfraError):
    """The scoring worker process died (killed, out of memory, crashed); no scores came back."""


def _warm_up() -> int:
    # the import is slow and CPU-bound; yield the CPU to the event loop making the calls, which
    # is latency-bound, and only needs Evidently once the calls are done
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    load_evidently()
    # Runs in the child only. By interpreter teardown multiprocessing has already flushed the
    # child's results; tearing down evidently's modules would take another 1-2 s for nothing.
    atexit.register(os._exit, 0)
    return os.getpid()


class ScoringWorker:
    """Scores in a child process started at construction; use it as a context manager.

    ``in_process=True`` skips the child. ``fallback_reason`` says why the worker scores in this
    process, and is None while the child is in use.
    """

    def __init__(self, *, in_process: bool = False) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[int] | None = None
        self.fallback_reason: str | None = "in_process=True" if in_process else None
        if in_process:
            return
        disable_telemetry()  # before the child starts: it inherits the environment
        try:
            # spawn, not fork: the parent runs threads (asyncio, httpx) that fork would copy mid-flight
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self._ready = self._pool.submit(_warm_up)  # the pool starts its process on first submit
        except (OSError, RuntimeError, NotImplementedError) as exc:
            self._use_this_process(f"the scoring worker could not start: {exc}")

    def score(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> tuple[Score, ...]:
        """``score_per_row`` in the worker: one Score per sample per check."""
        return self._call(f"scoring {len(samples)} samples", score_per_row, samples, suites)

    def measure(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> Measured:
        """``measure_suites`` in the worker: the dataset-level suites' row scores and statistics."""
        return self._call(f"measuring {len(samples)} samples", measure_suites, samples, suites)

    def write_html(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig], path: str | Path) -> Path:
        """``write_evidently_html`` in the worker."""
        return self._call("writing the Evidently report", write_evidently_html, samples, suites, Path(path))

    @property
    def pid(self) -> int | None:
        """The child's process id once it has imported Evidently (waits for that); None in-process."""
        if self._pool is None or self._ready is None:
            return None
        try:
            return self._ready.result()
        except BrokenProcessPool:
            return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abandon(self) -> None:
        """Stop the child now, mid-import if need be: its work is not needed (scores were cached)."""
        if self._pool is not None:
            # the pool can't cancel a running task; without this, exit would wait for the import
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "ScoringWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        if self._pool is None:
            if self._ready is not None:  # it had started, and was closed or died since
                raise ScoringWorkerError(f"the scoring worker is closed or dead; {what} was not done")
            return fn(*args)
        try:
            return self._pool.submit(fn, *args).result()
        except BrokenProcessPool:
            pass
        if not self._started():
            self._use_this_process("the scoring worker process died while starting")
            return fn(*args)
        pid = self._ready.result() if self._ready is not None else "?"
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        raise ScoringWorkerError(
            f"the scoring worker process (pid {pid}) died while {what} (killed, out of memory, or "
            "crashed); no scores were computed")

    def _started(self) -> bool:
        if self._ready is None:
            return False
        try:
            # the pool fails every pending future when its process dies: this returns at once
            return self._ready.exception(timeout=30) is None
        except TimeoutError:
            return False

    def _use_this_process(self, reason: str) -> None:
        log.warning("%s; scoring in this process instead", reason)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool, self._ready, self.fallback_reason = None, None, reason
