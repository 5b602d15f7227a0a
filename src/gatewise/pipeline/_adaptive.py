"""``repeats: auto``: after the first pass, while a threshold (``gate/_threshold_rule.py``) or the
baseline comparison (``gate/_sequential.py``) is undecided, rows are asked again, scored, and looked
at again, until everything is decided or each row has been asked ``max`` times. An undecided
threshold asks every row of the model again (a full round: choosing rows by their answers would
bias its estimate), starting with a random pilot of the rows whose look may already decide it (then
the rest of the round is never asked); an undecided comparison asks its disputed rows again, of the model and of the
baseline endpoint alike. Each re-asked answer is appended to results.jsonl as it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..config import GateConfig, SuiteConfig
from ..endpoint import ResponseCache
from ..readable import counted
from ..result import AdaptiveRepeats, SequentialLook, ThresholdLook
from ..samples import Sample
from ..scores import Score
from ..terminal import Console
from ._deciding import Baseline
from ._plan import GatePlan
from ._reasking import ask_rows_again
from ._sampling import Collected
from ._scoring import baseline_row_scores
from ._stream import ResultsStream

STORED = ("a stored baseline (results file, MLflow alias or history) cannot be asked again: the comparison "
          "was decided on the first pass by the fixed rule")


@dataclass(frozen=True)
class Asked:
    """Both sides after the last round: every sample and score (repeat r = ask r + 1), the record
    of what was done, and the judge's (calls, cached) over the extra rounds."""

    samples: tuple[Sample, ...]
    scores: tuple[Score, ...]
    baseline: Baseline
    record: AdaptiveRepeats
    judge_asked: tuple[int, int] = (0, 0)


def sequential_looks(config: GateConfig, samples: Sequence[Sample], scores: Sequence[Score],
                     baseline: Baseline) -> tuple[tuple[SequentialLook, ...], dict[str, list[dict[str, float]]]]:
    """The sequential rule's look at every compared suite, and each suite's paired rounds."""
    from ..gate import observations
    from ..gate._baseline import COMPARED_KINDS
    from ..gate._sequential import paired_rounds, sequential_look

    settings, auto = config.baseline, config.repeats_auto
    assert settings is not None and auto is not None
    cand = observations(config, samples, scores)
    base = observations(config, baseline.samples, baseline.scores)
    rounds = {s.name: paired_rounds(cand.get(s.name, ()), base.get(s.name, ()))
              for s in config.suites if s.kind in COMPARED_KINDS}
    looks = tuple(sequential_look(name, r, max_regression=settings.max_regression, confidence=settings.confidence,
                                  max_looks=auto.max) for name, r in rounds.items())
    return looks, rounds


def threshold_looks(config: GateConfig, samples: Sequence[Sample], scores: Sequence[Score], asks: int,
                    rows: int, pilot: frozenset[str] | None = None) -> tuple[ThresholdLook, ...]:
    """Each threshold's rule after ``asks`` full rounds and round 2's ``pilot`` rows (``rows``: the
    dataset's, for the record)."""
    from dataclasses import replace

    from ..gate import observations
    from ..gate._threshold_rule import threshold_look

    auto = config.repeats_auto
    assert auto is not None
    every = observations(config, samples, scores)
    per_row = {name: items for name, items in every.items() if name not in ("latency_ms", "errors")}
    for suite in config.suites:
        if suite.kind in ("classification", "regression"):
            per_row.pop(suite.name, None)  # their statistics are the whole dataset's (Evidently's)
    looks = []
    for threshold in config.parsed_thresholds:
        look = threshold_look(threshold, per_row.get(threshold.metric), asks, auto.max, config.confidence.level,
                              pilot)
        # decided by the pilot look: only the pilot's rows were asked again for it
        reasked = rows if look.looks > 1 or look.decision == "undecided" else look.pilot_rows
        looks.append(replace(look, reasked_rows=reasked))
    return tuple(looks)


def ask_until_decided(plan: GatePlan, samples: tuple[Sample, ...], scores: tuple[Score, ...], baseline: Baseline,
                      worker, evidently_suites: list[SuiteConfig], cache: ResponseCache | None, console: Console,
                      judge_responses: ResponseCache | None, results_dir: Path | None = None) -> Asked:
    """The rounds; with ``results_dir`` each re-asked answer of the model is streamed into its results.jsonl."""
    from ..gate._sequential import disputed_rows
    from ..gate._threshold_rule import pilot_rows, pilot_size

    config = plan.config
    settings, auto = config.baseline, config.repeats_auto
    assert auto is not None
    rows_total = len(plan.dataset.rows)
    by_id = {row.id: row for row in plan.dataset.rows}
    reask_baseline = settings is not None and settings.endpoint is not None
    looks, rounds = sequential_looks(config, samples, scores, baseline) if reask_baseline else ((), {})
    full_rounds = 1
    t_looks = threshold_looks(config, samples, scores, full_rounds, rows_total)
    reasked: dict[str, None] = {}
    calls = _Calls()
    ask = 1
    pilot: frozenset[str] | None = None
    with ResultsStream(results_dir, append=True) if results_dir is not None else contextlib.nullcontext() as stream:
        while ask < auto.max and (_undecided(looks) or _undecided(t_looks)):
            every_row = bool(_undecided(t_looks))
            if ask == 1 and every_row and not _undecided(looks) and pilot_size(rows_total) < rows_total:
                # round 2 starts with the pilot; the rest of it only if the pilot look leaves a threshold undecided
                pilot = pilot_rows(list(by_id), config.confidence.seed)
                for part in ([row for row in plan.dataset.rows if row.id in pilot],
                             [row for row in plan.dataset.rows if row.id not in pilot]):
                    console.info(f"repeats: auto: {', '.join(_undecided(t_looks))} undecided after ask 1; asking "
                                 + (f"a random pilot of {counted(len(part), 'row')} again" if len(reasked) == 0 else
                                    f"the other {counted(len(part), 'row')} again, completing round 2"))
                    got = asyncio.run(ask_rows_again(plan, config.endpoint, part, 1, cache, console, judge_responses,
                                                     on_sample=stream.write if stream is not None else None))
                    samples, scores = _with_answers(samples, scores, got, worker, evidently_suites)
                    calls.count(got)
                    reasked.update((row.id, None) for row in part)
                    complete = len(reasked) == rows_total
                    t_looks = threshold_looks(config, samples, scores, 2 if complete else 1, rows_total, pilot)
                    if not _undecided(t_looks):
                        break
                ask = 2
                full_rounds = 2 if len(reasked) == rows_total else 1
                if reask_baseline:
                    looks, rounds = sequential_looks(config, samples, scores, baseline)
                continue
            disputed = [by_id[row] for row in disputed_rows(rounds)] if _undecided(looks) else []
            asked_rows = list(plan.dataset.rows) if every_row else disputed
            why = ", ".join([*_undecided(t_looks), *_undecided(looks)])
            console.info(f"repeats: auto: {why} undecided after ask {ask}; asking "
                         + (f"every row ({len(asked_rows)}) again" if every_row else
                            f"{counted(len(asked_rows), 'disputed row')} again"))
            got = asyncio.run(ask_rows_again(plan, config.endpoint, asked_rows, ask, cache, console, judge_responses,
                                             on_sample=stream.write if stream is not None else None))
            samples, scores = _with_answers(samples, scores, got, worker, evidently_suites)
            calls.count(got)
            if disputed:
                assert settings is not None and settings.endpoint is not None
                base = asyncio.run(ask_rows_again(plan, settings.endpoint, disputed, ask, cache, console,
                                                  judge_responses, role="baseline"))
                baseline = Baseline((*baseline.samples, *base.samples),
                                    (*baseline.scores, *baseline_row_scores(worker, base.samples, evidently_suites),
                                     *base.judged))
                calls.count(base)
            reasked.update((row.id, None) for row in asked_rows)
            ask += 1
            if every_row:
                full_rounds = ask
                t_looks = threshold_looks(config, samples, scores, full_rounds, rows_total, pilot)
            if reask_baseline:
                looks, rounds = sequential_looks(config, samples, scores, baseline)
    reason = _reason(ask, t_looks, looks, stored=settings is not None and not reask_baseline)
    record = AdaptiveRepeats(auto.max, ask, len(reasked), calls.extra, reason, looks, t_looks)
    return Asked(samples, scores, baseline, record, (calls.judge, calls.judge_cached))


@dataclass
class _Calls:
    """What the rounds cost: the endpoints' calls and the judge's (asked, answered from its cache)."""

    extra: int = 0
    judge: int = 0
    judge_cached: int = 0

    def count(self, got: Collected) -> None:
        self.extra += len(got.samples)
        self.judge += got.judge_asked[0]
        self.judge_cached += got.judge_asked[1]


def _with_answers(samples: tuple[Sample, ...], scores: tuple[Score, ...], got: Collected, worker,
                  evidently_suites: list[SuiteConfig]) -> tuple[tuple[Sample, ...], tuple[Score, ...]]:
    """The samples and scores with a round's new answers of the model, scored."""
    return (*samples, *got.samples), (*scores, *baseline_row_scores(worker, got.samples, evidently_suites),
                                      *got.judged)


def _undecided(looks: Sequence[SequentialLook] | Sequence[ThresholdLook]) -> list[str]:
    return [getattr(look, "metric", None) or getattr(look, "key") for look in looks if look.decision == "undecided"]


def _reason(rounds: int, thresholds: Sequence[ThresholdLook], looks: Sequence[SequentialLook], stored: bool) -> str:
    parts = []
    if rounds == 1:
        parts.append("the first pass decided every threshold and compared suite: no row was asked again")
    else:
        pilot = next((t.pilot_rows for t in thresholds if t.pilot_rows), 0)
        if pilot and not any(t.looks > 1 for t in thresholds):
            parts.append(f"a threshold was within the asking noise of its target after the first pass, so a random "
                         f"pilot of round 2 asked {pilot} rows again, and their asks decided it (pilot: {pilot} rows)")
        elif pilot:
            parts.append(f"a threshold was within the asking noise of its target after the first pass, so every row "
                         f"was asked again, in full rounds (round 2 began with a pilot: {pilot} rows), until it was "
                         "decided")
        elif any(t.looks > 1 for t in thresholds):
            parts.append("a threshold was within the asking noise of its target after the first pass, so every row "
                         "was asked again, in full rounds, until it was decided")
        if any(look.looks > 1 for look in looks):
            parts.append("the first pass left the comparison with the baseline within noise, so the rows where the "
                         "model and the baseline disagreed were asked again, of both")
    if stored:
        parts.append(STORED)
    return "; ".join(parts)
