"""The third stage: samples -> scores. Every suite but the judge's is scored in one batch: the
checks gatewise computes itself in this process, the rest by Evidently in a worker process,
started before the calls (only when Evidently is needed) so its slow import overlaps them; the
judge's scores come with the samples (see ``_sampling``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import SuiteConfig
from ..endpoint import ResponseCache
from ..readable import counted
from ..samples import Sample
from ..scores import Measure, Score
from ..terminal import Console


@dataclass(frozen=True)
class Scored:
    """The per-row scores, the dataset-level measures, and Evidently's HTML when it came from the
    cache (None: the worker writes it with the reports); ``html_job`` waits for the page the worker
    started drawing as soon as the scores were in."""

    scores: tuple[Score, ...] = ()
    measures: tuple[Measure, ...] = ()
    html: str | None = None
    html_job: Callable[[], Path] | None = None


def scoring_worker(suites: list[SuiteConfig], *, html: bool, early=None):
    """The scorer of the (non-judge) ``suites``: native checks in this process; when Evidently is
    needed (a check only it computes, a dataset-level suite, ``html``: report.html is drawn), its
    worker starts importing it now (or goes on: ``early``, see ``early_worker``), in another
    process, while the calls run."""
    from ..suites import Scorer

    return Scorer(suites, html=html, early=early)


def score_key(suites: list[SuiteConfig], samples: tuple[Sample, ...]) -> str:
    from .. import score_cache

    return score_cache.score_key(samples, suites)


def baseline_row_scores(worker, samples: tuple[Sample, ...], suites: list[SuiteConfig]) -> tuple[Score, ...]:
    """The baseline endpoint's per-row scores: Evidently checks, and the rows of the dataset-level
    suites (a classification row's right or wrong), so those suites pair row by row too."""
    if worker is None or not samples:
        return ()
    return (*worker.score(samples, suites), *worker.measure(samples, suites).scores)


def score(suites: list[SuiteConfig], samples: tuple[Sample, ...], worker, cache: ResponseCache | None,
          key: str | None, console: Console, html_path: Path | None = None) -> Scored:
    """Evidently's scores of ``samples``, from the score cache when the outputs were scored before.
    With ``html_path``, the worker goes on to draw Evidently's report there while the verdict is
    decided (``Scored.html_job`` waits for it)."""
    if worker is None:
        return Scored()
    from .. import score_cache

    hit = score_cache.load(cache, key) if cache is not None and key is not None else None
    if hit is not None:
        worker.abandon()  # every output was scored before: Evidently is not needed at all
        console.info("Scores and report taken from the cache (outputs unchanged)")
        return Scored(*hit)
    with console.group(f"Scoring {counted(len(samples), 'sample')} with Evidently"):
        measured = worker.measure(samples, suites)
        scores = worker.score(samples, suites) + measured.scores
    job = worker.start_html(samples, suites, html_path) if html_path is not None else None
    return Scored(scores, measured.measures, html_job=job)


def with_row_scores(suites: list[SuiteConfig], samples: tuple[Sample, ...], worker, row_scores: tuple[Score, ...],
                    console: Console, html_path: Path | None = None) -> Scored:
    """Scores when each row's checks were scored already (by the shards, in parallel): only the
    dataset-level suites are measured here, over every row together."""
    # the kinds of suites._measure.DATASET_KINDS, named here so the suites stay unimported
    if worker is None or not any(s.kind in ("classification", "regression", "drift") for s in suites):
        # nothing needs every row at once: no trip of every sample to the worker (seconds at 100 000)
        return Scored(row_scores)
    with console.group(f"Measuring {counted(len(samples), 'sample')} with Evidently (row checks scored by the shards)"):
        measured = worker.measure(samples, suites)
    job = worker.start_html(samples, suites, html_path) if html_path is not None else None
    return Scored(row_scores + measured.scores, measured.measures, html_job=job)
