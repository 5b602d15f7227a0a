"""Evidently's worker process, started by ``gatewise gate`` / ``merge`` before the config is read.

The page waits for the worker's ~4 s import; started here it begins ~0.5 s sooner than where the
gate would start it, so less of it is left when the calls end.

Light on purpose: it imports neither the config models nor the suites (their import is the time
this saves); the child imports what it needs itself. The gate then adopts the worker
(``Scorer``), or stops it when the config turns out not to need Evidently; a run that ends
before either (bad input) stops it too (``abandon``), before anything was asked of it.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from .worker_process import start_child, stop_child

log = logging.getLogger(__name__)

# `report: {html: false}` (or no/off) in any YAML style; a look at the text, not a parse
_HTML_OFF = re.compile(r"\bhtml\s*:\s*[\"']?(?:false|no|off)\b", re.IGNORECASE)
# the suite kinds the page draws (a judge-only gate has no page and needs no Evidently)
_PAGE_SUITE = re.compile(r"\b(?:evidently|classification|regression|drift)\s*:")


def page_likely(config_path: str | Path) -> bool:
    """Whether the config at ``config_path`` leaves report.html on and has a suite the page draws,
    judged from its text alone (the config is read properly later). A wrong guess costs time only:
    an early worker stopped when the config says otherwise, or no early worker (the gate starts its
    own, as without this module)."""
    try:
        text = Path(config_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False  # bad input: the gate stops at the config, no worker needed
    return _PAGE_SUITE.search(text) is not None and not _HTML_OFF.search(text)


def _import_evidently() -> int:
    """In the child: the scoring worker's warm-up (Evidently imported); returns the child's pid."""
    from .suites._worker import _warm_up

    return _warm_up()


class EarlyWorker:
    """A started worker process, until the gate takes it (``take``) or lets it go (``abandon``)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None
        self._ready: Future[int] | None
        self._pool, self._ready = start_child(_import_evidently)

    def take(self) -> tuple[ProcessPoolExecutor, Future[int]] | None:
        """The pool and its import's future, handed over once (None after ``abandon`` or a take)."""
        if self._pool is None or self._ready is None:
            return None
        taken, self._pool, self._ready = (self._pool, self._ready), None, None
        return taken

    def abandon(self) -> None:
        """Stop the child now, mid-import: nothing was asked of it (a no-op once taken)."""
        if self._pool is not None:
            stop_child(self._pool, reap=True)  # none outlives the gate's error
            self._pool, self._ready = None, None


def start_early() -> EarlyWorker | None:
    """The worker started now; None where a process cannot be started (the gate starts its own later)."""
    try:
        return EarlyWorker()
    except (OSError, RuntimeError, NotImplementedError) as exc:
        log.debug("no early scoring worker: %s", exc)
        return None


__all__ = ["EarlyWorker", "page_likely", "start_early"]
