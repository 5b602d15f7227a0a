"""Evidently's own HTML report of the deterministic checks: the same dataset the scores came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ._evidently import evaluate
from ._measure import dataset_snapshots


def write_evidently_html(samples: Sequence[Sample], suites: Sequence[SuiteConfig], path: str | Path) -> Path:
    """Run Evidently's ``TextEvals`` preset over the checks' descriptors and save it as HTML,
    followed by the metrics of each classification, regression and drift suite.

    The report covers the samples that have an output; rows whose call failed are counted in
    the gate result, not here. With no such sample there is nothing for Evidently to show, and
    a short page says so.
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
    elif len(parts) == 1:
        parts[0][1].save_html(str(path))
    else:
        path.write_text(_combined(parts), encoding="utf-8")
    return path


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
