"""Judge suites with ``only_if``: judged after Evidently has scored, only on the rows that passed
the named checks. A row that did not is not sent to the judge and fails the suite (value 0, not
an error: the row was answered, it just failed a cheaper check first).

Why after scoring rather than as outputs arrive: Evidently scores in a worker process once every
output is in (its import alone takes seconds), so the checks' verdicts exist only then; the cost
is that these suites' judging no longer overlaps the calls (``benchmarks/only_if_cost.py``).
The rows are judged by the judge's fixed pool of workers (``judging.Judging``), as ungated ones are.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Sequence

from ..config import GateConfig, SuiteConfig
from ..config._gating import gated
from ..endpoint import ResponseCache, public_url
from ..errors import JudgeUnreachableError
from ..readable import counted
from ..samples import Sample
from ..scores import Score
from ..terminal import Console


@dataclass(frozen=True)
class GatedJudging:
    """The gated suites' scores, the rows they skipped, and the judge's (calls, cached) counts."""

    scores: tuple[Score, ...] = ()
    skipped: int = 0
    asked: tuple[int, int] = (0, 0)


def gated_suites(config: GateConfig) -> list[SuiteConfig]:
    return [suite for suite in config.suites if gated(suite)]


_SKIPPED = "not judged: "


def skip_reason(failed: Sequence[str]) -> str:
    return f"{_SKIPPED}the row failed {', '.join(failed)} (only_if), so it fails this suite"


def skipped_rows(config: GateConfig, scores: Sequence[Score]) -> int:
    """How many row judgements ``only_if`` skipped among ``scores`` (wherever they were judged:
    here, or in the shards a merge reads)."""
    suites = {suite.name for suite in gated_suites(config)}
    return sum(1 for s in scores if s.suite in suites and s.judge_model is None and s.error is None
               and (s.reason or "").startswith(_SKIPPED))


def failed_gates(suite: SuiteConfig, row_scores: dict[str, list[Score]]) -> list[str]:
    """The ``only_if`` names a row did not pass (a missing score is not a pass)."""
    assert suite.judge is not None and suite.judge.only_if
    failed = []
    for name in suite.judge.only_if:
        scores = [s for metric, found in row_scores.items() if metric == name or metric.startswith(name + ".")
                  for s in found]
        if not scores or not all(s.passed for s in scores):
            failed.append(name)
    return failed


def judge_gated(config: GateConfig, samples: Sequence[Sample], scores: Sequence[Score],
                cache: ResponseCache | None, console: Console, timings: dict[str, float] | None = None
                ) -> GatedJudging:
    """Judge every gated suite on the ``samples`` whose ``scores`` passed its ``only_if`` checks."""
    suites = gated_suites(config)
    if not suites or not samples:
        return GatedJudging()
    started = time.perf_counter()
    by_row: dict[tuple[str, int], dict[str, list[Score]]] = {}
    for score in scores:
        by_row.setdefault((score.row_id, score.repeat), {}).setdefault(score.metric, []).append(score)
    result = asyncio.run(_judge(config, suites, samples, by_row, cache, console))
    if timings is not None:
        timings["judging_gated"] = time.perf_counter() - started
    return result


async def _judge(config: GateConfig, suites: list[SuiteConfig], samples: Sequence[Sample],
                 by_row: dict[tuple[str, int], dict[str, list[Score]]], cache: ResponseCache | None,
                 console: Console) -> GatedJudging:
    from ..judging import Judging
    from ..suites import JudgeClient, JudgeStage
    from ..suites._frame import has_output

    assert config.judge is not None
    stage = JudgeStage(suites, JudgeClient(config.judge, cache=cache))
    skipped: list[Score] = []
    work: list[tuple[Sample, list[SuiteConfig]]] = []
    for sample in samples:
        asked = []
        for suite in suites:
            failed = failed_gates(suite, by_row.get((sample.row_id, sample.repeat), {}))
            if failed and has_output(sample):
                assert suite.judge is not None
                skipped.append(Score(sample.row_id, f"{suite.name}.{suite.judge.metric}", 0.0, False, sample.repeat,
                                     reason=skip_reason(failed)))
            else:  # a row without output gets the judge stage's own "no output" error, with no call
                asked.append(suite)
        if asked:
            work.append((sample, asked))
    # the judge's pooled workers, as for ungated suites: a fixed number of tasks, not one per row
    # (twice the judge's concurrency keeps its slots full while some rows wait out a backoff)
    judging = Judging(stage, backlog=2 * config.judge.concurrency)
    try:
        with console.group(f"Judging {len(work)} of {counted(len(samples), 'output')} that passed their only_if checks "
                           f"({counted(len(skipped), 'row judgement')} skipped)"):
            progress = console.progress(sum(len(asked) for _, asked in work), "judged rows")
            judging.show_progress(progress)
            for sample, asked in work:  # every output is in: queued at once, taken by the workers
                judging.submit(sample, asked)
            await judging.drain()
            judged = [judging.scores_of(sample) for sample, _ in work]
            progress.close()
            console.info(f"  {stage.client.calls} judge calls, {stage.client.cached} answers from the cache")
    finally:
        await judging.abort()  # cancels what is left after an error, and closes the judge's client
    if stage.judge_failed_everything:
        raise JudgeUnreachableError(
            f"the judge at {public_url(config.judge.base_url)} gave no usable answer for any of "
            f"{stage.failed} judged rows; first error: {stage.first_failure}")
    return GatedJudging((*(s for row in judged for s in row), *skipped), len(skipped),
                        (stage.client.calls, stage.client.cached))
