"""``repeats: auto``: after the first pass, while the baseline comparison is undecided under the
sequential rule (``gate/_sequential.py``), the disputed rows are asked again, of the model and of
the baseline endpoint alike, scored, and looked at again, until every compared suite is decided or
each disputed row has been asked ``max`` times."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Sequence

from ..config import GateConfig, SuiteConfig
from ..endpoint import ResponseCache
from ..result import AdaptiveRepeats, SequentialLook
from ..samples import Sample
from ..scores import Score
from ..terminal import Console
from ._deciding import Baseline
from ._plan import GatePlan
from ._reasking import ask_rows_again
from ._scoring import baseline_row_scores

STORED = ("a stored baseline (results file, MLflow alias or history) cannot be asked again, so nothing was "
          "re-asked: the comparison was decided on the first pass by the fixed rule")


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


def ask_until_decided(plan: GatePlan, samples: tuple[Sample, ...], scores: tuple[Score, ...], baseline: Baseline,
                      worker, evidently_suites: list[SuiteConfig], cache: ResponseCache | None, console: Console,
                      judge_responses: ResponseCache | None) -> Asked:
    from ..gate._sequential import disputed_rows

    config = plan.config
    settings, auto = config.baseline, config.repeats_auto
    assert settings is not None and auto is not None
    if settings.endpoint is None:
        return Asked(samples, scores, baseline, AdaptiveRepeats(auto.max, 1, 0, 0, STORED))
    by_id = {row.id: row for row in plan.dataset.rows}
    looks, rounds = sequential_looks(config, samples, scores, baseline)
    if not looks:
        return Asked(samples, scores, baseline,
                     AdaptiveRepeats(auto.max, 1, 0, 0, "no suite is compared with the baseline: nothing to re-ask"))
    reasked: dict[str, None] = {}
    extra_calls = 0
    judge_calls = judge_cached = 0
    ask = 1
    while ask < auto.max and any(look.decision == "undecided" for look in looks):
        rows = [by_id[row] for row in disputed_rows(rounds)]
        console.info(f"repeats: auto: {', '.join(l.metric for l in looks if l.decision == 'undecided')} "
                     f"undecided after ask {ask}; asking the {len(rows)} disputed rows again")
        got = asyncio.run(ask_rows_again(plan, config.endpoint, rows, ask, cache, console, judge_responses))
        base = asyncio.run(ask_rows_again(plan, settings.endpoint, rows, ask, cache, console, judge_responses,
                                          role="baseline"))
        samples = (*samples, *got.samples)
        scores = (*scores, *baseline_row_scores(worker, got.samples, evidently_suites), *got.judged)
        baseline = Baseline((*baseline.samples, *base.samples),
                            (*baseline.scores, *baseline_row_scores(worker, base.samples, evidently_suites),
                             *base.judged))
        reasked.update((row.id, None) for row in rows)
        extra_calls += len(got.samples) + len(base.samples)
        judge_calls += got.judge_asked[0] + base.judge_asked[0]
        judge_cached += got.judge_asked[1] + base.judge_asked[1]
        ask += 1
        looks, rounds = sequential_looks(config, samples, scores, baseline)
    record = AdaptiveRepeats(auto.max, ask, len(reasked), extra_calls, _reason(ask), looks)
    return Asked(samples, scores, baseline, record, (judge_calls, judge_cached))


def _reason(rounds: int) -> str:
    if rounds == 1:
        return "the first pass decided every compared suite: no row was asked again"
    return ("the first pass left the comparison with the baseline within noise, so the rows where the model and "
            "the baseline disagreed were asked again, of both")
