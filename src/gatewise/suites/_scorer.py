"""The scoring stage's one handle: native per-row checks in this process, and an Evidently
worker process only for what needs Evidently (a check gatewise does not compute itself, the
classification / regression / drift suites, report.html).

When Evidently is known to be needed, the worker starts at construction, so its ~5 s import
overlaps the calls; when it is not, no worker starts at all, unless a row makes a native check
fall back to Evidently (then it starts on that first need).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ..scores import Measured, Score
from ._row_checks import needs_evidently, score_row_checks

if TYPE_CHECKING:
    from ..early_worker import EarlyWorker

# suite kinds measured over the whole dataset by Evidently (_measure.DATASET_KINDS, named here so
# that module and Evidently's presets stay unimported)
_DATASET_KINDS = ("classification", "regression", "drift")


def evidently_needed(suites: Sequence[SuiteConfig], html: bool) -> bool:
    """Whether a run with these (non-judge) suites needs Evidently at all."""
    return html or needs_evidently(suites) or any(s.kind in _DATASET_KINDS for s in suites)


class Scorer:
    """``ScoringWorker``'s methods, scoring natively where it can. Use it as a context manager."""

    def __init__(self, suites: Sequence[SuiteConfig], *, html: bool, in_process: bool = False,
                 early: "EarlyWorker | None" = None) -> None:
        """``early``: a worker process started before the config was read, adopted when Evidently is
        needed and stopped at once when it is not."""
        self._in_process = in_process
        self._early = early
        self._worker = None
        if evidently_needed(suites, html):
            self._start()
        elif early is not None:
            early.abandon()

    @property
    def worker_started(self) -> bool:
        """Whether an Evidently worker was ever needed (and so started) by this scorer."""
        return self._worker is not None

    def score(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> tuple[Score, ...]:
        if not any(suite.evidently or suite.tool_calls is not None for suite in suites):
            return ()
        return score_row_checks(samples, suites, lambda rows, left: self._start().score(rows, left))

    def measure(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> Measured:
        if not any(suite.kind in _DATASET_KINDS for suite in suites):
            return Measured()
        return self._start().measure(samples, suites)

    def write_html(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig], path: str | Path) -> Path:
        return self._start().write_html(samples, suites, path)

    def start_html(self, samples: Sequence[Sample], suites: Sequence[SuiteConfig],
                   path: str | Path) -> Callable[[], Path]:
        return self._start().start_html(samples, suites, path)

    @property
    def pid(self) -> int | None:
        return self._worker.pid if self._worker is not None else None

    @property
    def fallback_reason(self) -> str | None:
        return self._worker.fallback_reason if self._worker is not None else None

    def abandon(self) -> None:
        if self._worker is not None:
            self._worker.abandon()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()

    def __enter__(self) -> "Scorer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self):
        if self._worker is None:
            from ._worker import ScoringWorker

            started = self._early.take() if self._early is not None and not self._in_process else None
            self._worker = ScoringWorker(in_process=self._in_process, started=started)
        return self._worker
