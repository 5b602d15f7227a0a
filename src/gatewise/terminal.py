"""What the user sees while a gate runs: a progress bar on a TTY, plain lines and GitHub
``::group::`` blocks in CI, nothing with ``--quiet``. Progress goes to stderr; stdout keeps the verdict."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import IO, Iterator

from .readable import counted
from .samples import Sample


def in_ci(env: dict[str, str] | None = None) -> bool:
    env = dict(os.environ) if env is None else env
    return env.get("CI", "").lower() in ("1", "true", "yes") or env.get("GITHUB_ACTIONS") == "true"


class Console:
    def __init__(self, stream: IO[str] | None = None, *, quiet: bool = False, verbose: bool = False,
                 ci: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet, self.verbose = quiet, verbose
        self.ci = in_ci() if ci is None else ci
        self.live = not self.ci and self.stream.isatty()
        self.github = os.environ.get("GITHUB_ACTIONS") == "true"

    def info(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            print(message, file=self.stream, flush=True)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        if self.github and not self.quiet:
            print(f"::group::{title}", file=self.stream, flush=True)
        else:
            self.info(title)
        try:
            yield
        finally:
            if self.github and not self.quiet:
                print("::endgroup::", file=self.stream, flush=True)

    def progress(self, total: int, what: str = "rows") -> "ProgressLine":
        return ProgressLine(self, total, what)


class ProgressLine:
    """Counts finished samples; redraws a bar on a TTY, prints every 10 % elsewhere."""

    def __init__(self, console: Console, total: int, what: str) -> None:
        self.console, self.total, self.what = console, total, what
        self.done = self.errors = self.cached = 0
        self.started = time.perf_counter()
        self._next_report = 0.1
        self._last_draw = 0.0

    def advance(self, sample: Sample) -> None:
        self.tick(sample.ok, cached=sample.cached, note=None if sample.ok else f"row {sample.row_id}: {sample.error}")

    def tick(self, ok: bool, *, cached: bool = False, note: str | None = None) -> None:
        """One unit done (a sample, a judged row); ``note`` is shown with --verbose."""
        self.done += 1
        self.errors += not ok
        self.cached += cached
        if note:
            self.console.detail(f"  {note}")
        if self.console.quiet:
            return
        if self.console.live:
            now = time.perf_counter()
            if now - self._last_draw > 0.1 or self.done == self.total:
                self._last_draw = now
                self._draw()
        elif self.total and self.done / self.total >= self._next_report:
            while self.done / self.total >= self._next_report:
                self._next_report += 0.1
            self.console.info("  " + self._status())

    def _status(self) -> str:
        pct = 100 * self.done / self.total if self.total else 100
        extra = f", {self.cached} cached" if self.cached else ""
        return (f"{self.done}/{self.total} {self.what} ({pct:.0f}%), {counted(self.errors, 'error')}{extra}, "
                f"{time.perf_counter() - self.started:.1f} s")

    def _draw(self) -> None:
        width = 28
        filled = int(width * self.done / self.total) if self.total else width
        bar = "█" * filled + "░" * (width - filled)
        self.console.stream.write(f"\r  {bar} {self._status()}\x1b[K")
        self.console.stream.flush()

    def close(self) -> None:
        if self.console.live and not self.console.quiet:
            self.console.stream.write("\n")
            self.console.stream.flush()
