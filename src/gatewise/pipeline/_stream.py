"""results.jsonl while a run is in progress: each call's sample appended as it finishes, so a run
that is interrupted (killed, cancelled, its endpoint gone) keeps every row it got.

The streamed lines are in the order the calls finished and carry the sample's fields only
(``row_id``, ``repeat``, ``output``, ``error``, latency, tokens …): scores come later, in one batch.
When the run ends, the reports replace this file, atomically, with the scored lines in dataset
order. That reorder needs no buffer of its own: the samples are held for the verdict anyway, and
a reorder buffer written in dataset order would grow without bound behind one slow row (retries,
a backoff) and could not carry the scores, which do not exist yet.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..report import RESULTS_FILE, render_results_line
from ..samples import Sample


class ResultsStream:
    """Appends one line per finished sample to ``out/results.jsonl``; opened on the first sample,
    so a run stopped before any call (bad input, endpoint down at preflight) writes nothing."""

    def __init__(self, out_dir: Path, *, append: bool = False) -> None:
        self.path = Path(out_dir) / RESULTS_FILE
        self._fd: int | None = None
        self.lines = 0
        # a resumed run appends to the answers it kept (see gatewise.shard)
        self._truncate = 0 if append else os.O_TRUNC

    def write(self, sample: Sample) -> None:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | self._truncate | os.O_APPEND, 0o644)
        data = render_results_line(sample.to_dict()).encode("utf-8")
        # one write() per line, unbuffered: a kill lands between two lines, so every line read back
        # is whole (a reader should still drop a last line without its newline, e.g. a full disk)
        while data:
            data = data[os.write(self._fd, data):]
        self.lines += 1

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "ResultsStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
