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
import dataclasses
import logging
import operator
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import SuiteConfig
from ..errors import InfraError
from ..readable import counted
from ..samples import Sample
from ..scores import Measured, Score
from ..worker_process import start_child, stop_child
from ._evidently import load_evidently, score_evidently
from ._html import rows_for_html, write_evidently_html
from ._measure import DATASET_KINDS, measure_suites
from ._tool_calls import score_tool_calls

log = logging.getLogger(__name__)

# Samples scored per trip to the worker: its frame (and the pickled samples on both sides) stay
# this size however many rows the run has; a chunk costs Evidently ~10 ms of set-up.
SCORE_CHUNK = 10_000


def score_per_row(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> tuple[Score, ...]:
    """Every per-row deterministic check: Evidently's, then the tool-call suites'."""
    return score_evidently(samples, suites) + score_tool_calls(samples, suites)


class ScoringWorkerError(InfraError):
    """The scoring worker process died (killed, out of memory, crashed); no scores came back."""


def _warm_up() -> int:
    # Not niced: the gate's whole time waits for this import whenever the calls finish first, and a
    # niced import starved on a busy machine (load 13-20: 1 000 rows' "scoring" stage waited 30-75 s
    # for a 5 s import, which a niced thread still could not get). At normal priority it takes a
    # fair share of the CPU, which is what the calls, latency-bound, leave unused anyway.
    load_evidently()
    # Runs in the child only. By interpreter teardown multiprocessing has already flushed the
    # child's results; tearing down evidently's modules would take another 1-2 s for nothing.
    atexit.register(os._exit, 0)
    return os.getpid()


# A sample's fields in order, and a getter of every value but its rendered prompt (``messages``)
_FIELDS = tuple(field.name for field in dataclasses.fields(Sample))
_PROMPT_AT = _FIELDS.index("messages")
_VALUES_BUT_PROMPT = operator.attrgetter(*(name for name in _FIELDS if name != "messages"))


@dataclasses.dataclass(frozen=True)
class PackedSamples:
    """Samples as the child is sent them: each one's values in a plain tuple, without its rendered
    prompt, which no scorer reads and which was most of the bytes. Tuples pickle ~4x faster than
    the dataclasses (10 000 samples: 40 instead of 140 ms), and that pickling runs in the gate
    process while it decides the verdict."""

    values: tuple[tuple[Any, ...], ...]

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> "PackedSamples":
        return cls(tuple(map(_VALUES_BUT_PROMPT, samples)))

    def unpack(self) -> tuple[Sample, ...]:
        return tuple(Sample(*values[:_PROMPT_AT], (), *values[_PROMPT_AT:]) for values in self.values)


def _on_unpacked(fn: Callable[..., Any], packed: PackedSamples, *rest: Any) -> Any:
    """In the child: ``fn`` of the samples ``packed`` holds, and the other arguments."""
    return fn(packed.unpack(), *rest)


class ScoringWorker:
    """Scores in a child process started at construction; use it as a context manager.

    ``in_process=True`` skips the child; ``started``: a child already started and importing
    (``early_worker``), adopted instead of starting one. ``fallback_reason`` says why the worker
    scores in this process, and is None while the child is in use.
    """

    def __init__(self, *, in_process: bool = False,
                 started: tuple[ProcessPoolExecutor, Future[int]] | None = None) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[int] | None = None
        self._tasks: list[Future] = []  # every task sent to the child but the import
        self.fallback_reason: str | None = "in_process=True" if in_process else None
        if in_process:
            return
        if started is not None:
            self._pool, self._ready = started
            return
        try:
            self._pool, self._ready = start_child(_warm_up)
        except (OSError, RuntimeError, NotImplementedError) as exc:
            self._use_this_process(f"the scoring worker could not start: {exc}")

    def score(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> tuple[Score, ...]:
        """``score_per_row`` in the worker, ``SCORE_CHUNK`` samples at a time: one Score per
        sample per check. Every check is per row, so chunks score exactly as one batch would."""
        if not any(suite.evidently or suite.tool_calls is not None for suite in suites):
            return ()  # nothing to score: no trip to the worker
        if len(samples) <= SCORE_CHUNK:
            return self._call(f"scoring {counted(len(samples), 'sample')}", score_per_row, samples, suites)
        scores: list[Score] = []
        for start in range(0, len(samples), SCORE_CHUNK):
            chunk = samples[start:start + SCORE_CHUNK]
            scores.extend(self._call(f"scoring samples {start + 1}-{start + len(chunk)}", score_per_row,
                                     chunk, suites))
        return tuple(scores)

    def measure(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> Measured:
        """``measure_suites`` in the worker: the dataset-level suites' row scores and statistics."""
        if not any(suite.kind in DATASET_KINDS for suite in suites):
            return Measured()  # no dataset-level suite: no trip to the worker
        return self._call(f"measuring {counted(len(samples), 'sample')}", measure_suites, samples, suites)

    def write_html(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig], path: str | Path) -> Path:
        """``write_evidently_html`` in the worker, over at most ``HTML_ROWS`` of the samples."""
        return self.start_html(samples, suites, path)()

    def start_html(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig],
                   path: str | Path) -> Callable[[], Path]:
        """Start ``write_html`` and return at once; calling the result waits for the page (or
        raises as ``write_html`` would). The page is drawn while this process decides the
        verdict and writes the other reports."""
        shown = rows_for_html(samples)
        what = "writing the Evidently report"
        args = (shown, suites, Path(path), len(samples))
        if self._pool is None:
            return lambda: self._call(what, write_evidently_html, *args)
        try:
            future = self._submit(write_evidently_html, *args)
        except (BrokenProcessPool, RuntimeError):
            return lambda: self._call(what, write_evidently_html, *args)
        return lambda: self._wait(what, future, write_evidently_html, *args)

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
        """Stop the child. Once every task's result is in, it has nothing left to write or send: it
        is stopped at once (even mid-import) instead of waited for through its exit. A task still
        running (the run was cut short) is waited for, so no half-written page is left behind; one
        not yet handed to the child is dropped."""
        if self._pool is None:
            return
        if all(task.done() for task in self._tasks):
            self.abandon()
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abandon(self) -> None:
        """Stop the child now, mid-import if need be: its work is not needed (scores were cached)."""
        if self._pool is not None:
            stop_child(self._pool)
            self._pool = None

    def __enter__(self) -> "ScoringWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit(self, fn: Callable[..., Any], samples: Sequence[Sample], *rest: Any) -> Future:
        """``fn(samples, *rest)`` sent to the child, the samples packed (see ``PackedSamples``)."""
        assert self._pool is not None
        task = self._pool.submit(_on_unpacked, fn, PackedSamples.of(samples), *rest)
        self._tasks.append(task)
        return task

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(samples, *rest)`` in the child (``args``: the samples first), or in this process."""
        if self._pool is None:
            if self._ready is not None:  # it had started, and was closed or died since
                raise ScoringWorkerError(f"the scoring worker is closed or dead; {what} was not done")
            return fn(*args)
        try:
            future = self._submit(fn, *args)
        except BrokenProcessPool:
            future = None
        return self._wait(what, future, fn, *args)

    def _wait(self, what: str, future: Future | None, fn: Callable[..., Any], *args: Any) -> Any:
        """``future``'s result; a child that died while starting falls back to this process."""
        try:
            if future is not None:
                return future.result()
        except BrokenProcessPool:
            pass
        if self._pool is None:
            return self._call(what, fn, *args)
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
