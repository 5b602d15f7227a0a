"""Evidently's own HTML report of the deterministic checks: the same dataset the scores came from."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ._evidently import evaluate


def write_evidently_html(samples: Sequence[Sample], suites: Sequence[SuiteConfig], path: str | Path) -> Path:
    """Run Evidently's ``TextEvals`` preset over the checks' descriptors and save it as HTML.

    The report covers the samples that have an output; rows whose call failed are counted in
    the gate result, not here. With no such sample there is nothing for Evidently to show, and
    a short page says so.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    evaluation = evaluate(samples, suites)
    if evaluation.dataset is None:
        path.write_text(_EMPTY.format(n=len(samples)), encoding="utf-8")
        return path
    from evidently import Report
    from evidently.presets import TextEvals

    # TextEvals summarises each descriptor column and the row tests; it reads the descriptors
    # already computed on the dataset instead of computing them again.
    snapshot = Report([TextEvals()]).run(evaluation.dataset, None)
    snapshot.save_html(str(path))
    return path


_EMPTY = """<!doctype html><html><head><meta charset="utf-8"><title>gatewise: Evidently report</title></head>
<body><h1>No rows to report</h1><p>None of the {n} samples has an output to check: every call failed,
or the gate has no Evidently checks.</p></body></html>
"""
