"""The last stage: the verdict -> report files in ``--out`` (results.jsonl, junit.xml, summary.md,
Evidently's report.html, gate-result.json last)."""

from __future__ import annotations

from pathlib import Path

from ..config import GateConfig
from ..endpoint import ResponseCache
from ..result import GateResult
from ..terminal import Console
from ._scoring import Scored


def clear_stale_reports(out: Path, keep: tuple[str, ...] = ()) -> None:
    """Remove the reports of an earlier run: should this one stop with no verdict, nothing in
    ``out`` may pass for one. Only after the input checks, which must leave everything untouched.
    A resumed run keeps its answers (``keep``)."""
    from ..report import REPORT_FILES

    for name in REPORT_FILES:
        if name not in keep:
            (out / name).unlink(missing_ok=True)


def write_outputs(result: GateResult, config: GateConfig, scored: Scored, worker, cache: ResponseCache | None,
                  cached_as: str | None, out: Path, console: Console) -> None:
    from ..report import HTML_FILE, WRITERS

    out.mkdir(parents=True, exist_ok=True)
    with console.group(f"Writing reports to {out}"):
        # results.jsonl is rewritten whole here, scored and in dataset order, over the streamed one;
        # gate-result.json goes last, once Evidently's page (drawn meanwhile by the worker) is in
        for name, writer in WRITERS.items():
            if name != "gate_result":
                writer(result, out)
        if worker is not None and config.report.html:  # report.html: false (--no-html) draws no page
            html_path = out / HTML_FILE
            if scored.html is not None:
                html_path.write_text(scored.html, encoding="utf-8")
            else:
                if scored.html_job is not None:
                    scored.html_job()
                else:
                    worker.write_html(result.samples, [s for s in config.suites if s.judge is None], html_path)
                if cache is not None and cached_as is not None:
                    from .. import score_cache

                    # Evidently's scores only: the judge's come from its own cache, per call
                    evidently = {s.name for s in config.suites if s.judge is None}
                    score_cache.store(cache, cached_as, [s for s in result.scores if s.suite in evidently],
                                      html_path.read_text(encoding="utf-8"), scored.measures)
        WRITERS["gate_result"](result, out)
