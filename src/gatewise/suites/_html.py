"""Evidently's own HTML report of the deterministic checks: the same dataset the scores came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ._evidently import evaluate
from ._measure import dataset_snapshots

# Rows drawn in the HTML report at most. Evidently builds a frame and a page over every row it is
# given (100 000 rows: ~300 MB more in the worker, a page too big to open); the distributions and
# pass counts it draws need far fewer. The gate's verdict and results.jsonl cover every row.
HTML_ROWS = 10_000


def rows_for_html(samples: Sequence[Sample], limit: int = HTML_ROWS) -> tuple[Sample, ...]:
    """At most ``limit`` samples, evenly spread over the run (every k-th, first included), so the
    report sees the whole dataset rather than its head."""
    n = len(samples)
    if n <= limit:
        return tuple(samples)
    return tuple(samples[i * n // limit] for i in range(limit))


def write_evidently_html(samples: Sequence[Sample], suites: Sequence[SuiteConfig], path: str | Path,
                         total: int | None = None) -> Path:
    """Run Evidently's ``TextEvals`` preset over the checks' descriptors and save it as HTML,
    followed by the metrics of each classification, regression and drift suite.

    The report covers the samples that have an output; rows whose call failed are counted in
    the gate result, not here. With no such sample there is nothing for Evidently to show, and
    a short page says so. ``total``: the run's sample count when ``samples`` is a subset of it
    (``rows_for_html``); the page then says how many rows it draws.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    evaluation = evaluate(samples, suites)
    parts = dataset_snapshots(samples, suites)
    if evaluation.dataset is not None:
        from evidently import Report
        from evidently.presets import TextEvals

        # TextEvals summarises each descriptor column and the row tests; it reads the descriptors
        # already computed on the dataset instead of computing them again.
        parts.insert(0, ("Checks", Report([TextEvals()]).run(evaluation.dataset, None)))
    if not parts:
        path.write_text(_EMPTY.format(n=len(samples)), encoding="utf-8")
        return path
    page = parts[0][1].get_html_str(as_iframe=False) if len(parts) == 1 else _combined(parts)
    if total is not None and total > len(samples):
        page = _with_note(page, _SUBSET.format(shown=len(samples), total=total))
    path.write_text(page, encoding="utf-8")
    return path


def _with_note(page: str, note: str) -> str:
    """``note`` as the first thing in the page's body (the whole page when it has no body tag)."""
    at = page.find(">", page.lower().find("<body")) + 1 if "<body" in page.lower() else 0
    return page[:at] + note + page[at:]


_SUBSET = """<div style="font-family:sans-serif;padding:8px 16px;background:#fff4ce;border-bottom:1px solid #e0c870">
gatewise: this report draws {shown} of the run's {total} samples, evenly spread (every k-th); the verdict,
gate-result.json and results.jsonl cover all {total}.</div>
"""


def _combined(parts: list[tuple[str, Any]]) -> str:
    """One page with a titled section per Evidently run, drawn by Evidently's own renderer."""
    from evidently.core.metric_types import render_widgets
    from evidently.legacy.renderers.html_widgets import group_widget

    # _widgets / _tests_widgets are what Snapshot.get_html_str renders (evidently 0.7)
    widgets = [group_widget(title=title, widgets=[*run._widgets, *run._tests_widgets]) for title, run in parts]
    return render_widgets(widgets, as_iframe=False)


_EMPTY = """<!doctype html><html><head><meta charset="utf-8"><title>gatewise: Evidently report</title></head>
<body><h1>No rows to report</h1><p>None of the {n} samples has an output to check: every call failed,
or the gate has no Evidently checks.</p></body></html>
"""
