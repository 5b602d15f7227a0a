"""The sequential rule of ``repeats: auto``: a group-sequential sign test of "the candidate is worse
than the baseline" over the paired rounds, deciding after each round whether to stop or re-ask.

Why this rule. Every paired observation of a row (one candidate call, one baseline call, same
round) gives a difference d; only rows where the two disagree (d != 0) say anything about which
model is better. When the candidate is no worse than the baseline on any row (A/A: the same model
twice), each disagreement is as likely to go either way, whichever rows were re-asked, because
re-asking depends only on *whether* rows disagreed, never on *which way*. So the count of losses
minus wins, S, is a fair random walk observed at the looks, at times n_1 < n_2 < ... that do not
depend on its steps. At look k the block boundary b_k is the smallest S whose chance of being
reached at look k, without having been reached before, keeps the error spent so far within
alpha * (k / K)^2 (error spending by look, K the cap): computed exactly over the walk, not with a
normal approximation, so the false-block rate stays <= alpha however many looks are taken. A fixed
test applied after every round would not: each look is another chance to cross by luck.

alpha is one-sided, (1 - baseline.confidence) / 2: what "the top of the two-sided interval is
below 0" means for the fixed rule. As with rule ``significant``, a significant drop blocks only when
it is also larger than ``max_regression``. Stopping early for a pass (the estimated drop is under
half the tolerance) never adds a false block: it only gives up chances to cross.

The estimate of the mean difference after several rounds: the first round's mean |d| (every row,
once: unbiased for how much the models disagree) times the signed share of all disagreements,
sum d / sum |d|. After one round it is the plain mean difference.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from ..result import SequentialLook
from ._observations import Observation, Observations

Round = Mapping[str, float]
"""One round's paired differences, row id -> candidate value minus baseline value."""


def one_sided_alpha(confidence: float) -> float:
    """The false-block rate the rule holds: the fixed rule's, one-sided."""
    return (1.0 - confidence) / 2.0


def spent(alpha: float, look: int, max_looks: int) -> float:
    """Error that may be spent by the end of ``look`` (1-based): little early, most at the cap,
    where most of the evidence is."""
    return alpha * min(1.0, look / max_looks) ** 2


def sign_boundaries(counts: Sequence[int], alpha: float, max_looks: int) -> list[int]:
    """Block boundaries (on losses - wins) at each look, for disagreement counts n_1 <= n_2 <= ...

    Exact over the fair +-1 walk: the losses after n_k disagreements are Binomial(n_k, 1/2), the
    paths that crossed earlier removed; the boundary is the lowest whose crossing keeps the
    total error within ``spent``."""
    import numpy as np

    dist = np.ones(1)  # P(losses = j, not yet crossed), j = 0..n
    previous, used, out = 0, 0.0, []
    for look, n in enumerate(counts, start=1):
        step = n - previous
        if step < 0:
            raise ValueError("disagreement counts only grow from look to look")
        if step:
            dist = np.convolve(dist, _half_binomial(step))
        previous = n
        allowed = spent(alpha, look, max_looks) - used
        tail = np.cumsum(dist[::-1])[::-1]  # tail[j] = P(losses >= j)
        # the smallest j whose tail fits; numbers a hair over from rounding do not count
        fits = np.nonzero(tail <= allowed * (1 + 1e-9))[0]
        first = int(fits[0]) if len(fits) else n + 1
        used += float(tail[first]) if first <= n else 0.0
        if first <= n:
            dist = dist.copy()
            dist[first:] = 0.0
        out.append(2 * first - n)  # losses >= first  <=>  losses - wins >= 2 * first - n
    return out


def _half_binomial(n: int):
    import numpy as np

    logs = np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in range(n + 1)])
    return np.exp(logs - n * math.log(2.0))


def sequential_look(metric: str, rounds: Sequence[Round], *, max_regression: float, confidence: float,
                    max_looks: int) -> SequentialLook:
    """Walk the rounds look by look; the first decision reached stands (later rounds do not undo it)."""
    alpha = one_sided_alpha(confidence)
    counts: list[int] = []
    losses = wins = 0
    signed = absolute = 0.0
    first = rounds[0] if rounds else {}
    if not first:
        return SequentialLook(metric, "block", 1, 0, 0, None, None,
                              "no row was measured on both sides: an unmeasured regression is never a pass")
    disagreement = sum(abs(d) for d in first.values()) / len(first)
    look = None
    for k, paired in enumerate(rounds[:max_looks], start=1):
        for d in paired.values():
            losses += d < 0
            wins += d > 0
            signed += d
            absolute += abs(d)
        counts.append(losses + wins)
        estimate = disagreement * signed / absolute if absolute else 0.0
        boundary = sign_boundaries(counts, alpha, max_looks)[-1]
        look = _decide(metric, k, losses, wins, estimate, boundary, max_regression, max_looks)
        if look.decision != "undecided":
            return look
    assert look is not None
    return look


def _decide(metric: str, k: int, losses: int, wins: int, estimate: float, boundary: int, max_regression: float,
            max_looks: int) -> SequentialLook:
    def stop(decision: str, reason: str) -> SequentialLook:
        return SequentialLook(metric, decision, k, losses, wins, estimate, boundary, reason)

    if estimate >= -max_regression / 2:
        return stop("pass", f"the drop is under half the tolerance ({max_regression / 2:g})")
    if losses - wins >= boundary:
        if estimate < -max_regression:
            return stop("block", f"significant drop beyond the tolerance ({max_regression:g}): "
                                 f"{losses} losses vs {wins} wins reach the boundary {boundary}")
        return stop("pass", f"a significant drop, but within the tolerance ({max_regression:g})")
    if k >= max_looks:
        return stop("pass", f"the cap ({max_looks} asks) was reached without a significant drop "
                            f"({losses} losses vs {wins} wins, boundary {boundary})")
    return stop("undecided", "the drop is within noise: disputed rows are asked again")


def disputed_rows(rounds_by_metric: Mapping[str, Sequence[Round]]) -> tuple[str, ...]:
    """Rows that disagreed in any round of any compared suite: the ones whose answers can still
    change a decision. Chosen by *whether* they disagreed, never which way (see the module doc)."""
    rows: dict[str, None] = {}
    for rounds in rounds_by_metric.values():
        for paired in rounds:
            rows.update((row, None) for row, d in paired.items() if d != 0)
    return tuple(rows)


def paired_rounds(candidate: Observations | Sequence[Observation],
                  baseline: Observations | Sequence[Observation]) -> list[dict[str, float]]:
    """One suite's observations -> its rounds: round r pairs the two sides' repeat r of each row
    that both measured (a row with an error on either side has no pair; the error budget counts it)."""
    cand, other_side = Observations.of(candidate), Observations.of(baseline)
    base = {(row_id, asked): value for row_id, asked, value in zip(other_side.row_ids, other_side.repeats,
                                                                    other_side.values) if value is not None}
    rounds: list[dict[str, float]] = []
    for row_id, asked, value in zip(cand.row_ids, cand.repeats, cand.values):
        other = base.get((row_id, asked))
        if value is None or other is None:
            continue
        while len(rounds) <= asked:
            rounds.append({})
        rounds[asked][row_id] = value - other
    return rounds or [{}]
