"""Scores and Evidently's HTML for outputs already scored: a re-run whose outputs all came from
the response cache then needs neither the calls nor Evidently's multi-second import.

The key is everything the scores depend on: the samples' inputs and outputs, the suites, and the
versions of gatewise and Evidently.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from importlib import metadata
from typing import Sequence

from . import __version__
from .config import SuiteConfig
from .endpoint import ResponseCache
from .samples import Sample
from .scores import Measure, Score


def score_key(samples: Sequence[Sample], suites: Sequence[SuiteConfig]) -> str:
    digest = hashlib.sha256()
    try:
        evidently_version = metadata.version("evidently")
    except metadata.PackageNotFoundError:
        evidently_version = "?"
    head = {"gatewise": __version__, "evidently": evidently_version,
            "suites": [s.model_dump(mode="json") for s in suites]}
    digest.update(json.dumps(head, sort_keys=True).encode())
    for s in samples:
        row = [s.row_id, s.repeat, s.output, s.error, dict(s.inputs), s.prediction]
        if s.tool_calls:  # scored by tool_calls suites; text beside calls does not show them
            row.append([call.to_dict() for call in s.tool_calls])
        digest.update(json.dumps(row, sort_keys=True, default=str).encode())
        digest.update(b"\n")
    return "scores:" + digest.hexdigest()


def load(cache: ResponseCache, key: str) -> tuple[tuple[Score, ...], tuple[Measure, ...], str] | None:
    """Scores, dataset-level measures and the HTML stored under ``key``, or None."""
    record = cache.get(key)
    if record is None or "measures" not in record:  # a record from before measures: score again
        return None
    return (tuple(Score(**s) for s in record["scores"]), tuple(Measure(**m) for m in record["measures"]),
            record["html"])


def store(cache: ResponseCache, key: str, scores: Sequence[Score], html: str,
          measures: Sequence[Measure] = ()) -> None:
    cache.put(key, {"scores": [asdict(s) for s in scores], "measures": [asdict(m) for m in measures],
                    "html": html})
